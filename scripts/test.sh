#!/bin/bash
# The README's test command: installs every dependency, builds QFC (warnings as errors) and runs the
# whole test suite, against SQLite and a PostgreSQL 15 that the suite starts itself; then the Qt 6
# tests once more under AddressSanitizer/UBSan. Exits non-zero when anything fails.
#   scripts/test.sh            everything
#   QFC_TEST_SKIP_ASAN=1 scripts/test.sh   without the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
cmake --preset dev
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"
if [ "${QFC_TEST_SKIP_ASAN:-0}" != 1 ]; then
    cmake --preset asan
    cmake --build --preset asan -j "$jobs"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    LSAN_OPTIONS=suppressions=$PWD/tests/scripts/lsan.supp:print_suppressions=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --preset asan -j "$jobs"
fi
echo "scripts/test.sh: all tests passed"
