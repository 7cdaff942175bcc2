#!/usr/bin/env bash
# README command 2: installs what is missing (packages, MNIST), builds, and runs the whole test
# suite through ctest (widget tests offscreen). Exit status: ctest's.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$top/packaging/setup-debian.sh"
"$top/scripts/build.sh"
export QT_QPA_PLATFORM=offscreen
# One test file per core at once (issue 16): every test passes on a loaded machine (they assert on
# state and counters, never on wall-clock windows), and each file's own process start and waits
# leave a core idle otherwise. DIGITLAB_TEST_JOBS=1 runs them one at a time.
exec ctest --test-dir "${DIGITLAB_BUILD_DIR:-$top/build}" --output-on-failure \
  --parallel "${DIGITLAB_TEST_JOBS:-$(nproc)}" "$@"
