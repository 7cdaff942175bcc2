#!/usr/bin/env bash
# A preset's speed and accuracy over several seeds, side by side with Python PyTorch (issue 17).
#   bench/presets.sh [PRESET=fast] [SEEDS=5]
# For each seed: `digitlab-cli train --preset PRESET --seed S` (whole process timed: start, load
# MNIST, train, evaluate every epoch, save, exit), then the same network (from the model file
# `digitlab-cli export --pytorch` writes) and the same recipe (`digitlab-cli arch --preset` prints
# it) trained by bench/preset_pytorch.py in Python PyTorch with the same thread count, interleaved
# so both see the same machine load. Prints each run, then medians: seconds per training epoch
# (evaluation excluded on both sides), the ratio, whole-process seconds, accuracy, and how many
# seeds reached the goal. Augmentation and holdout are DigitLab-only: the Python side runs the
# recipe without them (fine for `fast`, which has neither). Needs a build and python3-torch.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-fast}
seeds=${2:-5}
threads=${THREADS:-2}
cli=$top/build/app/digitlab-cli
export DIGITLAB_DATA=${DIGITLAB_DATA:-$top/data/mnist}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

recipe=$("$cli" arch --preset "$preset" | sed -n 's/^recipe: //p')
[ -n "$recipe" ] || { echo "no recipe for preset $preset" >&2; exit 1; }
# The Python side takes the options it knows (epochs, batch, lr, optimizer, schedule, momentum, weight decay).
pyrecipe=$(echo "$recipe" | awk '{for (i = 1; i < NF; i += 2) if ($i ~ /^--(epochs|batch-size|lr|optimizer|schedule|momentum|weight-decay)$/) printf "%s %s ", $i, $(i+1)}')
echo "preset $preset: $recipe"
echo "threads $threads; uptime before: $(uptime)"
for s in $(seq "$seeds"); do
  /usr/bin/time -f '%e' -o "$tmp/time" "$cli" train --preset "$preset" --seed "$s" --threads "$threads" --no-record \
    --out "$tmp/c.pt" >"$tmp/cpp.log" 2>/dev/null
  wall=$(cat "$tmp/time")
  acc=$(sed -n 's/^saved .*test accuracy \([0-9.]*\)%.*/\1/p' "$tmp/cpp.log")
  # Seconds per epoch from images/s (finer than the printed seconds); the training set less any holdout.
  images=$(( 60000 - $(echo "$recipe" | sed -n 's/.*--holdout \([0-9]*\).*/\1/p' | grep . || echo 0) ))
  grep '^epoch [0-9]*/[0-9]*  ' "$tmp/cpp.log" | grep -o '[0-9]* images/s' | awk -v n="$images" '{print n / $1}' >"$tmp/cpp.epochs"
  echo "$wall $acc $(median <"$tmp/cpp.epochs")" >>"$tmp/cpp"
  # The network's module (model.py beside the state_dict); PyTorch initialises its own weights.
  [ -f "$tmp/m.py" ] || "$cli" export --checkpoint "$tmp/c.pt" --pytorch "$tmp/m.pt" >/dev/null
  # shellcheck disable=SC2086
  /usr/bin/python3 "$top/bench/preset_pytorch.py" --module "$tmp/m.py" $pyrecipe --threads "$threads" --seed "$s" \
    --data "$DIGITLAB_DATA" >"$tmp/py.log"
  pyacc=$(tail -1 "$tmp/py.log" | sed -n 's/.*test accuracy \([0-9.]*\)%.*/\1/p')
  grep -o '[0-9]* images/s' "$tmp/py.log" | awk '{print 60000 / $1}' >"$tmp/py.epochs"
  echo "$pyacc $(median <"$tmp/py.epochs")" >>"$tmp/py"
  printf 'seed %s  DigitLab: %s%% in %s s whole process, %.2f s/epoch  |  PyTorch: %s%%, %.2f s/epoch\n' \
    "$s" "$acc" "$wall" "$(median <"$tmp/cpp.epochs")" "$pyacc" "$(median <"$tmp/py.epochs")"
done
echo "uptime after: $(uptime)"
cw=$(awk '{print $1}' "$tmp/cpp" | median); ca=$(awk '{print $2}' "$tmp/cpp" | median); ce=$(awk '{print $3}' "$tmp/cpp" | median)
pa=$(awk '{print $1}' "$tmp/py" | median); pe=$(awk '{print $2}' "$tmp/py" | median)
echo "medians over $seeds seeds:"
printf '  DigitLab  %.2f s/epoch  %.2f s whole process  %s%% test accuracy\n' "$ce" "$cw" "$ca"
printf '  PyTorch   %.2f s/epoch  %s%% test accuracy\n' "$pe" "$pa"
printf '  PyTorch / DigitLab per epoch: %.2fx\n' "$(awk -v a="$pe" -v b="$ce" 'BEGIN {print a / b}')"
if [ "$preset" = fast ]; then
  awk '$2 >= 99.0 && $1 <= 10 {n++} END {printf "  seeds at >= 99.0%% within 10 s: %d of %d\n", n, NR}' "$tmp/cpp"
fi
