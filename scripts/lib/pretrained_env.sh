# Sourced by scripts/study.sh and scripts/pilot_pretrained.sh: the paths of the loss study's
# inputs, and the pretrained regime's backbone. The caller sets REPO (the repository root).
SHARED=${SHARED:-$REPO/../shared}
BCCD=${BCCD_DIR:-$SHARED/datasets/bccd}
MODEL=$SHARED/models/yolo-fastest-1.1-xl

# make_backbone FILE: ../shared's yolo-fastest-1.1-xl layers 0-119 (`darknet partial`), the
# pretrained regime's start, unless FILE exists.
make_backbone() {
  [ -f "$1" ] && return 0
  "$REPO/darknet" partial "$MODEL/yolo-fastest-1.1-xl.cfg" "$MODEL/yolo-fastest-1.1-xl.weights" "$1" 120
}
