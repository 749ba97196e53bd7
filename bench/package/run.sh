#!/bin/sh
# Package benchmark (prints numbers, not a test): qfc-worker's package job on the big project of
# shared/bench/make_big_project.sh next to ogr2ogr copying the same tables into one GeoPackage in
# the same run, worker start-up next to a bare QGIS init+exit, then check_package.py on the result.
#
# usage: bench/package/run.sh [QFC_TEST_WORKER_BINARY] [SCALE]
#   QFC_TEST_WORKER_BINARY  the qfc-worker binary (default: build/release/worker/qfc-worker)
#   SCALE       make_big_project.sh scale (default 1)
# Environment: BENCH_CACHE (default ~/.cache/qfc-bench) keeps the generated project between
# runs; SHARED (default <repo>/../shared) is where shared/bench lives.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORKER=${1:-$REPO/build/release/worker/qfc-worker}
SCALE=${2:-1}
SHARED=${SHARED:-$REPO/../shared}
CACHE=${BENCH_CACHE:-$HOME/.cache/qfc-bench}
PROJECT=$CACHE/big-scale$SCALE
TIME=/usr/bin/time

[ -x "$WORKER" ] || { echo "no qfc-worker at $WORKER" >&2; exit 2; }
[ -x "$TIME" ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }
if [ ! -f "$PROJECT/bench_manifest.json" ]; then
    echo "generating the big project (SCALE=$SCALE) into $PROJECT ..."
    rm -rf "$PROJECT"
    "$SHARED/bench/make_big_project.sh" "$PROJECT" "$SCALE" >/dev/null
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/qfc-bench-package.XXXXXX")
trap 'rm -rf "$RUN"' EXIT
W=$RUN/work
mkdir -p "$W/files" "$W/export" "$W/home" "$W/tmp" "$W/runtime" "$W/qgis-config"
chmod 700 "$W/runtime"
# as the runner lays it out: every project file except the attachment directory (DCIM)
(cd "$PROJECT" && find . -type f ! -path './DCIM/*' | while read -r f; do
    mkdir -p "$W/files/$(dirname "$f")"; cp "$f" "$W/files/$f"; done)

# "<seconds> <peak RSS MB>" of a command, from /usr/bin/time -v
measure() {
    "$TIME" -v -o "$RUN/time.txt" "$@" >"$RUN/out.txt" 2>&1 || { cat "$RUN/out.txt" >&2; return 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
                   for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
                /Maximum resident set size/ { rss = $2 / 1024 }
                END { printf "%.2f %.0f\n", wall, rss }' "$RUN/time.txt"
}

# the offline tables of the manifest (action "offline"), as ogr2ogr layer names
TABLES=$(/usr/bin/python3 -c "
import json, sys
m = json.load(open('$PROJECT/bench_manifest.json'))
names = []
for l in m['layers'].values():
    s = l['source']
    if l['action'] == 'offline' and 'layername=' in s:
        t = s.split('layername=')[1].split('|')[0]
        if t not in names: names.append(t)
print(' '.join(names))")

set -- $(measure env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME="$W/home" TMPDIR="$W/tmp" \
    XDG_RUNTIME_DIR="$W/runtime" QGIS_CUSTOM_CONFIG_PATH="$W/qgis-config" QT_QPA_PLATFORM=offscreen \
    QFIELDCLOUD_EXTRA_ENVVARS='[]' "$WORKER" package --project-id 3d0e8b3e-4a6f-4f7c-9b52-0b6c1f4e2a17 \
    --project-file project.qgs --workdir "$W")
PKG_WALL=$1 PKG_RSS=$2
cp "$RUN/out.txt" "$RUN/package.log"
grep -q '"error"' "$W/feedback.json" && { echo "the package job failed:" >&2; grep '"error"' "$W/feedback.json" >&2; exit 1; }

rm -f "$RUN/ogr2ogr.gpkg"
# shellcheck disable=SC2086
set -- $(measure ogr2ogr -f GPKG "$RUN/ogr2ogr.gpkg" "$W/files/survey.gpkg" $TABLES)
OGR_WALL=$1 OGR_RSS=$2

# start-up: the worker on a project without layers, and QGIS init+exit alone
S=$RUN/startup
mkdir -p "$S/files" "$S/export" "$S/home" "$S/tmp" "$S/runtime" "$S/qgis-config"
chmod 700 "$S/runtime"
printf '%s\n' "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>" \
    '<qgis version="3.22.16-Białowieża" projectname="empty"><projectlayers/></qgis>' >"$S/files/empty.qgs"
set -- $(measure env -i PATH=/usr/bin:/bin HOME="$S/home" TMPDIR="$S/tmp" XDG_RUNTIME_DIR="$S/runtime" \
    QGIS_CUSTOM_CONFIG_PATH="$S/qgis-config" QT_QPA_PLATFORM=offscreen QFIELDCLOUD_EXTRA_ENVVARS='[]' \
    "$WORKER" process_projectfile --project-id 3d0e8b3e-4a6f-4f7c-9b52-0b6c1f4e2a17 \
    --project-file empty.qgs --workdir "$S")
START_WALL=$1
set -- $(measure env QT_QPA_PLATFORM=offscreen HOME="$S/home" /usr/bin/python3 -c "
from qgis.core import QgsApplication
QgsApplication.setPrefixPath('/usr', True)
a = QgsApplication([], False); a.initQgis(); a.exitQgis()")
QGIS_WALL=$1

echo "project: $PROJECT (SCALE=$SCALE), tables: $TABLES"
printf '%-34s %8s %10s\n' "" "wall s" "peak MB"
printf '%-34s %8s %10s\n' "qfc-worker package" "$PKG_WALL" "$PKG_RSS"
printf '%-34s %8s %10s\n' "ogr2ogr, same tables, one GPKG" "$OGR_WALL" "$OGR_RSS"
printf '%-34s %8s\n' "ratio package / ogr2ogr" "$(awk "BEGIN { printf \"%.2f\", $PKG_WALL / $OGR_WALL }")"
printf '%-34s %8s\n' "qfc-worker start-up (empty project)" "$START_WALL"
printf '%-34s %8s\n' "bare QGIS init+exit (python3-qgis)" "$QGIS_WALL"
echo "check_package.py:"
/usr/bin/python3 "$SHARED/bench/check_package.py" "$PROJECT" "$W/export"
