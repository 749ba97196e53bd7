#!/bin/sh
# File transfer benchmark (prints numbers, not a test): upload and download throughput and the
# server's peak resident memory for 100 MiB and 4 GiB files, qfc-server next to Debian's nginx
# on the same disk, with the same client (curl) and printed as qfc/nginx ratios.
#
#   qfc    upload:   POST files/<project>/<name>/ (multipart, curl -F): streamed to the upload
#                    spool, hashed, fsync'ed, renamed into the store, row committed, then 201
#          download: GET files/<project>/<name>/ (streamed from the store)
#   nginx  upload:   PUT /dav/<name> (ngx_http_dav_module: body to client_body_temp_path, then
#                    renamed into place; no fsync, no hashing)
#          download: GET /dav/<name> (static file, sendfile on)
#
# usage: bench/files/run.sh [QFC_SERVER] [SIZES_MIB]
#   QFC_SERVER  a Release qfc-server (default: build/release/app/qfc-server; `cmake --preset
#               release && cmake --build --preset release` builds it)
#   SIZES_MIB   space-separated file sizes in MiB (default "100 4096")
# Environment: BENCH_DIR (default: ${TMPDIR:-/tmp}) gets a temporary directory with the test
# files, QFC's data directory and nginx's root, all on one disk: about 3.3 x the largest size.
# Needs: nginx (scripts/install-deps.sh, BENCH group), curl, python3. Peak RSS is the kernel's
# VmHWM of the server process (qfc-server; nginx's single worker), reset before each transfer
# through /proc/<pid>/clear_refs. Each file is uploaded once per server with fresh random content
# (QFC de-duplicates equal contents), and read back while it is still in the page cache for both.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
QFC=${1:-$REPO/build/release/app/qfc-server}
SIZES=${2:-"100 4096"}
NGINX=${NGINX:-/usr/sbin/nginx}

[ -x "$QFC" ] || { echo "no qfc-server at $QFC (build the release preset first)" >&2; exit 2; }
[ -x "$NGINX" ] || { echo "no nginx at $NGINX (scripts/install-deps.sh installs it)" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }

RUN=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/qfc-bench-files.XXXXXX")
QFC_PID="" NGINX_PID=""
cleanup() {
    [ -n "$QFC_PID" ] && kill "$QFC_PID" 2>/dev/null && wait "$QFC_PID" 2>/dev/null
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
    rm -rf "$RUN"
}
trap cleanup EXIT INT TERM

largest=0
for s in $SIZES; do [ "$s" -gt "$largest" ] && largest=$s; done
need_kib=$((largest * 1024 * 33 / 10 + 1024 * 1024))
have_kib=$(df -Pk "$RUN" | awk 'NR == 2 { print $4 }')
if [ "$have_kib" -lt "$need_kib" ]; then
    echo "not enough space in $RUN: need $((need_kib / 1024)) MiB, have $((have_kib / 1024)) MiB" >&2
    exit 2
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# a file of $2 MiB of pseudo-random bytes (AES-CTR keystream: fast and incompressible)
make_file() {
    key=$(basename "$1")
    openssl enc -aes-128-ctr -nosalt -pass "pass:$key" -in /dev/zero 2>/dev/null \
        | head -c "$(($2 * 1024 * 1024))" >"$1"
}
rss_reset() { echo 5 >"/proc/$1/clear_refs"; }
rss_kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
# curl's "<http code> <seconds>" for a transfer; fails on an unexpected status
transfer() {
    want=$1
    shift
    out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' "$@")
    code=${out%% *}
    if [ "$code" != "$want" ]; then
        echo "transfer failed: HTTP $code (wanted $want): curl $*" >&2
        exit 1
    fi
    echo "${out#* }"
}
mibps() { python3 -c "print(f'{$1 / $2:.1f}')"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

# --- qfc-server ---------------------------------------------------------------------------------
mkdir -p "$RUN/qfc" "$RUN/files"
env -i PATH=/usr/bin:/bin LANG=C.UTF-8 QFC_PASSWORD_ITERATIONS=1000 \
    "$QFC" createuser --data-dir "$RUN/qfc" --username bench --email bench@example.com \
    >/dev/null 2>"$RUN/createuser.err" <<EOF || { cat "$RUN/createuser.err" >&2; exit 1; }
bench password 1234
EOF
QPORT=$(free_port)
env -i PATH=/usr/bin:/bin LANG=C.UTF-8 QFC_LOG_FILE=none QFC_ACCESS_LOG=false \
    "$QFC" serve --listen "127.0.0.1:$QPORT" --data-dir "$RUN/qfc" >"$RUN/qfc.log" 2>&1 &
QFC_PID=$!
i=0
until curl -fsS -o /dev/null "http://127.0.0.1:$QPORT/api/v1/status/" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 300 ] || { echo "qfc-server did not start:" >&2; cat "$RUN/qfc.log" >&2; exit 1; }
    sleep 0.1
done
API=http://127.0.0.1:$QPORT/api/v1
TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
    -d '{"username": "bench", "password": "bench password 1234"}' "$API/auth/token/" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
PROJECT=$(curl -fsS -H "Authorization: Token $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name": "bench"}' "$API/projects/" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
AUTH="Authorization: Token $TOKEN"
# warm up the paths the transfers take, then the idle size
head -c 1048576 /dev/zero >"$RUN/files/warm.bin"
transfer 201 -H "$AUTH" -F "file=@$RUN/files/warm.bin" "$API/files/$PROJECT/warm.bin/" >/dev/null
transfer 200 -H "$AUTH" "$API/files/$PROJECT/warm.bin/" >/dev/null
sleep 0.5
QFC_IDLE=$(rss_kib "$QFC_PID" VmRSS)

