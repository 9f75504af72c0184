#!/bin/sh
# docs/results.md quotes the loss A/B studies' tables. This checks that they are what
# `scripts/ab_losses --report` makes of the committed results: the report of every study below
# is regenerated in a temporary copy from its results.csv, and every table row of the regenerated
# table.md must appear in docs/results.md, verbatim. The studies: the first edition (results/bccd
# and its fine-tuning) and the finished parts of the second (results/bccd-scratch/finetune).
# A study whose runs are still being added is not quoted (its rows change with every run).
#
#   tests/results_doc.sh            (ctest: results_doc)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOC="$ROOT/docs/results.md"
fail() { echo "results_doc: FAIL: $*" >&2; exit 1; }
[ -s "$DOC" ] || fail "no $DOC"
STUDIES="bccd bccd/finetune bccd-scratch/finetune"
for st in $STUDIES; do
  [ -s "$ROOT/results/$st/results.csv" ] || fail "no results/$st/results.csv (a study docs/results.md reports)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/results_doc.XXXXXX")
trap 'rm -rf "$T"' EXIT
checked=0
for st in $STUDIES; do
  S="$ROOT/results/$st"
  C="$T/$(echo "$st" | tr / _)"
  mkdir -p "$C/runs"
  cp "$S/results.csv" "$S/study.json" "$C/"
  for r in "$S"/runs/*/; do
    n=$(basename "$r")
    mkdir -p "$C/runs/$n"
    for f in run.json map.json train.log; do [ ! -f "$r/$f" ] || cp "$r/$f" "$C/runs/$n/"; done
  done
  "$ROOT/scripts/ab_losses" --report "$C" > "$T/report.log" 2>&1 || { cat "$T/report.log"; fail "--report $S failed"; }
  grep '^| ' "$C/table.md" > "$T/rows"
  [ -s "$T/rows" ] || fail "the regenerated table of $S has no rows"
  while IFS= read -r line; do
    grep -qxF -- "$line" "$DOC" || fail "docs/results.md lacks this row of the table regenerated from $S/results.csv:
$line"
    checked=$((checked + 1))
  done < "$T/rows"
done
echo "results_doc: ok ($checked table rows of docs/results.md match the regenerated tables)"
