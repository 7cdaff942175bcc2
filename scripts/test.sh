#!/usr/bin/env bash
# README command 2: installs what is missing (packages, MNIST), builds, and runs the whole test
# suite through ctest (widget tests offscreen). Exit status: ctest's.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$top/packaging/setup-debian.sh"
"$top/scripts/build.sh"
export QT_QPA_PLATFORM=offscreen
# Serial: the training tests each use both cores, and timing-sensitive widget tests (pause, stop,
# responsiveness) should not compete with another test for them.
exec ctest --test-dir "${DIGITLAB_BUILD_DIR:-$top/build}" --output-on-failure "$@"
