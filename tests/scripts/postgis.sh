#!/bin/bash
# Starts (or stops) the throw-away PostGIS of the test suite: the PostgreSQL 15 + PostGIS 3 server
# that the worker's PostGIS cases (spec/worker.md §6.1 DA-26, §6.2 PK-02/PK-07, §6.3 PP-07/PP-08)
# and the confinement test tests/jobs/tst_postgis_confined.cpp connect to.
#   tests/scripts/postgis.sh start <dir>
#   tests/scripts/postgis.sh stop <dir>
#
# Why a host of its own: a confined worker (libqfc/platform/sandbox.h, spec/worker.md §7.8) runs
# in a network namespace of its own; with the `outbound` network option slirp4netns
# (--disable-host-loopback) gives it the *other hosts* the machine reaches, never the machine's
# loopback, where QFC's own database lives (the `postgres` fixture, tests/scripts/postgres.sh). A
# PostGIS on 127.0.0.1 would therefore be unreachable for a confined worker, and reaching it would
# be a confinement bug. So, as root (CI runs as root), this script makes the PostGIS a separate
# host:
#   - a network namespace `qfcpgis<N>` (N = 0..255, the first free one from a random start) with
#     `lo` up, joined to the host by a veth pair `qfcpgis<N>h` (host side, 10.233.N.1/30) and
#     `qfcpgis<N>n` (namespace side, 10.233.N.2/30); N is free when neither the namespace, the
#     interfaces nor any address or route in 10.233.N.0/30 exist yet;
#   - a PostgreSQL 15 cluster initialised and started INSIDE that namespace (`ip netns exec
#     qfcpgis<N> runuser -u postgres -- pg_ctl ...`), listening on 10.233.N.2:5432 only. TCP
#     clients need a password (scram-sha-256, one login role with a random password); `trust`
#     exists only for the superuser `postgres` on the cluster's private Unix socket directory
#     (0700, owned by postgres), which loads the fixtures;
#   - the databases and their SQL fixtures from tests/data/postgis/ (one database per case family):
#       qfc_geodb1, qfc_geodb2    pgservice.sql           services geodb1, geodb2 (PP-07)
#       qfc_effective_user        effective_user.sql      service qfctestci, view point_view
#                                                         readable by role qfctestci (PP-08)
#       qfc_package               package.sql             core/delta/project2.qgs (PK-02)
#       qfc_package_multipoint    package_multipoint.sql  project2.qgs on MultiPoint (PK-07)
#       qfc_delta                 delta.sql               service qfc_test_delta (DA-26)
#     roles.sql creates the login role and the NOLOGIN role qfctestci (granted to it).
# The tests on the host reach 10.233.N.2 through the veth pair; a confined worker with `outbound`
# reaches it through slirp4netns like any other host, while 127.0.0.1 stays its own namespace's.
#
# Without root (a developer machine) there are no namespaces to create: the cluster runs on a free
# port of 127.0.0.1 instead (said on stdout, QFC_POSTGIS_MODE=loopback): the worker tests, which
# run the worker unconfined, still work; the confinement test skips.
#
# Written to <dir>:
#   pg_service.conf   services geodb1, geodb2, qfctestci, qfc_test_delta (0644): what the pgservice
#                     secrets of the jobs would hold, for QFC_TEST_PGSERVICEFILE
#   env               QFC_POSTGIS_* shell assignments: MODE (netns|loopback), NETNS, HOST_SIDE,
#                     HOST, PORT, USER, PASSWORD, EFFECTIVE_USER and DB_<FAMILY> database names
#   cluster, netns    what `stop` tears down
# Failing to start is an error: the suite needs this server; a start that fails half-way tears
# down what it made. `stop` removes the cluster, the veth pair, the namespace and <dir>; it is
# idempotent (nothing to stop is not an error). `start` stops what <dir> names first.
# Ports: in a namespace the cluster takes 5432 of its own address and no port of the host, so it
# never meets tests/scripts/postgres.sh (QFC's own database, a free port of 127.0.0.1); in loopback
# mode a port taken between the probe and the bind (e.g. by postgres.sh starting at the same
# time) is retried with another one.
set -euo pipefail
cmd=${1:?start|stop}
dir=$(realpath -m "${2:?directory}")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fixtures=$(realpath "$here/../data/postgis")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "postgis.sh: PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2; exit 1; }
pgversion=$(basename "$(dirname "$bin")")
if [ "${1:-}" = start ] && [ ! -f "/usr/share/postgresql/$pgversion/extension/postgis.control" ]; then
    echo "postgis.sh: PostGIS for PostgreSQL $pgversion not installed (postgresql-$pgversion-postgis-3, scripts/install-deps.sh)" >&2
    exit 1
