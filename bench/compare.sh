#!/usr/bin/env bash
# DigitLab's training speed against the Python seed, side by side in one run (issue 12).
#   bench/compare.sh [REPEATS=3] [EPOCHS=1]
#   BASELINE_CLI=/path/to/older/digitlab-cli bench/compare.sh ...   adds a before/after column
# Interleaves `digitlab-cli train` and bench/seed_reference.py (same IDX files, same recipe) so
# both see the same machine load, then trains under one busy-loop process (robustness), then
# runs `digitlab-cli bench` (evaluation and single-image latency). Prints medians over REPEATS
# and the ratios the issue's goals are stated in. Needs a build (scripts/build.sh) and Debian's
# python3-torch + python3-torchvision. Report `uptime` with the numbers: the machine is shared.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeats=${1:-3}
epochs=${2:-1}
cli=$top/build/app/digitlab-cli
seed="/usr/bin/python3 $top/bench/seed_reference.py"
tmp=$(mktemp -d)
busy=
cleanup() { [ -n "$busy" ] && kill "$busy" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# Runs a command; appends "<training seconds per epoch (median of its epochs)> <whole process seconds>" to file $1.
measure() {
  local file=$1; shift
  local t0 t1 log=$tmp/log
  t0=$(now)
  "$@" >"$log" 2>/dev/null
  t1=$(now)
  local secs
  secs=$(grep -o '[0-9.]* s  [0-9]* images/s' "$log" | awk '{print $1}' | median)
  echo "$secs $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" >>"$file"
  grep '^epoch' "$log" | tail -1 | sed 's/^/    /' >&2
}
col() { awk -v c="$1" '{print $c}' "$2" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

echo "uptime before: $(uptime)"
for r in $(seq "$repeats"); do
  for threads in 1 2; do
    echo "-- repeat $r, $threads thread(s)" >&2
    measure "$tmp/cpp$threads" "$cli" train --epochs "$epochs" --threads "$threads" --out "$tmp/c.pt"
    measure "$tmp/py$threads" $seed --epochs "$epochs" --threads "$threads"
    if [ -n "${BASELINE_CLI:-}" ]; then measure "$tmp/old$threads" "$BASELINE_CLI" train --epochs "$epochs" --threads "$threads" --out "$tmp/c.pt"; fi
  done
done
echo "-- under one busy-loop process" >&2
sh -c 'while :; do :; done' &
busy=$!
for r in $(seq "$repeats"); do
  measure "$tmp/load1" "$cli" train --epochs 1 --threads 1 --out "$tmp/c.pt"
  measure "$tmp/load0" "$cli" train --epochs 1 --out "$tmp/c.pt"   # the default thread count
  if [ -n "${BASELINE_CLI:-}" ]; then measure "$tmp/oldload2" "$BASELINE_CLI" train --epochs 1 --threads 2 --out "$tmp/c.pt"; fi
done
kill "$busy"; busy=
"$cli" bench --calls 2000 --batches 100 >"$tmp/bench" 2>/dev/null
echo "uptime after: $(uptime)"

echo
echo "Training seconds per epoch (evaluation excluded) and whole process ($epochs epoch(s)), medians of $repeats:"
echo
echo "| threads | DigitLab s/epoch | seed s/epoch | DigitLab / seed | DigitLab process | seed process | DigitLab / seed |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for threads in 1 2; do
  c=$(col 1 "$tmp/cpp$threads"); p=$(col 1 "$tmp/py$threads")
  cw=$(col 2 "$tmp/cpp$threads"); pw=$(col 2 "$tmp/py$threads")
  printf '| %s | %.2f s | %.2f s | %s | %.2f s | %.2f s | %s |\n' "$threads" "$c" "$p" "$(ratio "$c" "$p")" "$cw" "$pw" "$(ratio "$cw" "$pw")"
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
c1=$(col 1 "$tmp/cpp1"); c2=$(col 1 "$tmp/cpp2")
l1=$(col 1 "$tmp/load1"); l0=$(col 1 "$tmp/load0")
echo
echo "Scaling, DigitLab 2 threads vs 1: $(ratio "$c1" "$c2")x the images/s (goal >= 1.8)"
echo "Under one busy loop: 1 thread $(printf %.2f "$l1") s/epoch, default threads $(printf %.2f "$l0") s/epoch:" \
     "default reaches $(ratio "$l1" "$l0")x of 1 thread (goal >= 0.9)"
echo "Goal 1 (2 threads, training time): DigitLab / seed = $(ratio "$c2" "$(col 1 "$tmp/py2")") (goal <= 0.333)"
echo
sed 's/^/digitlab-cli bench: /' "$tmp/bench"
