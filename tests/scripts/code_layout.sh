#!/bin/bash
# Source hygiene, run as a test: every C++ file is clang-formatted, and banned constructs are absent.
set -uo pipefail
root=${1:?source root}
cd "$root" || exit 1
status=0
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.h' 2>/dev/null || find app libqfc worker tests bench -name '*.cpp' -o -name '*.h')
if command -v clang-format >/dev/null; then
    for f in "${files[@]}"; do
        [ -f "$f" ] || continue
        if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
            echo "not clang-formatted: $f (run clang-format -i $f)"
            status=1
        fi
    done
else
    echo "clang-format missing (scripts/install-deps.sh installs it)"; status=1
fi
# Banned: Q_FOREACH (slow, implicit copies), raw system()/popen (use QProcess), printf-style SQL.
banned='\bQ_FOREACH\b|\bforeach *\(|[^:a-z_]system *\(|\bpopen *\(|arg\([^)]*\) *\+ *u?"(SELECT|INSERT|UPDATE|DELETE)'
if grep -nE "$banned" "${files[@]}" 2>/dev/null | grep -v 'code_layout.sh'; then
    echo "banned construct found (see above)"
    status=1
fi
exit $status
