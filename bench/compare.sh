#!/usr/bin/env bash
# DigitLab's training speed against the Python seed, side by side in one run (issue 12).
#   bench/compare.sh [REPEATS=3] [EPOCHS=1]
#   BASELINE_CLI=/path/to/older/digitlab-cli bench/compare.sh ...   adds a before/after column
# Interleaves `digitlab-cli train` and bench/seed_reference.py (same IDX files, same recipe) at 1
# and 2 threads so both see the same machine load, then trains under one busy-loop process
# (robustness), then runs `digitlab-cli bench` quiet and beside the busy loop (evaluation and
# single-image latency). Prints medians over REPEATS and the ratios the issue's goals are stated
# in, and how much of the machine other processes used during the runs (the machine is shared:
# quote that with the numbers). Needs a build (scripts/build.sh) and Debian's python3-torch +
# python3-torchvision.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeats=${1:-3}
epochs=${2:-1}
cli=$top/build/app/digitlab-cli
seed="/usr/bin/python3 $top/bench/seed_reference.py"
export DIGITLAB_DATA=${DIGITLAB_DATA:-$top/data/mnist}
train_images=60000 # one epoch of MNIST's training set: seconds = this / images/s (finer than the printed seconds)
tmp=$(mktemp -d)
busy=
cleanup() { if [ -n "$busy" ]; then kill "$busy" 2>/dev/null || true; fi; rm -rf "$tmp"; }
trap cleanup EXIT

