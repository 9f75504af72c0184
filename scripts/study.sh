#!/usr/bin/env bash
# The loss study, second edition (issue 17; docs/results.md): every run of both regimes, in the
# order they are worth having, through scripts/ab_losses. Resumable: run it again and finished runs
# are kept (each is committed as it finishes with --commit), an interrupted one continues from its
# _last.weights when they are still on disk, else starts over.
#
#   scripts/study.sh [--commit] [--until HH:MM] [PART...]
#
# Parts (default: all, in this order):
#   scratch-bce1  from scratch: cfg/yolov3-tiny-bccd.cfg, bce seed 1 (the fine-tuning study's start)
#   finetune      that bce model fine-tuned 500 iterations with bce/focal/mfocal, seeds 1-3
#                 (lr .0005, burn_in 0); needs scratch-bce1's final weights on disk
#   pretrained    ../shared/models/yolo-fastest-1.1-xl's backbone (`darknet partial`, layers 0-119)
#                 fine-tuned on BCCD at 320 with cfg/yolo-fastest-1.1-xl-bccd.cfg: 8 variants x
#                 seeds 1-3, then bce/balanced/focal/mfocal seeds 4-5
#   scratch       from scratch: bce/focal/mfocal, seeds 1-3
# Weights never go into git (.gitignore); the darknet binary each run used is recorded in its
# run.json (commit, binary sha256, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
. "$REPO/scripts/lib/pretrained_env.sh"
AB=(/usr/bin/python3 "$REPO/scripts/ab_losses" --data "$BCCD/bccd.data")
PASS=()
PARTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --commit) PASS+=(--commit); shift ;;
    --until) PASS+=(--until "$2"); shift 2 ;;
    scratch-bce1|finetune|pretrained|scratch) PARTS+=("$1"); shift ;;
    *) echo "study: unknown argument '$1' (see the head of $0)" >&2; exit 2 ;;
  esac
done
[ ${#PARTS[@]} -gt 0 ] || PARTS=(scratch-bce1 finetune pretrained scratch)
[ -x "$REPO/darknet" ] || { echo "study: build first (make)" >&2; exit 1; }
[ -f "$BCCD/bccd.data" ] || { echo "study: no BCCD at $BCCD (set BCCD_DIR)" >&2; exit 1; }

SCRATCH=(--cfg cfg/yolov3-tiny-bccd.cfg --name bccd-scratch)
BCE1=results/bccd-scratch/runs/bce_s1/bce_final.weights

for part in "${PARTS[@]}"; do
  case "$part" in
    scratch-bce1)
      "${AB[@]}" "${SCRATCH[@]}" --variants bce --seeds 1 "${PASS[@]}" ;;
    finetune)
      if [ ! -f "$BCE1" ]; then
        echo "study: finetune needs $BCE1 (run the scratch-bce1 part first)" >&2; exit 1
      fi
      "${AB[@]}" "${SCRATCH[@]}" --variants bce,focal,mfocal --seeds 3 --finetune "$BCE1" \
        --finetune-iterations 500 --net learning_rate=0.0005,burn_in=0 "${PASS[@]}" ;;
    pretrained)
      W=results/bccd-pretrained/work
      mkdir -p "$W"
      make_backbone "$W/backbone.weights"
      P=(--cfg cfg/yolo-fastest-1.1-xl-bccd.cfg --name bccd-pretrained --from "$W/backbone.weights")
      "${AB[@]}" "${P[@]}" --variants bce,balanced,focal,mfocal,focal_obj,focal_cls,wd10,dropout2 \
        --seeds 1-3 "${PASS[@]}"
      "${AB[@]}" "${P[@]}" --variants bce,balanced,focal,mfocal --seeds 4-5 "${PASS[@]}" ;;
    scratch)
      "${AB[@]}" "${SCRATCH[@]}" --variants bce,focal,mfocal --seeds 3 "${PASS[@]}" ;;
  esac
done