# --- nginx (one worker, its own prefix, root on the same disk) ----------------------------------
NPORT=$(free_port)
mkdir -p "$RUN/nginx/www/dav" "$RUN/nginx/body" "$RUN/nginx/logs"
cat >"$RUN/nginx/nginx.conf" <<EOF
daemon off;
user $(id -un) $(id -gn);
worker_processes 1;
error_log $RUN/nginx/logs/error.log warn;
pid $RUN/nginx/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path $RUN/nginx/body;
    proxy_temp_path $RUN/nginx/body;
    fastcgi_temp_path $RUN/nginx/body;
    uwsgi_temp_path $RUN/nginx/body;
    scgi_temp_path $RUN/nginx/body;
    server {
        listen 127.0.0.1:$NPORT;
        root $RUN/nginx/www;
        client_max_body_size 0;
        location /dav/ {
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
        }
    }
}
EOF
"$NGINX" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/logs/error.log" &
NGINX_PID=$!
i=0
until curl -sS -o /dev/null "http://127.0.0.1:$NPORT/" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "nginx did not start:" >&2; cat "$RUN/nginx/logs/error.log" >&2; exit 1; }
    sleep 0.1
done
NWORKER=$(awk -v parent="$NGINX_PID" '$4 == parent { print $1; exit }' /proc/[0-9]*/stat 2>/dev/null || true)
[ -n "$NWORKER" ] || { echo "no nginx worker process" >&2; exit 1; }
NGINX_URL=http://127.0.0.1:$NPORT/dav
transfer 201 -T "$RUN/files/warm.bin" "$NGINX_URL/warm.bin" >/dev/null
transfer 200 "$NGINX_URL/warm.bin" >/dev/null
NGINX_IDLE=$(rss_kib "$NWORKER" VmRSS)

echo "$("$QFC" --version 2>/dev/null | head -1) ($QFC) vs $("$NGINX" -v 2>&1 | sed 's/.*: //')"
echo "disk: $(df -P "$RUN" | awk 'NR == 2 { print $1 }') ($RUN); $(nproc) cores"
echo "idle RSS: qfc ${QFC_IDLE} KiB, nginx worker ${NGINX_IDLE} KiB"
row() { printf '%-8s %-15s %10s %12s %7s %14s %15s %7s %9s %9s\n' "$@"; }
row size op "qfc MiB/s" "nginx MiB/s" ratio "qfc peak KiB" "nginx peak KiB" ratio "qfc +KiB" \
    "nginx +KiB"

for size in $SIZES; do
    name=f$size.bin
    make_file "$RUN/files/$name" "$size"
    for op in upload download; do
        if [ $op = upload ]; then
            rss_reset "$QFC_PID"
            qt=$(transfer 201 -H "$AUTH" -F "file=@$RUN/files/$name" "$API/files/$PROJECT/$name/")
            qr=$(rss_kib "$QFC_PID" VmHWM)
            rss_reset "$NWORKER"
            nt=$(transfer 201 -T "$RUN/files/$name" "$NGINX_URL/$name")
            nr=$(rss_kib "$NWORKER" VmHWM)
            # what nginx needs on top to be as durable as qfc's 201: an fsync of the stored file
            t0=$(date +%s.%N)
            sync "$RUN/nginx/www/dav/$name"
            t1=$(date +%s.%N)
            nft=$(python3 -c "print($nt + $t1 - $t0)")
            cmp -s "$RUN/files/$name" "$RUN/nginx/www/dav/$name" || { echo "nginx stored other bytes" >&2; exit 1; }
        else
            rss_reset "$QFC_PID"
            qt=$(transfer 200 -H "$AUTH" "$API/files/$PROJECT/$name/")
            qr=$(rss_kib "$QFC_PID" VmHWM)
            rss_reset "$NWORKER"
            nt=$(transfer 200 "$NGINX_URL/$name")
            nr=$(rss_kib "$NWORKER" VmHWM)
        fi
        qs=$(mibps "$size" "$qt")
        ns=$(mibps "$size" "$nt")
        row "${size}MiB" $op "$qs" "$ns" "$(ratio "$qs" "$ns")" "$qr" "$nr" "$(ratio "$qr" "$nr")" \
            $((qr - QFC_IDLE)) $((nr - NGINX_IDLE))
        if [ $op = upload ]; then
            ns=$(mibps "$size" "$nft")
            row "" "upload (+fsync)" "$qs" "$ns" "$(ratio "$qs" "$ns")" "" "" "" "" ""
        fi
    done
    # the stored blob is byte-identical to the source
    sha=$(sha256sum "$RUN/files/$name" | cut -d' ' -f1)
    listed=$(curl -fsS -H "$AUTH" "$API/files/$PROJECT/" | python3 -c "
import json, sys
print(next(f['sha256'] for f in json.load(sys.stdin) if f['name'] == '$name'))")
    [ "$sha" = "$listed" ] || { echo "qfc lists sha256 $listed for $name, the file has $sha" >&2; exit 1; }
    rm -f "$RUN/files/$name" "$RUN/nginx/www/dav/$name"
done
echo "(throughput: size / curl's time_total over loopback. qfc's upload includes hashing (sha256,"
echo " md5, S3 etag) and fsync before its 201, nginx's neither; 'upload (+fsync)' adds the time of"
echo " 'sync <file>' after nginx's PUT. Peak: VmHWM during the transfer; +KiB: over the idle RSS."
echo " Ratios are qfc/nginx: > 1 on throughput and < 1 on memory favour qfc.)"
