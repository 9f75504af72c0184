# Sourced by scripts/study.sh and scripts/pilot_pretrained.sh: the paths of the loss study's
# inputs, its convolution kernels, and the pretrained regime's backbone. The caller sets REPO (the
# repository root).
SHARED=${SHARED:-$REPO/../shared}
BCCD=${BCCD_DIR:-$SHARED/datasets/bccd}
MODEL=$SHARED/models/yolo-fastest-1.1-xl
# The second edition's first runs trained and were evaluated with oneDNN's direct convolution
# kernels (before the Winograd kernels came); its remaining runs keep them, so that every run of
# the edition comes from the same numbers. run.json records the setting.
export DN_CONV=${DN_CONV:-direct}

# make_backbone FILE: ../shared's yolo-fastest-1.1-xl layers 0-119 (`darknet partial`), the
# pretrained regime's start, unless FILE exists.
make_backbone() {
  [ -f "$1" ] && return 0
  "$REPO/darknet" partial "$MODEL/yolo-fastest-1.1-xl.cfg" "$MODEL/yolo-fastest-1.1-xl.weights" "$1" 120
}
