#!/usr/bin/env bash
# Training speed of this tree against another commit, measured alternately in one run (the
# machines are shared: only ratios taken side by side mean anything).
#   bench/compare_train.sh BASE_COMMIT [ROUNDS] [bench_train options...]
# Builds BASE_COMMIT's bench_train in a git worktree under build-base/ (kept for the next call),
# uses this tree's build/bench_train (run `make` first), then runs the two alternately ROUNDS
# times (default 2) with the given options (default: -batch 16 -iterations 5), with the AVX-512
# kernels where the CPU has them and again under ONEDNN_MAX_CPU_ISA=AVX2, and prints each run's
# "ms per image" lines and the ratio base/ours per network.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 BASE_COMMIT [ROUNDS] [bench_train options...]" >&2; exit 2; }
BASE=$1; shift
ROUNDS=2
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then ROUNDS=$1; shift; fi
OPTS=("$@")
[ ${#OPTS[@]} -gt 0 ] || OPTS=(-batch 16 -iterations 5)
OURS=build/bench_train
[ -x "$OURS" ] || { echo "compare_train: build first (make)" >&2; exit 1; }
. bench/lib/base_build.sh
BASEBIN=$(base_build "$BASE" bench_train)
SHARED=${SHARED:-../shared}
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); base $(git -C "$BASE_WT" rev-parse --short HEAD), ours $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (uncommitted changes)')"
ISAS=(default)
grep -q avx512f /proc/cpuinfo && ISAS+=(AVX2)
for isa in "${ISAS[@]}"; do
  for r in $(seq "$ROUNDS"); do
    for who in base ours; do
      bin=$OURS; [ $who = base ] && bin=$BASEBIN
      if [ $isa = AVX2 ]; then out=$(ONEDNN_MAX_CPU_ISA=AVX2 "$bin" "$SHARED" "${OPTS[@]}"); else out=$("$bin" "$SHARED" "${OPTS[@]}"); fi
      echo "$out" | grep -E "ms per image" | sed "s/^/$isa round $r $who: /"
    done
  done
done | tee /dev/stderr | /usr/bin/python3 -c '
import re, sys, statistics
t = {}
for line in sys.stdin:
    m = re.match(r"(\S+) round \d+ (base|ours): (.*?): oneDNN ([0-9.]+) ms per image", line)
    if m: t.setdefault((m.group(1), m.group(3)), {}).setdefault(m.group(2), []).append(float(m.group(4)))
for (isa, net), v in t.items():
    if "base" in v and "ours" in v:
        b, o = statistics.median(v["base"]), statistics.median(v["ours"])
        print("%-8s %-40s base %7.1f ms/image  ours %7.1f ms/image  base/ours %.3f" % (isa, net, b, o, b / o))
'
