#!/usr/bin/env bash
# Configures (once) and builds DigitLab in build/ with Ninja; quiet unless something fails.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${DIGITLAB_BUILD_DIR:-$top/build}
# Clones in other folders (CI) share the compiler cache: paths are hashed relative to the tree.
export CCACHE_BASEDIR=$top
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 || {
    cat "$log" >&2; echo "build: cmake configure failed" >&2; exit 1; }
fi
# Count first (grep -q would close the pipe early and, with pipefail, read as "nothing to do").
pending=$(ninja -C "$build" -n 2>/dev/null | grep -c '^\[' || true)
if [ "${pending:-0}" -gt 0 ]; then
  echo "build: compiling $pending steps (a first build takes a few minutes on 2 cores)..." >&2
  ninja -C "$build" >"$log" 2>&1 || { grep -E 'error|FAILED' -A3 "$log" | head -60 >&2; echo "build: failed (full log: ninja -C $build)" >&2; exit 1; }
fi
