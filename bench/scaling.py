#!/usr/bin/python3
"""Training images/s at 1 and 2 threads (or any list), alternating, with how much CPU the rest
of the machine used during each run, so that runs disturbed by other processes can be told apart.

    bench/scaling.py [--pairs 5] [--batches 300] [--threads 1,2] [--cli build/app/digitlab-cli]
                     [--quiet 0.10] [--wait 120]
    bench/scaling.py --threads 2 --cli old=/path/to/old/digitlab-cli,new=build/app/digitlab-cli

With several --cli builds, every (build, threads) pair runs once per round, in turn (A/B tests).

Each run is `digitlab-cli bench --threads T --batches B --calls 10`. "others" is the share of the
machine's CPU time (all cores) spent outside this run while it ran, from /proc/stat; with --quiet
each run waits (sleeping, up to --wait seconds) for the machine to be that idle, and is repeated
while others used more than that share during it. The
summary quotes medians of the kept runs and the ratio of the medians (issue 12's scaling goal).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_jiffies():
    with open('/proc/stat') as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]), idle


def wait_for_quiet(share, limit):
    """Polls (sleeping) until the machine's busy share over the last 2 s is at most `share`, or `limit` s pass."""
    start = time.time()
    while time.time() - start < limit:
        total0, idle0 = cpu_jiffies()
        time.sleep(2)
        total1, idle1 = cpu_jiffies()
        if total1 > total0 and 1 - (idle1 - idle0) / (total1 - total0) <= share:
            return True
    return False


def one_run(cli, threads, batches):
    # A build from outside the source tree would not find data/mnist by itself.
    env = dict(os.environ)
    data = os.path.join(HERE, '..', 'data', 'mnist')
    if 'DIGITLAB_DATA' not in env and os.path.isdir(data):
        env['DIGITLAB_DATA'] = data
    total0, idle0 = cpu_jiffies()
    r0 = os.times()
    out = subprocess.run([cli, 'bench', '--threads', str(threads), '--batches', str(batches), '--calls', '10'],
                         capture_output=True, text=True, check=True, env=env).stdout
    r1 = os.times()
    total1, idle1 = cpu_jiffies()
    tick = os.sysconf('SC_CLK_TCK')
    own = (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)
    busy = ((total1 - total0) - (idle1 - idle0)) / tick
    span = (total1 - total0) / tick  # all cores
    others = max(0.0, busy - own) / span if span > 0 else 0.0
    rate = float(re.search(r'training: (\d+) images/s', out).group(1))
    return rate, own, others


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--pairs', type=int, default=5)
    ap.add_argument('--batches', type=int, default=300)
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--cli', default=os.path.join(HERE, '..', 'build', 'app', 'digitlab-cli'))
    ap.add_argument('--quiet', type=float, default=None, help='repeat a run while others used more than this share')
    ap.add_argument('--wait', type=float, default=120, help='seconds to keep repeating one run (with --quiet)')
    a = ap.parse_args()
    counts = [int(t) for t in a.threads.split(',')]
    clis = [c.split('=', 1) if '=' in c else ['', c] for c in a.cli.split(',')]
    combos = [(name, path, t) for name, path in clis for t in counts]
    kept = {(name, t): [] for name, _, t in combos}
    cpu = {(name, t): [] for name, _, t in combos}
    for p in range(a.pairs):
        for name, path, t in combos:
            start = time.time()
            while True:
                if a.quiet is not None:
                    wait_for_quiet(a.quiet, max(1.0, a.wait - (time.time() - start)))
                rate, own, others = one_run(path, t, a.batches)
                ok = a.quiet is None or others <= a.quiet
                print(f'round {p + 1} {name} threads {t}: {rate:8.0f} images/s  own CPU {own:5.2f} s  others {others:5.1%}'
                      + ('' if ok else '  (disturbed, repeated)'), flush=True)
                if ok or time.time() - start > a.wait:
                    break
            if ok:
                kept[(name, t)].append(rate)
                cpu[(name, t)].append(own)
    print()
    for key, v in kept.items():
        if v:
            print(f'{key[0]} threads {key[1]}: median {statistics.median(v):.0f} images/s over {len(v)} runs '
                  f'(min {min(v):.0f}, max {max(v):.0f}), own CPU median {statistics.median(cpu[key]):.2f} s')
    if len(counts) == 2:
        for name, _ in clis:
            one, two = kept[(name, counts[0])], kept[(name, counts[1])]
            if one and two:
                ratio = statistics.median(two) / statistics.median(one)
                print(f'{name} scaling {counts[1]} vs {counts[0]} threads: {ratio:.2f}x (ratio of medians)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