fi
root=0
[ "$(id -u)" -eq 0 ] && root=1

as_owner() {
    if [ "$root" -eq 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
    local data ns
    data=$(cat "$dir/cluster" 2>/dev/null || true)
    ns=$(cat "$dir/netns" 2>/dev/null || true)
    if [ -n "$data" ] && [ -f "$data/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$data/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if [ -n "$ns" ]; then
        ip link del "${ns}h" >/dev/null 2>&1 || true # takes its peer in the namespace with it
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
        ip netns del "$ns" >/dev/null 2>&1 || true
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

# Creates qfcpgis<N> and its veth pair for the first free N; prints N. Every step is checked
# explicitly: `set -e` does not apply inside a function called as `n=$(make_netns) || ...`.
make_netns() {
    local start n ns
    start=$(( RANDOM % 256 ))
    for i in $(seq 0 255); do
        n=$(( (start + i) % 256 ))
        ns=qfcpgis$n
        if ip -o -4 addr show | grep -q " 10\.233\.$n\." || ip -4 route show | grep -q "^10\.233\.$n\." \
            || ip link show "${ns}h" >/dev/null 2>&1; then
            continue
        fi
        ip netns add "$ns" 2>/dev/null || continue # taken (also by a concurrent start)
        echo "$ns" > "$dir/netns" || return 1
        if ! { ip link add "${ns}h" type veth peer name "${ns}n" netns "$ns" \
            && ip addr add "10.233.$n.1/30" dev "${ns}h" \
            && ip link set "${ns}h" up \
            && ip -n "$ns" addr add "10.233.$n.2/30" dev "${ns}n" \
            && ip -n "$ns" link set "${ns}n" up \
            && ip -n "$ns" link set lo up; }; then
            echo "postgis.sh: cannot set up the veth pair of $ns" >&2
            return 1
        fi
        echo "$n"
        return 0
    done
    echo "postgis.sh: no free network namespace qfcpgis0..255 / 10.233.N.0/30" >&2
    return 1
}

# Starts the cluster (inside the namespace when there is one) on $port. Returns 1 when the server
# did not come up; the caller picks another port in loopback mode (a port taken between
# free_port and the bind, e.g. by tests/scripts/postgres.sh starting at the same time).
start_server() {
    local launcher=()
    [ "$mode" = netns ] && launcher=(ip netns exec "$ns" runuser -u postgres --)
    "${launcher[@]}" "$bin/pg_ctl" -D "$data/data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -k $data/run -c listen_addresses=$host -c password_encryption=scram-sha-256 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >/dev/null 2>&1
}

stop_on_failure() {
    local rc=$?
    [ "$rc" -eq 0 ] || stop
    exit "$rc"
}

psql_admin() { # <database> [psql arguments...]
    local db=$1
    shift
    as_owner "$bin/psql" -X -q -h "$data/run" -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 "$@"
}

case "$cmd" in
stop) stop ;;
start)
    stop
    # A start that fails half-way leaves nothing behind (cluster, namespace, veth pair).
    trap stop_on_failure EXIT
    mkdir -p "$dir"
    data=$(mktemp -d /tmp/qfc-pgis.XXXXXX)
    echo "$data" > "$dir/cluster"
    mkdir -p "$data/data" "$data/run"
    if [ "$root" -eq 1 ]; then
        chown -R postgres: "$data"
        chmod 755 "$data"
    fi
    chmod 700 "$data/run"
    if [ "$root" -eq 1 ]; then
        n=$(make_netns) || exit 1
        ns=qfcpgis$n
        mode=netns
        host=10.233.$n.2
        host_side=10.233.$n.1
        client_net=10.233.$n.0/30
        port=5432
    else
        echo "postgis.sh: not root: no network namespace, PostGIS on 127.0.0.1 instead (the confinement test skips)"
        ns=
        mode=loopback
        host=127.0.0.1
        host_side=
        client_net=127.0.0.1/32
        port=$(free_port) || { echo "postgis.sh: no free port" >&2; exit 1; }
    fi
    as_owner "$bin/initdb" -D "$data/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 --no-sync \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # TCP only with a password, and only from the veth network (or the loopback fallback); the
    # superuser only on the private socket directory.
    cat > "$data/data/pg_hba.conf" <<EOF
# TYPE  DATABASE  USER      ADDRESS          METHOD
local   all       postgres                   trust
host    all       all       $client_net      scram-sha-256
EOF
    [ "$root" -eq 1 ] && chown postgres: "$data/data/pg_hba.conf"
    # A test cluster: durability of PostgreSQL itself is not under test, speed is welcome.
    # The server process lives in the namespace: its only addresses are 10.233.N.2 and its own lo.
    started=0
    for _ in 1 2 3 4 5; do
        if start_server; then started=1; break; fi
        [ "$mode" = loopback ] || break
        grep -q "could not bind\|Address already in use" "$data/server.log" 2>/dev/null || break
        port=$(free_port) || break
    done
    [ "$started" -eq 1 ] || { echo "postgis.sh: the PostGIS test cluster did not start" >&2; cat "$data/server.log" >&2; exit 1; }

    user=qfc_postgis
    password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    # One psql session loads everything (\connect switches databases). PostGIS is installed once
    # into a template (CREATE EXTENSION takes seconds); the fixtures still say CREATE EXTENSION IF
    # NOT EXISTS postgis, so each stands on its own.
    databases=(qfc_geodb1:pgservice.sql qfc_geodb2:pgservice.sql qfc_effective_user:effective_user.sql
        qfc_package:package.sql qfc_package_multipoint:package_multipoint.sql qfc_delta:delta.sql)
    {
        echo "\\i '$fixtures/roles.sql'"
        echo "CREATE DATABASE qfc_postgis_template;"
        echo "\\connect qfc_postgis_template"
        echo "CREATE EXTENSION postgis;"
        for entry in "${databases[@]}"; do
            echo "\\connect postgres"
            echo "CREATE DATABASE ${entry%%:*} TEMPLATE qfc_postgis_template;"
            echo "\\connect ${entry%%:*}"
            echo "\\i '$fixtures/${entry#*:}'"
        done
    } > "$dir/load.sql"
    PGOPTIONS='-c client_min_messages=warning' psql_admin postgres -v user="$user" -v password="$password" \
        -f - < "$dir/load.sql" || { echo "postgis.sh: loading the fixtures of tests/data/postgis failed" >&2; exit 1; }

    service() { # <name> <database>
        printf '[%s]\nhost=%s\nport=%s\ndbname=%s\nuser=%s\npassword=%s\nsslmode=disable\n\n' \
            "$1" "$host" "$port" "$2" "$user" "$password"
    }
    {
        service geodb1 qfc_geodb1
        service geodb2 qfc_geodb2
        service qfctestci qfc_effective_user
        service qfc_test_delta qfc_delta
    } > "$dir/pg_service.conf"
    cat > "$dir/env" <<EOF
QFC_POSTGIS_MODE=$mode
QFC_POSTGIS_NETNS=$ns
QFC_POSTGIS_HOST_SIDE=$host_side
QFC_POSTGIS_HOST=$host
QFC_POSTGIS_PORT=$port
QFC_POSTGIS_USER=$user
QFC_POSTGIS_PASSWORD=$password
QFC_POSTGIS_EFFECTIVE_USER=qfctestci
QFC_POSTGIS_DB_GEODB1=qfc_geodb1
QFC_POSTGIS_DB_GEODB2=qfc_geodb2
QFC_POSTGIS_DB_EFFECTIVE_USER=qfc_effective_user
QFC_POSTGIS_DB_PACKAGE=qfc_package
QFC_POSTGIS_DB_PACKAGE_MULTIPOINT=qfc_package_multipoint
QFC_POSTGIS_DB_DELTA=qfc_delta
EOF
    chmod 644 "$dir/pg_service.conf" "$dir/env"

    # Checks over TCP from this host, as the tests connect: the password works, a wrong one and a
    # missing one do not (no trust on the address).
    PGPASSWORD=$password PGCONNECT_TIMEOUT=10 "$bin/psql" -X -q -At -h "$host" -p "$port" -U "$user" -d qfc_geodb1 \
        -c "SELECT count(*) FROM public.point" >/dev/null \
        || { echo "postgis.sh: $user cannot connect to $host:$port" >&2; cat "$data/server.log" >&2; exit 1; }
    if PGPASSWORD=wrong-password PGCONNECT_TIMEOUT=10 "$bin/psql" -X -q -w -h "$host" -p "$port" -U "$user" -d qfc_geodb1 \
        -c "SELECT 1" >/dev/null 2>&1; then
        echo "postgis.sh: $host:$port accepts a wrong password" >&2
        exit 1
    fi
    if [ "$mode" = netns ]; then
        echo "PostGIS test cluster on $host:$port in network namespace $ns (host side $host_side, veth ${ns}h/${ns}n; $data)"
    else
        echo "PostGIS test cluster on $host:$port ($data)"
    fi
    ;;
*) echo "usage: $0 start|stop <dir>" >&2; exit 64 ;;
esac