# "busy idle" jiffies of the whole machine (all cores).
jiffies() { awk '/^cpu /{t=0; for (i=2;i<=9;i++) t+=$i; print t - $5 - $6, $5 + $6}' /proc/stat; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# Runs a command; appends "<training s/epoch (median of its epochs)> <whole process s> <others' CPU share>"
# to file $1. Others' share: the machine's CPU time used outside this command while it ran, over all cores.
measure() {
  local file=$1; shift
  local log=$tmp/log j0 j1 tick
  tick=$(getconf CLK_TCK)
  j0=$(jiffies)
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" >"$log" 2>/dev/null
  j1=$(jiffies)
  local rate
  rate=$(grep -o '[0-9]* images/s' "$log" | awk '{print $1}' | median)
  read -r wall user sys <"$tmp/time"
  awk -v r="$rate" -v n="$train_images" -v w="$wall" -v u="$user" -v s="$sys" -v tk="$tick" -v a="$j0" -v b="$j1" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        busy = (y[1] - x[1]) / tk; all = (y[1] - x[1] + y[2] - x[2]) / tk;
        others = busy - u - s; if (others < 0) others = 0;
        printf "%.4f %.3f %.3f\n", n / r, w, (all > 0 ? others / all : 0) }' >>"$file"
  grep '^epoch' "$log" | tail -1 | sed 's/^/    /' >&2
}
col() { awk -v c="$1" '{print $c}' "$2" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
pct() { awk -v a="$1" 'BEGIN {printf "%.0f%%", 100 * a}'; }

echo "uptime before: $(uptime)"
start=$(date -u +%H:%M)
for r in $(seq "$repeats"); do
  for threads in 1 2; do
    echo "-- repeat $r, $threads thread(s)" >&2
    measure "$tmp/cpp$threads" "$cli" train --epochs "$epochs" --threads "$threads" --out "$tmp/c.pt"
    measure "$tmp/py$threads" $seed --epochs "$epochs" --threads "$threads"
    if [ -n "${BASELINE_CLI:-}" ]; then measure "$tmp/old$threads" "$BASELINE_CLI" train --epochs "$epochs" --threads "$threads" --out "$tmp/c.pt"; fi
  done
done
"$cli" bench --calls 2000 --batches 20 >"$tmp/bench" 2>/dev/null
echo "-- under one busy-loop process" >&2
sh -c 'while :; do :; done' &
busy=$!
for r in $(seq "$repeats"); do
  measure "$tmp/load1" "$cli" train --epochs 1 --threads 1 --out "$tmp/c.pt"
  measure "$tmp/load0" "$cli" train --epochs 1 --out "$tmp/c.pt"   # the default thread count
  if [ -n "${BASELINE_CLI:-}" ]; then measure "$tmp/oldload2" "$BASELINE_CLI" train --epochs 1 --threads 2 --out "$tmp/c.pt"; fi
done
"$cli" bench --calls 2000 --batches 20 >"$tmp/benchload" 2>/dev/null
kill "$busy"; busy=
echo "uptime after: $(uptime)"

others=$(cat "$tmp"/cpp* "$tmp"/py* | awk '{print $3}' | median)
echo
echo "Training seconds per epoch (evaluation excluded; $train_images / images/s) and whole process ($epochs epoch(s)),"
echo "medians of $repeats, $start-$(date -u +%H:%M) UTC; other processes used a median $(pct "$others") of the machine's CPU during these runs:"
echo
echo "| threads | DigitLab s/epoch | seed s/epoch | DigitLab / seed | DigitLab process | seed process | DigitLab / seed | others' CPU share (DigitLab / seed runs) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for threads in 1 2; do
  c=$(col 1 "$tmp/cpp$threads"); p=$(col 1 "$tmp/py$threads")
  cw=$(col 2 "$tmp/cpp$threads"); pw=$(col 2 "$tmp/py$threads")
  printf '| %s | %.2f s | %.2f s | %s | %.2f s | %.2f s | %s | %s / %s |\n' "$threads" "$c" "$p" "$(ratio "$c" "$p")" "$cw" "$pw" "$(ratio "$cw" "$pw")" \
    "$(pct "$(col 3 "$tmp/cpp$threads")")" "$(pct "$(col 3 "$tmp/py$threads")")"
done
if [ -n "${BASELINE_CLI:-}" ]; then
  echo
  echo "Before ($BASELINE_CLI) and after, training s/epoch:"
  echo
  echo "| | before | after | before / after |"
  echo "| --- | --- | --- | --- |"
  for threads in 1 2; do
    o=$(col 1 "$tmp/old$threads"); c=$(col 1 "$tmp/cpp$threads")
    printf '| %s thread(s) | %.2f s | %.2f s | %sx |\n' "$threads" "$o" "$c" "$(ratio "$o" "$c")"
  done
  printf '| busy loop, 2 threads before / default after | %.2f s | %.2f s | %sx |\n' \
    "$(col 1 "$tmp/oldload2")" "$(col 1 "$tmp/load0")" "$(ratio "$(col 1 "$tmp/oldload2")" "$(col 1 "$tmp/load0")")"
fi
c1=$(col 1 "$tmp/cpp1"); c2=$(col 1 "$tmp/cpp2"); p1=$(col 1 "$tmp/py1"); p2=$(col 1 "$tmp/py2")
l1=$(col 1 "$tmp/load1"); l0=$(col 1 "$tmp/load0")
echo
echo "Goal 1 (2 threads): training time DigitLab / seed = $(ratio "$c2" "$p2") (goal <= 0.333);" \
     "whole process = $(ratio "$(col 2 "$tmp/cpp2")" "$(col 2 "$tmp/py2")") (goal <= 0.4)"
echo "Goal 2 (scaling): DigitLab 2 threads = $(ratio "$c1" "$c2")x the images/s of 1 thread (goal >= 1.8); the seed: $(ratio "$p1" "$p2")x"
echo "Goal 3 (one busy loop): 1 thread $(printf %.2f "$l1") s/epoch, default threads $(printf %.2f "$l0") s/epoch:" \
     "default reaches $(ratio "$l1" "$l0")x of 1 thread (goal >= 0.9)"
echo
sed 's/^/digitlab-cli bench: /' "$tmp/bench"
sed 's/^/digitlab-cli bench beside one busy loop: /' "$tmp/benchload"
