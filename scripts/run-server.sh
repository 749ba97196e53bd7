#!/bin/bash
# The README's run command: installs the dependencies, builds QFC and runs `qfc-server serve` on
# its embedded defaults: SQLite and files in ./qfc-data, listening on 0.0.0.0:8080. On the first
# start it creates the administrator and prints its password once. Settings come from the
# environment (QFC_*), ./qfc-data/qfc.ini, or extra arguments: scripts/run-server.sh --listen ...
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
exec build/release/app/qfc-server serve "$@"
