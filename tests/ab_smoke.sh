#!/bin/sh
# Smoke test of scripts/ab_losses: a study of 2 variants x 2 seeds x 3 iterations of the quick cfg at
# 64x64 on 6 training and 4 validation images of BCCD, in a temporary folder. Checks the files, the
# numbers in results.csv and table.md, that a second start retrains nothing, that a run without its
# `done` marker is redone (and only it), that an interrupted run resumes from its _last.weights and
# ends with the same numbers, and that --report regenerates the same table.
#
#   tests/ab_smoke.sh <darknet binary> <shared folder>     (ctest: ab_losses_smoke)
set -eu

DARKNET=${1:?usage: ab_smoke.sh <darknet> <shared folder>}
SHARED=${2:?usage: ab_smoke.sh <darknet> <shared folder>}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AB="$ROOT/scripts/ab_losses"
PY=/usr/bin/python3
BCCD="$SHARED/datasets/bccd"

fail() { echo "ab_smoke: FAIL: $*" >&2; exit 1; }
[ -x "$DARKNET" ] || fail "no darknet binary at $DARKNET"
DARKNET=$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")
[ -f "$BCCD/bccd.names" ] || fail "no BCCD at $BCCD"

T=$(mktemp -d "${TMPDIR:-/tmp}/ab_smoke.XXXXXX")
[ -n "${AB_SMOKE_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT

# A handful of images, by absolute path (labels are found through /images/ -> /labels/).
head -n 6 "$BCCD/train.txt" | sed "s|^|$BCCD/|" > "$T/train.txt"
head -n 4 "$BCCD/valid.txt" | sed "s|^|$BCCD/|" > "$T/valid.txt"
cat > "$T/smoke.data" <<EOF
classes = 3
train = $T/train.txt
valid = $T/valid.txt
names = $BCCD/bccd.names
backup = $T/unused/
EOF

run_ab() {
  "$AB" --data "$T/smoke.data" --cfg "$ROOT/cfg/yolov3-tiny-bccd-quick.cfg" \
    --net width=64,height=64,batch=2,subdivisions=1,burn_in=0 \
    --variants bce,mfocal --seeds 2 --iterations 3 --name smoke --results "$T/results" \
    --darknet "$DARKNET" --progress-every 0 "$@"
}

S="$T/results/smoke"
echo "== first start"
run_ab > "$T/first.log" 2>&1 || { cat "$T/first.log"; fail "the first start exited non-zero"; }

# Files.
for f in results.csv table.md map.png loss.png reliability.png study.json cfg/bce.cfg cfg/mfocal.cfg init/s1.weights init/s2.weights; do
  [ -s "$S/$f" ] || fail "$S/$f is missing or empty"
done
for r in bce_s1 bce_s2 mfocal_s1 mfocal_s2; do
  for f in done run.json map.json train.log map.log "$(echo $r | sed 's/_s[0-9]*$//')_final.weights"; do
    [ -s "$S/runs/$r/$f" ] || fail "$S/runs/$r/$f is missing or empty"
  done
done
[ "$(grep -c '^loss=mfocal$' "$S/cfg/mfocal.cfg")" -eq 2 ] || fail "cfg/mfocal.cfg should set loss=mfocal in both [yolo] sections"
[ "$(grep -c '^loss=bce$' "$S/cfg/bce.cfg")" -eq 2 ] || fail "cfg/bce.cfg should set loss=bce in both [yolo] sections"
grep -q '^width=64$' "$S/cfg/bce.cfg" || fail "the --net override width=64 is not in cfg/bce.cfg"
grep -q '^\[run 1/4\] bce seed 1: training, ' "$T/first.log" || fail "no progress line '[run 1/4] bce seed 1: training, ...' in the output"
grep -q '^\[run 4/4\] mfocal seed 2: training, ~.* left (est.) (iteration 2/3, avg loss ' "$T/first.log" || fail "no progress line with an estimate while mfocal seed 2 trains"

# results.csv and table.md: every variant and seed, numbers in [0, 1].
"$PY" - "$S" <<'EOF' || fail "results.csv / table.md check"
import csv, json, math, os, sys
S = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(S, "results.csv"))))
cols = list(rows[0].keys()) if rows else []
need = ["variant", "seed", "map50", "map50_95", "ap_RBC", "ap_WBC", "ap_Platelets", "ece", "ece_top", "train_seconds", "iterations"]
missing = [c for c in need if c not in cols]
assert not missing, "results.csv lacks columns %s (has %s)" % (missing, cols)
got = sorted((r["variant"], int(r["seed"])) for r in rows)
assert got == [("bce", 1), ("bce", 2), ("mfocal", 1), ("mfocal", 2)], "results.csv rows: %s" % got
for r in rows:
    for c in ["map50", "map50_95", "ap_RBC", "ap_WBC", "ap_Platelets", "ece", "ece_top"]:
        v = float(r[c])
        assert 0 <= v <= 1 and math.isfinite(v), "%s %s: %s = %s not in [0, 1]" % (r["variant"], r["seed"], c, r[c])
    assert int(r["iterations"]) == 3, "iterations = %s" % r["iterations"]
    assert float(r["train_seconds"]) > 0
