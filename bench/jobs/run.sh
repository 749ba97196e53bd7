#!/bin/sh
# Job benchmark (prints numbers, not a test): the time from `POST jobs/` to the worker process
# running, and no-op jobs per second, on SQLite and on PostgreSQL. The server is a real
# qfc-server with its default confinement (jobs/sandbox=required); the worker is qfc-testworker,
# which prints its start time and writes a successful feedback.json at once, so what is measured
# is QFC's own job path: the API, the queue, the scheduler, preparing the work directory, the
# sandbox, the process start, collecting the result.
#
# usage: bench/jobs/run.sh [QFC_SERVER] [QFC_TESTWORKER]
#   QFC_SERVER      default build/release/app/qfc-server (the release preset), else build/dev's
#   QFC_TESTWORKER  default build/dev/tests/jobs/qfc-testworker (the dev preset builds it)
# Environment: WORKERS (jobs/workers, default 2), PROJECTS (default 8), ROUNDS (default 10),
# LATENCY_JOBS (default 30), BACKENDS (default "sqlite postgresql").
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
QFC=${1:-$REPO/build/release/app/qfc-server}
[ -x "$QFC" ] || QFC=$REPO/build/dev/app/qfc-server
TESTWORKER=${2:-$REPO/build/dev/tests/jobs/qfc-testworker}
WORKERS=${WORKERS:-2}
PROJECTS=${PROJECTS:-8}
ROUNDS=${ROUNDS:-10}
LATENCY_JOBS=${LATENCY_JOBS:-30}
BACKENDS=${BACKENDS:-"sqlite postgresql"}

[ -x "$QFC" ] || { echo "no qfc-server at $QFC (build a preset first)" >&2; exit 2; }
[ -x "$TESTWORKER" ] || { echo "no qfc-testworker at $TESTWORKER (build the dev preset)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/qfc-bench-jobs.XXXXXX")
chmod 755 "$RUN"
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    "$REPO/tests/scripts/postgres.sh" stop "$RUN/pg" >/dev/null 2>&1 || true
    rm -rf "$RUN"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# The feedback.json of a successful process_projectfile run; a literal quote inside the one
# quoted word of QFC_TESTWORKER_ACTIONS is written as three (QProcess::splitCommand).
FEEDBACK='{"feedback_version":"2.0","workflow_id":"process_projectfile","workflow_name":"Process Projectfile","workflow_version":"2.0","steps":[],"outputs":{"project_details":{"project_details":{"layers_by_id":{},"attachment_dirs":["DCIM"]}}}}'
ACTIONS="now feedback \"$(printf '%s' "$FEEDBACK" | sed 's/"/"""/g')\""

echo "qfc-server $($QFC --version 2>/dev/null | head -n 1), $(nproc) cores, jobs/workers=$WORKERS," \
    "worker = qfc-testworker, sandbox required"
for backend in $BACKENDS; do
    data=$RUN/data-$backend
    mkdir -p "$data"
    if [ "$backend" = postgresql ]; then
        "$REPO/tests/scripts/postgres.sh" start "$RUN/pg" >/dev/null
        url=$(cat "$RUN/pg/url")
    else
        url="sqlite:$data/qfc.sqlite3"
    fi
    cli() {
        command=$1
        shift
        "$QFC" "$command" "$@" --data-dir "$data" --database-url "$url"
    }
    cli migrate >/dev/null 2>&1
    printf 'bench-password-1\n' | cli createuser --username bench --email bench@example.org --superuser >/dev/null
    cli org create benchorg --owner bench >/dev/null
    printf '%s\n' "$ACTIONS" | cli secret set QFC_TESTWORKER_ACTIONS --org benchorg >/dev/null
    port=$(free_port)
    QFC_WORKER_BINARY=$TESTWORKER QFC_JOB_WORKERS=$WORKERS QFC_LOG_LEVEL=warning \
        "$QFC" serve --data-dir "$data" --database-url "$url" --listen "127.0.0.1:$port" \
        >"$RUN/server-$backend.log" 2>&1 &
    PID=$!
    i=0
    until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/api/v1/status/', timeout=1)" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "the server did not start:" >&2; cat "$RUN/server-$backend.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "$backend:"
    python3 "$HERE/jobs.py" "http://127.0.0.1:$port" bench bench-password-1 benchorg \
        "$PROJECTS" "$ROUNDS" "$LATENCY_JOBS"
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
done
