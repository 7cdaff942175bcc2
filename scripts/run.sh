#!/usr/bin/env bash
# README command 1: installs what is missing (packages, MNIST), builds, and launches the DigitLab GUI.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$top/packaging/setup-debian.sh"
"$top/scripts/build.sh"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "run: no display (DISPLAY/WAYLAND_DISPLAY unset): everything is set up and built;" >&2
  echo "     start the GUI from a desktop session with: $top/build/app/digitlab" >&2
  echo "     (or headless: xvfb-run -a $top/build/app/digitlab)" >&2
  exit 1
fi
exec "$top/build/app/digitlab" "$@"