table = open(os.path.join(S, "table.md")).read()
lines = table.split("\n")
def row(prefix):
    rs = [l for l in lines if l.startswith(prefix)]
    assert rs, "table.md has no row starting %r:\n%s" % (prefix, table)
    return rs
for v in ("bce", "mfocal"):
    cells = [c.strip() for c in row("| %s | 2 |" % v)[0].strip("|").split("|")]
    for c in cells[2:-1]:  # the metrics (the last cell is the training time)
        m, sd = (float(x) for x in c.split("±"))
        assert 0 <= m <= 1 and 0 <= sd <= 1, "table.md %s: %s" % (v, c)
diff = row("| mfocal | 2 | ")  # the difference row (pairs = 2)
assert len(diff) == 2, "expected a per-variant row and a difference row for mfocal"
assert "[" in diff[1] and "]" in diff[1], "the difference row has no interval: " + diff[1]
assert "Method:" in table and "t(0.975, n−1)" in table, "table.md does not state its method"
# the reliability numbers: per variant its detections (both seeds' map.json) and 10 score bins
rel = lines[lines.index("## Reliability: true positives per score bin, seeds pooled"):]
for v in ("bce", "mfocal"):
    cells = [c.strip() for c in [l for l in rel if l.startswith("| %s | " % v)][0].strip("|").split("|")]
    n = sum(int(b["count"]) for s in (1, 2) for b in json.load(open(os.path.join(S, "runs", "%s_s%d" % (v, s), "map.json")))["calibration"])
    assert len(cells) == 12 and int(cells[1]) == n, "reliability row of %s: %s (map.json count %d)" % (v, cells, n)
for p in ("map.png", "loss.png", "reliability.png"):
    assert open(os.path.join(S, p), "rb").read(8) == b"\x89PNG\r\n\x1a\n", p + " is not a PNG"
print("results.csv and table.md: ok")
EOF

echo "== second start: nothing to retrain"
stamp() { for r in bce_s1 bce_s2 mfocal_s1 mfocal_s2; do ls -l --time-style=+%s.%N "$S/runs/$r/done" "$S/runs/$r/train.log" "$S/runs/$r/map.json"; done; }
stamp > "$T/stamp1"
cp "$S/table.md" "$T/table1.md"
cp "$S/results.csv" "$T/results1.csv"
run_ab > "$T/second.log" 2>&1 || { cat "$T/second.log"; fail "the second start exited non-zero"; }
stamp > "$T/stamp2"
cmp -s "$T/stamp1" "$T/stamp2" || { diff "$T/stamp1" "$T/stamp2" >&2; fail "the second start touched finished runs"; }
if grep -q ': training' "$T/second.log" || grep -q ': evaluating' "$T/second.log"; then
  cat "$T/second.log"; fail "the second start trained or evaluated again"
fi
grep -q '4 already done' "$T/second.log" || { cat "$T/second.log"; fail "the second start did not report 4 runs already done"; }
cmp -s "$T/table1.md" "$S/table.md" || fail "table.md changed although no run did"

