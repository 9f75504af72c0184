#!/bin/sh
# docs/results.md quotes the loss A/B studies' tables. This checks that they are what
# `scripts/ab_losses --report` makes of the committed results: the report of every study below
# is regenerated in a temporary copy from its results.csv, and every table of the regenerated
# table.md must appear in docs/results.md verbatim and whole (header, separator and rows as
# consecutive lines). The studies: the finished parts of the second edition
# (results/bccd-scratch/finetune, results/bccd-pretrained). A study whose runs are still being
# added is not quoted (its rows change with every run); the first edition's (results/bccd) no
# longer is (docs/results.md sums it up in prose).
#
#   tests/results_doc.sh            (ctest: results_doc)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOC="$ROOT/docs/results.md"
fail() { echo "results_doc: FAIL: $*" >&2; exit 1; }
[ -s "$DOC" ] || fail "no $DOC"
STUDIES="bccd-scratch/finetune bccd-pretrained"
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
  # every table of the regenerated table.md (header, separator, rows: a run of lines starting
  # with '|') must appear in the doc as the same run of consecutive lines, so that a quoted table
  # is whole and renders as one table
  n=$(/usr/bin/python3 - "$C/table.md" "$DOC" <<'PY'
import sys
def tables(lines):
    out, cur = [], []
    for l in lines + [""]:
        if l.startswith("|"):
            cur.append(l)
        elif cur:
            out.append(cur)
            cur = []
    return out
gen = open(sys.argv[1], encoding="utf-8").read().splitlines()
doc = open(sys.argv[2], encoding="utf-8").read().splitlines()
found = tables(gen)
if not found:
    sys.exit("the regenerated table.md has no table")
rows = 0
for t in found:
    if not any(doc[i:i + len(t)] == t for i in range(len(doc) - len(t) + 1)):
        missing = [l for l in t if l not in doc]
        sys.exit("docs/results.md lacks this table (header, separator and rows, consecutive)%s:\n%s"
                 % (" (rows missing: %d)" % len(missing) if missing else " (its rows are there, not together)",
                    "\n".join(t)))
    rows += len(t)
print(rows)
PY
) || fail "$S"
  checked=$((checked + n))
done
echo "results_doc: ok ($checked table rows of docs/results.md match the regenerated tables)"
