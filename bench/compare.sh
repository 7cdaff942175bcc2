#!/usr/bin/env bash
# Side-by-side: digitlab-cli train vs the Python seed (bench/seed_reference.py) on the same IDX
# files, interleaved so that both see the same machine load. Prints each run's epoch lines.
#   bench/compare.sh [EPOCHS_FOR_SPEED=2] [EPOCHS_FOR_ACCURACY=15]
# Needs a build (scripts/build.sh) and Debian's python3-torch + python3-torchvision.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
speed_epochs=${1:-2}
acc_epochs=${2:-15}
cli=$top/build/app/digitlab-cli
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for threads in 1 2; do
  echo "== speed, $threads thread(s), $speed_epochs epochs"
  echo "-- C++ digitlab-cli"
  "$cli" train --epochs "$speed_epochs" --threads "$threads" --out "$tmp/c.pt" 2>/dev/null | grep '^epoch'
  echo "-- Python seed"
  /usr/bin/python3 "$top/bench/seed_reference.py" --epochs "$speed_epochs" --threads "$threads"
done
echo "== accuracy, 2 threads, $acc_epochs epochs"
echo "-- C++ digitlab-cli"
"$cli" train --epochs "$acc_epochs" --threads 2 --out "$tmp/c.pt" 2>/dev/null | grep '^epoch'
echo "-- Python seed"
/usr/bin/python3 "$top/bench/seed_reference.py" --epochs "$acc_epochs" --threads 2