echo "== a run without its done marker is redone, and only it"
rm -f "$S/runs/mfocal_s2/done" "$S/runs/mfocal_s2/trained"
run_ab > "$T/third.log" 2>&1 || { cat "$T/third.log"; fail "the third start exited non-zero"; }
n=$(grep ': training' "$T/third.log" | grep -vc '(iteration' || true)
[ "$n" -eq 1 ] || { cat "$T/third.log"; fail "expected exactly one run retrained, got $n"; }
grep -q 'mfocal seed 2: training' "$T/third.log" || fail "the redone run is not mfocal seed 2"
[ -f "$S/runs/mfocal_s2/done" ] || fail "mfocal_s2 has no done marker after the redo"
# Same seed, same initial weights, same data order: the redone run gives the same numbers
# (results.csv without its train_seconds column, the one wall-clock value).
nosecs() { "$PY" -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    r.pop("train_seconds"); print(sorted(r.items()))' "$1"; }
nosecs "$T/results1.csv" > "$T/r1"
nosecs "$S/results.csv" > "$T/r3"
cmp -s "$T/r1" "$T/r3" || { diff "$T/r1" "$T/r3" >&2; fail "the redone run gave other numbers (training not reproducible)"; }
cp "$S/table.md" "$T/table1.md"

echo "== an interrupted run resumes from its _last.weights + .state, exactly"
# mfocal seed 2 as a session stop leaves it: 2 of its 3 iterations trained, _last saved, no final.
R="$S/runs/mfocal_s2"
"$PY" -c 'import json,sys
sig = json.load(open(sys.argv[1]))["signature"]
json.dump({"signature": sig, "segments": [{"started": "earlier", "seconds": 1.0}]}, open(sys.argv[2], "w"))' \
  "$R/run.json" "$R/started"
rm -f "$R/done" "$R/trained" "$R/map.json" "$R/run.json" "$R/mfocal_final.weights"
(cd "$R" && "$DARKNET" detector train run.data "$S/cfg/mfocal.cfg" "$S/init/s2.weights" -seed 2 -dont_show \
  -quiet -chart '' -iterations 2 > "$T/part.log" 2>&1) || { cat "$T/part.log"; fail "the partial training failed"; }
rm -f "$R/mfocal_final.weights"
[ -s "$R/mfocal_last.weights" ] && [ -s "$R/mfocal_last.state" ] || fail "no _last.weights/_last.state after the partial training"
run_ab > "$T/fourth.log" 2>&1 || { cat "$T/fourth.log"; fail "the fourth start exited non-zero"; }
grep -q 'mfocal seed 2: resuming from mfocal_last.weights' "$T/fourth.log" || { cat "$T/fourth.log"; fail "mfocal seed 2 was not resumed"; }
grep -q 'Resuming at iteration 2 with the momentum of' "$R/train.log" || fail "darknet did not resume with the momentum"
[ ! -e "$R/mfocal_last.state" ] || fail "the .state file was not removed after the run finished"
nosecs "$S/results.csv" > "$T/r4"
cmp -s "$T/r1" "$T/r4" || { diff "$T/r1" "$T/r4" >&2; fail "the resumed run gave other numbers than the straight one"; }
grep -q 'resumed exactly' "$S/table.md" || fail "table.md does not list the resumed run"
# The last column of a variant's row is its training time and the settings lines give training hours
# (wall clock, longer for a run in two pieces and on a busy machine): compared without them.
notime() { sed -E -e 's/\| [0-9.]+ \|$/| - |/' -e 's/[0-9.]+ h/- h/g' "$1"; }
grep -v 'resumed exactly' "$S/table.md" > "$T/table4.md"
notime "$T/table1.md" > "$T/table1n.md"
notime "$T/table4.md" > "$T/table4n.md"
cmp -s "$T/table1n.md" "$T/table4n.md" || { diff "$T/table1n.md" "$T/table4n.md" >&2; fail "table.md changed beyond the resumed-run line"; }
cp "$S/table.md" "$T/table1.md"

echo "== --report regenerates the table from results.csv"
rm -f "$S/table.md" "$S/map.png" "$S/loss.png"
"$AB" --report "$S" > "$T/report.log" 2>&1 || { cat "$T/report.log"; fail "--report exited non-zero"; }
cmp -s "$T/table1.md" "$S/table.md" || { diff "$T/table1.md" "$S/table.md" >&2; fail "--report wrote a different table.md"; }
[ -s "$S/map.png" ] && [ -s "$S/loss.png" ] || fail "--report did not draw map.png and loss.png"

echo "ab_smoke: ok"
