#!/bin/sh
# BCCD (blood cells: RBC, WBC, Platelets; MIT licence) in Darknet layout.
#
#   scripts/get_bccd.sh [DEST]        (DEST defaults to data/bccd)
#
# Clones https://github.com/Shenggan/BCCD_Dataset (pinned to BCCD_COMMIT) and converts its VOC
# annotations with scripts/voc_label into
#   DEST/images/*.jpg  DEST/labels/*.txt  DEST/bccd.names  DEST/bccd.data  DEST/train.txt  DEST/valid.txt
# with an 80/20 train/valid split by a fixed seed (BCCD_SEED, default 1). Boxes of zero area (two in
# BCCD) are dropped with a warning.
#
# When BCCD_DIR names a local copy already in Darknet layout (CI sets ../shared/datasets/bccd), that
# copy is checked and used instead, and nothing is downloaded. Either way the last line printed is
# the path of the .data file to train with.
#
# Environment: BCCD_DIR, BCCD_URL (the repository to clone), BCCD_COMMIT (the revision; empty: the
# clone's head), BCCD_SEED.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

die() { echo "get_bccd.sh: error: $*" >&2; exit 1; }

check_layout() {  # $1 = a folder in Darknet layout
  d=$1
  for f in bccd.data bccd.names train.txt valid.txt; do
    [ -f "$d/$f" ] || die "$d/$f is missing (BCCD_DIR must hold a copy in Darknet layout: images/, labels/, bccd.names, bccd.data, train.txt, valid.txt)"
  done
  [ -d "$d/images" ] && [ -d "$d/labels" ] || die "$d must have images/ and labels/"
  n_img=$(ls "$d/images" | wc -l)
  n_lab=$(ls "$d/labels" | grep -c '\.txt$' || true)
  [ "$n_img" -gt 0 ] || die "$d/images is empty"
  [ "$n_img" -eq "$n_lab" ] || die "$d: $n_img images but $n_lab label files"
  echo "BCCD at $d: $n_img images, $(wc -l < "$d/train.txt") train, $(wc -l < "$d/valid.txt") valid" >&2
}

if [ -n "${BCCD_DIR:-}" ]; then
  [ -d "$BCCD_DIR" ] || die "BCCD_DIR=$BCCD_DIR: no such folder"
  d=$(cd "$BCCD_DIR" && pwd)
  check_layout "$d"
  echo "$d/bccd.data"
  exit 0
fi

DEST=${1:-data/bccd}
URL=${BCCD_URL:-https://github.com/Shenggan/BCCD_Dataset}
COMMIT=${BCCD_COMMIT-d272fb14cdff6e473fafeeeba32aba5f560e9e43}
SEED=${BCCD_SEED:-1}

if [ -f "$DEST/bccd.data" ] && [ -f "$DEST/valid.txt" ]; then
  d=$(cd "$DEST" && pwd)
  check_layout "$d"
  echo "$d/bccd.data"
  exit 0
fi

mkdir -p "$DEST"
d=$(cd "$DEST" && pwd)
src="$d/.upstream"
if [ ! -d "$src/BCCD/Annotations" ]; then
  rm -rf "$src"
  git clone --quiet "$URL" "$src" || die "cannot clone $URL"
  if [ -n "$COMMIT" ]; then
    git -C "$src" -c advice.detachedHead=false checkout --quiet "$COMMIT" || die "$URL has no revision $COMMIT (set BCCD_COMMIT= to take its head)"
  fi
fi
[ -d "$src/BCCD/Annotations" ] && [ -d "$src/BCCD/JPEGImages" ] || die "$URL: no BCCD/Annotations and BCCD/JPEGImages in it"

mkdir -p "$d/images"
cp "$src"/BCCD/JPEGImages/*.jpg "$d/images/"
printf 'RBC\nWBC\nPlatelets\n' > "$d/bccd.names"
"$PY" "$here/voc_label" "$src/BCCD/Annotations" --names "$d/bccd.names" --labels "$d/labels" \
  --images "$d/images" --train "$d/train.txt" --valid "$d/valid.txt" --valid-fraction 0.2 --seed "$SEED"
# Only images that have an annotation are listed; drop any JPEG without one so the layout is whole.
for img in "$d"/images/*.jpg; do
  b=$(basename "$img" .jpg)
  [ -f "$d/labels/$b.txt" ] || { echo "get_bccd.sh: $img has no annotation: removed" >&2; rm -f "$img"; }
done
cat > "$d/bccd.data" <<EOF
classes = 3
train = train.txt
valid = valid.txt
names = bccd.names
backup = backup/
EOF
cat > "$d/SOURCE.txt" <<EOF
$URL at $(git -C "$src" rev-parse HEAD), MIT licence (LICENSE in the repository).
Converted by scripts/get_bccd.sh: scripts/voc_label, 80/20 split with seed $SEED.
EOF
[ -f "$src/LICENSE" ] && cp "$src/LICENSE" "$d/LICENSE.upstream"
rm -rf "$src"
check_layout "$d"
echo "$d/bccd.data"
