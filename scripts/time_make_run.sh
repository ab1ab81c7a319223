#!/bin/bash
# Time `make run` on a fresh clone with an empty pip cache, as a newcomer would run it (README, Speed).
#
#   scripts/time_make_run.sh DIR PORT [REV]     e.g. scripts/time_make_run.sh /tmp/fresh-1 7874 HEAD
#
# Clones this repository into DIR (removed first), checks out REV, runs `make run` with TOOLKIT_PORT=PORT and
# PIP_CACHE_DIR set to a new empty folder, and prints the seconds from `make run` to: the app's first page
# (HTTP 200 of /), /healthz 200 (English questions answered), and "Every index is built" in its output. Then it
# stops the server it started (by pid) and removes the pip cache folder. The timestamped output is in DIR.log.
set -u
DIR=$1; PORT=$2; REV=${3:-HEAD}
SRC=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
REV=$(git -C "$SRC" rev-parse "$REV")
rm -rf "$DIR"; git clone -q "$SRC" "$DIR" && cd "$DIR" && git checkout -q "$REV" || exit 1
git log --oneline -1
unset PYTHONPATH $(env | grep -o '^TOOLKIT_[A-Z_]*')
export TOOLKIT_PORT=$PORT
PIP_CACHE_DIR=$(mktemp -d /tmp/pipcache-XXXX); export PIP_CACHE_DIR
T0=$(date +%s.%N)
since() { echo "$(date +%s.%N) - $T0" | bc; }
( make run 2>&1 | while IFS= read -r line; do printf '%7.1f %s\n' "$(since)" "$line"; done ) > "$DIR.log" 2>&1 &
JOB=$!
wait_for() {  # wait_for LABEL CHECK-COMMAND...
  local label=$1; shift
  until "$@"; do
    kill -0 $JOB 2>/dev/null || { echo "$label: make exited first"; return 1; }
    sleep 1
  done
  echo "$label $(since)" | tee -a "$DIR.log"
}
ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT$1")" = 200 ]; }
wait_for FIRST_PAGE ok / && wait_for HEALTHZ_200 ok /healthz && wait_for ALL_BUILT grep -q "Every index is built" "$DIR.log"
# stop the server this script started: the `serve` process among the descendants of its own job
descendants() { for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }
for pid in $(descendants $JOB); do
  if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "toolkit-assistant serve"; then kill -TERM "$pid"; fi
done
wait $JOB
rm -rf "$PIP_CACHE_DIR"
