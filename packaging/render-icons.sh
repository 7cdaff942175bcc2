#!/usr/bin/env bash
# Renders resources/icons/digitlab.svg into the committed hicolor PNG sizes (run after editing the
# SVG; needs rsvg-convert from librsvg2-bin). The build installs the SVG and these PNGs as they are.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for size in 16 22 24 32 48 64 128 256; do
  rsvg-convert -w "$size" -h "$size" "$top/resources/icons/digitlab.svg" -o "$top/resources/icons/digitlab-$size.png"
done
