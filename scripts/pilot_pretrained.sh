#!/usr/bin/env bash
# The bce pilot of the loss study's pretrained regime (issue 17, docs/results.md): yolo-fastest-1.1-xl
# (../shared/models, COCO) fine-tuned on BCCD at 320x320 from its backbone (`darknet partial`, layers
# 0-119) with cfg/yolo-fastest-1.1-xl-bccd.cfg and loss=bce, validation mAP@.5 every 100 iterations
# (`-map`). Where that curve stops rising sets the iteration count of every run of the study.
#   scripts/pilot_pretrained.sh [ITERATIONS]     (default: the cfg's max_batches)
# Resumable: run it again after a stop and it continues from backup/..._last.weights (same seed,
# exactly). Writes results/bccd-pretrained/pilot/: log.txt, map.csv (iteration,map50), chart.png,
# commit.txt (the darknet commit each part ran with); weights stay out of git.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
. "$REPO/scripts/lib/pretrained_env.sh"
OUT=$REPO/results/bccd-pretrained/pilot
CFG=$REPO/cfg/yolo-fastest-1.1-xl-bccd.cfg
[ -x "$REPO/darknet" ] || { echo "pilot: build first (make)" >&2; exit 1; }
for f in "$BCCD/train.txt" "$BCCD/valid.txt" "$BCCD/bccd.names" "$MODEL/yolo-fastest-1.1-xl.weights"; do
  [ -f "$f" ] || { echo "pilot: missing $f" >&2; exit 1; }
done
mkdir -p "$OUT/work/backup"
cd "$OUT/work"  # machine-specific lists, the backbone and the weights (git-ignored)
sed "s|^\([^/]\)|$BCCD/\1|" "$BCCD/train.txt" > train.txt
sed "s|^\([^/]\)|$BCCD/\1|" "$BCCD/valid.txt" > valid.txt
printf 'classes = 3\ntrain = %s\nvalid = %s\nnames = %s\nbackup = backup/\n' \
  "$PWD/train.txt" "$PWD/valid.txt" "$BCCD/bccd.names" > run.data
make_backbone backbone.weights
START=backbone.weights
LAST=backup/yolo-fastest-1.1-xl-bccd_last.weights
if [ -f "$LAST" ]; then START=$LAST; echo "pilot: resuming from $LAST"; fi
ITER=()
[ $# -ge 1 ] && ITER=(-iterations "$1")
echo "$(date -u +%FT%TZ) $(git -C "$REPO" rev-parse --short HEAD) start=$START" >> "$OUT/commit.txt"
"$REPO/darknet" detector train run.data "$CFG" "$START" -seed 1 -map -dont_show -quiet -chart "$OUT/chart.png" "${ITER[@]}" \
  2>&1 | tee -a "$OUT/log.txt" | grep --line-buffered -E "mean average precision|Saved|^ *[0-9]+00:" || true
{ echo "iteration,map50"
  sed -n 's/.*mean average precision (mAP@0.50) = \([0-9.]*\) at iteration \([0-9]*\).*/\2,\1/p' "$OUT/log.txt"; } \
  > "$OUT/map.csv"
cat "$OUT/map.csv"
