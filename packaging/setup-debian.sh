#!/usr/bin/env bash
# One place for everything DigitLab needs on Debian 12: the packages, then MNIST.
# Used by both README commands (scripts/run.sh, scripts/test.sh) and so by CI.
# Idempotent and quiet: installs only what is missing, fetches only what is absent or wrong.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

# Runtime + build packages. libqt6opengl6-dev: Qt6Charts' CMake config requires Qt6::OpenGL.
# python3-torch is only for bench/seed_reference.py (the side-by-side benchmark), not for tests.
packages=(
  g++ cmake ninja-build ccache pkg-config git ca-certificates curl
  libtorch-dev qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev
  zlib1g-dev catch2 xvfb xauth fonts-dejavu-core
  libssl-dev  # libcrypto for the data files' MD5 and SHA-256 (core/digest.h): 10x Qt's SHA-256
  libqt6sql6-sqlite  # the run database (core/runstore.cpp): Qt SQL's SQLite driver, a plugin
  # ONNX export (core/onnxexport.cpp) and its interop test (tests/interop/check_exports.py)
  libonnx-dev libprotobuf-dev python3-numpy python3-onnx python3-opencv python3-torch
  help2man dpkg-dev desktop-file-utils appstream lintian  # the .deb: man pages, Depends (dpkg-shlibdeps), checks
  dataset-fashion-mnist  # Fashion-MNIST's four files in /usr/share/datasets/fashion-mnist (docs/datasets.md)
  # scripts/fuzz.sh (CI): clang-14 and its runtime, which ships libFuzzer and the sanitizers.
  clang-14 libclang-rt-14-dev
)

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# One dpkg-query for all of them (scripts/test.sh runs this every time: one process, not thirty).
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null | awk '/ install ok installed$/ {print $1}' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
# npm only names the registry of the fallback MNIST source (`npm config get registry`); a machine
# that already has node+npm (any source) keeps its own.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Fresh machines have no package lists yet; refresh them once when apt has none or they are stale.
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] || \
     [ -n "$(find /var/lib/apt/lists -maxdepth 0 -mmin +1440 2>/dev/null)" ]; then
    sudo_ apt-get update -q >/dev/null
  fi
  sudo_ apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/digitlab-apt.log 2>&1 || {
    echo "setup: apt-get install failed, see /tmp/digitlab-apt.log" >&2; tail -20 /tmp/digitlab-apt.log >&2; exit 1; }
fi

# MNIST: fetch-mnist.sh builds digitlab-cli (when needed) and runs its fetch-data.
"$here/fetch-mnist.sh" "${DIGITLAB_DATA:-$top/data/mnist}"
