#!/usr/bin/env bash
# Configures (once, `cmake --preset release`) and builds DigitLab in build/ with Ninja; quiet
# unless something fails.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath -m "${DIGITLAB_BUILD_DIR:-$top/build}")  # absolute: the script cds to the tree
# Clones in other folders (CI) share the compiler cache: paths are hashed relative to the tree.
export CCACHE_BASEDIR=$top
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd "$top"
# The release preset (CMakePresets.json) holds the settings; DIGITLAB_BUILD_DIR (CI, other clones)
# only moves its folder.
if [ ! -f "$build/build.ninja" ]; then
  cmake --preset release -B "$build" >"$log" 2>&1 || {
    cat "$log" >&2; echo "build: cmake --preset release failed" >&2; exit 1; }
fi
# Count first (grep -q would close the pipe early and, with pipefail, read as "nothing to do").
pending=$(ninja -C "$build" -n 2>/dev/null | grep -c '^\[' || true)
if [ "${pending:-0}" -gt 0 ]; then
  echo "build: compiling $pending steps (a first build takes a few minutes on 2 cores)..." >&2
  if [ "$build" = "$top/build" ]; then build_cmd=(cmake --build --preset release); else build_cmd=(cmake --build "$build"); fi
  "${build_cmd[@]}" >"$log" 2>&1 || { grep -E 'error|FAILED' -A3 "$log" | head -60 >&2; echo "build: failed (full log: ${build_cmd[*]})" >&2; exit 1; }
fi
