#!/bin/bash
# Starts (or stops) a throw-away PostgreSQL 15 cluster for the test suite, as an ordinary user
# (initdb refuses root: as root it runs as the `postgres` system user), on a free port of
# 127.0.0.1. Writes the server's URL to <dir>/url. Failing to start is an error: PostgreSQL is
# mandatory for the test suite.
#   tests/scripts/postgres.sh start <dir>
#   tests/scripts/postgres.sh stop <dir>
set -euo pipefail
cmd=${1:?start|stop}
dir=$(realpath -m "${2:?directory}")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The cluster itself lives under /tmp (the postgres user must be able to reach it even when the
# build directory is in a private home); <dir> keeps its location and the URL.
stop() {
    local data
    data=$(cat "$dir/cluster" 2>/dev/null || true)
    if [ -n "$data" ] && [ -f "$data/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$data/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [ -n "$data" ] && rm -rf "$data"
    rm -rf "$dir"
}

free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

case "$cmd" in
stop) stop ;;
start)
    stop
    mkdir -p "$dir"
    data=$(mktemp -d /tmp/qfc-pg.XXXXXX)
    echo "$data" > "$dir/cluster"
    mkdir -p "$data/data" "$data/run"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$data"; chmod 755 "$data"; fi
    as_owner "$bin/initdb" -D "$data/data" -U qfc --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port) || { echo "postgres.sh: no free port" >&2; exit 1; }
    # A test cluster: durability of PostgreSQL itself is not under test, speed is welcome.
    as_owner "$bin/pg_ctl" -D "$data/data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -k $data/run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null || { cat "$data/server.log" >&2; exit 1; }
    echo "postgresql://qfc@127.0.0.1:$port/postgres" > "$dir/url"
    chmod 644 "$dir/url"
    echo "PostgreSQL test cluster on 127.0.0.1:$port ($data)"
    ;;
*) echo "usage: $0 start|stop <dir>" >&2; exit 64 ;;
esac
