#!/usr/bin/env bash
# Real training speed of this tree's darknet against another commit's: `darknet detector train` on
# BCCD (data loading, augmentation, [yolo] targets and all) with cfg/yolov3-tiny-bccd.cfg (416,
# batch 16) and cfg/yolo-fastest-1.1-xl-bccd.cfg (320, batch 16), the two binaries alternately.
#   bench/compare_darknet_train.sh BASE_COMMIT [ROUNDS] [ITERATIONS]
# Builds BASE_COMMIT's darknet in a git worktree under build-base/ (kept), uses this tree's
# build/darknet (run `make` first). Each run trains ITERATIONS (default 6) iterations from random
# weights with -seed 3 and reports the seconds per iteration of iterations 3 and later (the first
# two touch new memory); ROUNDS (default 2) alternations per network, with the AVX-512 kernels
# where the CPU has them and again under ONEDNN_MAX_CPU_ISA=AVX2. Prints the medians and base/ours.
# KERNELS="default" (or "AVX2") and CFGS="cfg/yolov3-tiny-bccd.cfg" narrow the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 BASE_COMMIT [ROUNDS] [ITERATIONS]" >&2; exit 2; }
BASE=$1
ROUNDS=${2:-2}
ITER=${3:-6}
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $ITER =~ ^[1-9][0-9]*$ && $ITER -ge 3 ]] ||
  { echo "compare_darknet_train: ROUNDS must be >= 1 and ITERATIONS >= 3" >&2; exit 2; }
OURS=$PWD/build/darknet
[ -x "$OURS" ] || { echo "compare_darknet_train: build first (make)" >&2; exit 1; }
BCCD=${BCCD_DIR:-$PWD/../shared/datasets/bccd}
[ -f "$BCCD/bccd.data" ] || { echo "compare_darknet_train: no BCCD at $BCCD (set BCCD_DIR)" >&2; exit 1; }
. bench/lib/base_build.sh
BASEBIN=$PWD/$(base_build "$BASE" darknet)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
sed "s|^|$BCCD/|" "$BCCD/train.txt" > "$TMP/train.txt"
mkdir "$TMP/backup"
printf 'classes = 3\ntrain = %s\nvalid = %s\nnames = %s\nbackup = %s/\n' \
  "$TMP/train.txt" "$TMP/train.txt" "$BCCD/bccd.names" "$TMP/backup" > "$TMP/t.data"

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); base $(git -C "$BASE_WT" rev-parse --short HEAD), ours $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (uncommitted changes)')"
ISAS=(default)
grep -q avx512f /proc/cpuinfo && ISAS+=(AVX2)
[ -z "${KERNELS:-}" ] || read -r -a ISAS <<< "$KERNELS"
CFG_LIST=(cfg/yolov3-tiny-bccd.cfg cfg/yolo-fastest-1.1-xl-bccd.cfg)
[ -z "${CFGS:-}" ] || read -r -a CFG_LIST <<< "$CFGS"
for isa in "${ISAS[@]}"; do
  [[ $isa = default || $isa = AVX2 ]] || { echo "compare_darknet_train: KERNELS takes default and/or AVX2" >&2; exit 2; }
  for cfg in "${CFG_LIST[@]}"; do
    for r in $(seq "$ROUNDS"); do
      for who in base ours; do
        bin=$OURS; [ $who = base ] && bin=$BASEBIN
        envs=(); [ $isa = AVX2 ] && envs=(ONEDNN_MAX_CPU_ISA=AVX2)
        out=$(env "${envs[@]}" "$bin" detector train "$TMP/t.data" "$cfg" -seed 3 -iterations "$ITER" -dont_show 2>&1) ||
          { echo "compare_darknet_train: $bin failed on $cfg:" >&2; echo "$out" | tail -5 >&2; exit 1; }
        echo "$out" | awk -v w="$isa round $r $who: $(basename "$cfg" .cfg):" \
          '/^[0-9]+: .* seconds/ && $1 + 0 >= 3 { s = s " " $8 } END { print w s }'
      done
    done
  done
done | tee /dev/stderr | /usr/bin/python3 -c '
import statistics, sys
t = {}
for line in sys.stdin:
    head, _, secs = line.partition(": ")
    net, _, vals = secs.partition(":")
    isa, _, _, who = head.split()
    t.setdefault((isa, net), {}).setdefault(who, []).extend(float(v) for v in vals.split())
for (isa, net), v in t.items():
    if v.get("base") and v.get("ours"):
        b, o = statistics.median(v["base"]), statistics.median(v["ours"])
        print("%-8s %-26s base %7.3f s/iteration  ours %7.3f s/iteration  base/ours %.2f" % (isa, net, b, o, b / o))
'
