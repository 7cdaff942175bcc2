#!/usr/bin/env bash
# Builds and runs the test suite under a sanitizer, through the CMake presets of the same name
# (docs/reliability.md, "Sanitizers"). Warnings are errors in these builds (DIGITLAB_WERROR).
#   scripts/sanitize.sh asan   the whole suite (core + UI tests) under ASan + UBSan + LeakSanitizer
#   scripts/sanitize.sh tsan   the worker/snapshot/controller tests under ThreadSanitizer
# Extra arguments go to ctest (e.g. -R pattern). Build folders: build-asan, build-tsan.
# Exit status: ctest's (any sanitizer report fails its test).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kind=${1:?usage: scripts/sanitize.sh asan|tsan [ctest arguments]}
shift
case $kind in
  asan | tsan) ;;
  *) echo "sanitize: unknown kind '$kind' (asan or tsan)" >&2; exit 2 ;;
esac
cd "$top"
# Clones in other folders (CI) share the compiler cache: paths are hashed relative to the tree.
export CCACHE_BASEDIR=$top
build=$top/build-$kind
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Configured every time (seconds when nothing changed): a folder made before a preset setting was
# added (DIGITLAB_CTEST_PER_CASE, whose case names the lists below match) gets it too.
cmake --preset "$kind" >"$log" 2>&1 || { cat "$log" >&2; echo "sanitize: cmake --preset $kind failed" >&2; exit 1; }
start=$SECONDS
echo "sanitize: building $kind (from cold about 30 min on 2 cores)..." >&2
nice cmake --build --preset "$kind" >"$log" 2>&1 || {
  grep -E 'error|warning|FAILED' -A3 "$log" | head -80 >&2; echo "sanitize: $kind build failed (full log: cmake --build --preset $kind)" >&2; exit 1; }
echo "sanitize: $kind build took $((SECONDS - start)) s" >&2

# The data the suite reads: the same MNIST folder as the release tests.
export QT_QPA_PLATFORM=offscreen
start=$SECONDS
status=0
# One regular expression from a list file: its non-comment lines joined with '|' (may be empty).
patterns() { { grep -v -e '^#' -e '^$' "$1" || true; } | paste -sd'|' -; }
if [ "$kind" = asan ]; then
  # The whole suite except what asan-excluded.txt lists (each with its reason).
  exclude=$(patterns scripts/sanitizers/asan-excluded.txt)
  ctest --preset asan ${exclude:+-E "$exclude"} "$@" || status=$?
else
  # The threads: the trainer's thread team, stop/pause from another thread, the snapshots.
  # --no-tests=error: a list that matches nothing (renamed cases) fails instead of passing empty.
  ctest --preset tsan --no-tests=error -R "$(patterns scripts/sanitizers/tsan-tests.txt)" "$@" || status=$?
fi
echo "sanitize: $kind tests took $((SECONDS - start)) s" >&2
exit $status
