#!/bin/sh
# Installs every Debian 12 package QFC needs to build, test and run. Idempotent; apt only.
# Run as root (or through sudo). Usage: scripts/install-deps.sh
set -eu
export DEBIAN_FRONTEND=noninteractive

# Server (Qt 6), tests and tooling.
SERVER="cmake ninja-build g++ pkg-config git ca-certificates curl
 qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev
 libqt6sql6-sqlite libqt6sql6-psql libqt6test6 qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
 qtkeychain-qt6-dev libsodium-dev libcurl4-openssl-dev libssl-dev libzip-dev sqlite3 libsqlite3-dev
 clang-format"
# Worker (Qt 5 + QGIS 3.22) and the GIS tools the tests compare against.
WORKER="libqgis-dev qgis-providers gdal-bin libgdal-dev"
# Confinement of the worker.
SANDBOX="bubblewrap libseccomp-dev iproute2 slirp4netns"
# Servers the test suite starts itself (PostgreSQL, PostGIS; a D-Bus session with
# gnome-keyring's Secret Service for the keychain key store, tests/api/tst_keychain.cpp).
TESTSERVERS="postgresql-15 postgresql-15-postgis-3 postgresql-client-15
 dbus-daemon gnome-keyring libsecret-1-0"
# BENCH: the benchmarks' tools (not needed to build, test or run QFC). bench/files/run.sh compares
# QFC with Debian's nginx (ngx_http_dav_module built in) serving and accepting the same files; it
# starts its own nginx (on a systemd host the package also enables the nginx service on port 80).
BENCH="nginx python3"

want=""
for p in $SERVER $WORKER $SANDBOX $TESTSERVERS $BENCH; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        want="$want $p"
    fi
done
if [ -z "$want" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $want
echo "install-deps: done"
