"""What the detection-path fixes changed, measured on a study's own final weights: each run whose
weights are kept is evaluated again by darknet built at two commits from before the fixes, and the
three evaluations (those two and the run's own map.json) are written to <study>/old_path.csv.
The rows already in old_path.csv of runs whose weights are gone now (an earlier session's machine)
are kept: the file accumulates across sessions, a run evaluated again replaces its row.

The paths, oldest first:
  first    bd36aa0^  the first edition's: an NMS that stopped at the first suppressed box, COCO's
                     matching rule for mAP@.5
  old_nms  e20623f^  Darknet's matching rule (bd36aa0), the old NMS still
  now      the run's map.json: Darknet's NMS (e20623f) and matching
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys

from .common import REPO, AbError, log, read_json, write_atomic
from .cfgedit import line_key, read_cfg_lines, section_spans
from .results import fmt_csv, read_csv, variant_order
from .stats import mean_sd

OLD_PATHS = [("first", "bd36aa0^"), ("old_nms", "e20623f^")]  # (tag, commit): the module's docstring
PATHS = [p[0] for p in OLD_PATHS] + ["now"]

# [yolo] keys of training only that the old binaries refuse by name; inference does not read them.
TRAIN_ONLY_KEYS = ("iou_loss", "iou_thresh")


def eval_cfg_text(lines):
    """The cfg without the training-only [yolo] keys the old binaries refuse."""
    drop = set()
    for name, a, b in section_spans(lines):
        if name == "yolo":
            drop.update(i for i in range(a + 1, b) if line_key(lines[i]) in TRAIN_ONLY_KEYS)
    return "\n".join(ln for i, ln in enumerate(lines) if i not in drop)


def build_old(work, tag, commit):
    """darknet (OPENCV=0) of `commit`, built once under work/tag; returns the binary's path."""
    sha = subprocess.run(["git", "-C", REPO, "rev-parse", commit], capture_output=True, text=True)
    if sha.returncode != 0:
        raise AbError("git rev-parse %s failed: %s" % (commit, sha.stderr.strip()))
    sha = sha.stdout.strip()
    d = os.path.join(work, tag)
    binary = os.path.join(d, "build", "darknet")
    stamp = os.path.join(d, "COMMIT")
    if os.path.exists(binary) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == sha:
                return binary
    log("building darknet at %s (%s) in %s" % (commit, sha[:12], d))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(work, tag + "-build.log"), "w") as out:
        archive = subprocess.Popen(["git", "-C", REPO, "archive", sha], stdout=subprocess.PIPE, stderr=out)
        untar = subprocess.run(["tar", "-x", "-C", d], stdin=archive.stdout, stdout=out, stderr=subprocess.STDOUT)
        archive.stdout.close()
        if archive.wait() != 0 or untar.returncode != 0:
            raise AbError("extracting %s into %s failed; see %s" % (commit, d, out.name))
        for cmd in (["cmake", "-S", d, "-B", os.path.join(d, "build"), "-DCMAKE_BUILD_TYPE=Release", "-DOPENCV=OFF"],
                    ["cmake", "--build", os.path.join(d, "build"), "--target", "darknet", "-j2"]):
            if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                raise AbError("building %s failed at `%s`; see %s" % (commit, " ".join(cmd), out.name))
    write_atomic(stamp, sha + "\n")
    return binary


def kept_runs(study):
    """(variant, seed, run folder, weights) of the finished runs whose final weights are kept, in the
    order of the study's results.csv."""
    order = variant_order(read_csv(os.path.join(study, "results.csv"))[0])
    runs = []
    rdir = os.path.join(study, "runs")
    for name in sorted(os.listdir(rdir)) if os.path.isdir(rdir) else []:
        variant, _, seed = name.rpartition("_s")
        rd = os.path.join(rdir, name)
        w = os.path.join(rd, variant + "_final.weights")
        if seed.isdigit() and os.path.exists(os.path.join(rd, "done")) and os.path.exists(w):
            runs.append((variant, int(seed), rd, w))
    return sorted(runs, key=lambda r: (order.index(r[0]) if r[0] in order else len(order), r[1]))


def evaluate(binary, rd, cfg, weights, out_json):
    """map.json of `binary` for one run, cached next to the work files."""
    if os.path.exists(out_json) and os.path.getmtime(out_json) >= os.path.getmtime(weights):
        return read_json(out_json)
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    tmp = out_json + ".part.json"
    r = subprocess.run([binary, "detector", "map", os.path.join(rd, "run.data"), cfg, weights, "-out", tmp],
                       capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(tmp):
        raise AbError("%s detector map of %s failed (exit %d):\n%s" % (binary, rd, r.returncode, r.stderr[-2000:]))
    os.replace(tmp, out_json)
    return read_json(out_json)


def row_of(variant, seed, maps):
    row = {"variant": variant, "seed": seed}
    for p in PATHS:
        mj = maps[p]
        row[p + "_map50"] = mj["map50"]
        row[p + "_map50_95"] = mj["map_coco"]
        row[p + "_ece"] = mj["ece"]
        row[p + "_fp"] = mj["fp"]
        for c in mj["classes"]:
            row["%s_ap_%s" % (p, c["name"])] = c["ap"]
    return row


def csv_text(rows):
    cols = list(rows[0].keys()) if rows else ["variant", "seed"]
    out = [",".join(cols)]
    for r in rows:
        out.append(",".join(str(fmt_csv(r[c])) for c in cols))
    return "\n".join(out) + "\n"


def read_rows(path):
    """The rows of an existing old_path.csv (none if there is none), numbers as numbers."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        cols = rd.fieldnames or []
        if cols[:3] != ["variant", "seed", PATHS[0] + "_map50"]:
            raise AbError("%s: not an old_path.csv (its header starts %s)" % (path, ",".join(cols[:3])))
        rows = []
        for n, r in enumerate(rd, 2):
            try:
                rows.append({k: (v if k == "variant" else int(v) if k == "seed" or v.lstrip("-").isdigit()
                                 else float(v)) for k, v in r.items()})
            except (AttributeError, TypeError, ValueError):  # a short row's missing cells are None
                raise AbError("%s:%d: a row that is not variant,seed,numbers..." % (path, n))
    return rows


def merge_rows(previous, new, order):
    """new's rows and those of previous whose (variant, seed) new lacks, by variant in `order`
    (variants not in it last, in their first appearance), then seed. The columns must agree."""
    if previous and new and list(previous[0]) != list(new[0]):
        raise AbError("old_path.csv's columns (%s) are not this evaluation's (%s): the classes changed? "
                      "move the file away to start it anew" % (",".join(previous[0]), ",".join(new[0])))
    got = {(r["variant"], r["seed"]): r for r in previous}
    got.update({(r["variant"], r["seed"]): r for r in new})
    rest = [v for v in variant_order(previous + new) if v not in order]
    key = list(order) + rest
    return sorted(got.values(), key=lambda r: (key.index(r["variant"]), r["seed"]))


def summary(rows, names):
    """Per variant: mean over its runs of each path's mAP@.5, the change, per-class AP and FPs."""
    head = ("| variant | runs | mAP@.5 first edition's path | Darknet's matching, old NMS | now | now − first | "
            + " | ".join("AP %s first → now" % n for n in names) + " | FP at .25 first → now | ECE first → now |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for v in variant_order(rows):
        rs = [r for r in rows if r["variant"] == v]
        m = {k: mean_sd([r[k] for r in rs])[0] for k in rs[0] if k not in ("variant", "seed")}
        cells = [v, str(len(rs)), "%.3f" % m["first_map50"], "%.3f" % m["old_nms_map50"], "%.3f" % m["now_map50"],
                 "%+.3f" % (m["now_map50"] - m["first_map50"])]
        cells += ["%.3f → %.3f" % (m["first_ap_" + n], m["now_ap_" + n]) for n in names]
        cells += ["%.0f → %.0f" % (m["first_fp"], m["now_fp"]), "%.3f → %.3f" % (m["first_ece"], m["now_ece"])]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(prog="scripts/old_path_eval", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("studies", nargs="+", metavar="STUDY", help="a study folder (results/NAME)")
    ap.add_argument("--work", default="/tmp/dn-old-path", help="where the old binaries and their map.json go")
    a = ap.parse_args(argv)
    try:
        binaries = {tag: build_old(a.work, tag, commit) for tag, commit in OLD_PATHS}
        for study in a.studies:
            runs = kept_runs(study)
            out_csv = os.path.join(study, "old_path.csv")
            previous = read_rows(out_csv)
            if not runs and not previous:
                raise AbError("%s: no finished run with its final weights kept" % study)
            name = os.path.basename(os.path.normpath(study))
            rows, names = [], None
            for variant, seed, rd, w in runs:
                cfg = os.path.join(a.work, "cfg", name, variant + ".cfg")
                os.makedirs(os.path.dirname(cfg), exist_ok=True)
                write_atomic(cfg, eval_cfg_text(read_cfg_lines(os.path.join(study, "cfg", variant + ".cfg"))))
                maps = {"now": read_json(os.path.join(rd, "map.json"))}
                for tag, _ in OLD_PATHS:
                    maps[tag] = evaluate(binaries[tag], rd, cfg, w,
                                         os.path.join(a.work, "json", tag, name, os.path.basename(rd) + ".json"))
                log("%s %s s%d: mAP@.5 %.4f (first) %.4f (old NMS) %.4f (now)" % (
                    name, variant, seed, maps["first"]["map50"], maps["old_nms"]["map50"], maps["now"]["map50"]))
                names = names or [c["name"] for c in maps["now"]["classes"]]
                rows.append(row_of(variant, seed, maps))
            evaluated = len(rows)
            rows = merge_rows(previous, rows, variant_order(read_csv(os.path.join(study, "results.csv"))[0]))
            kept = len(rows) - evaluated  # merge_rows adds only previous rows that no evaluated run replaced
            names = names or [k[len("now_ap_"):] for k in rows[0] if k.startswith("now_ap_")]
            write_atomic(out_csv, csv_text(rows))
            sys.stdout.write("\n%s (%d runs, %d of them kept from old_path.csv, their weights gone):\n\n%s"
                             % (study, len(rows), kept, summary(rows, names)))
    except AbError as e:
        print("old_path_eval: error: %s" % e, file=sys.stderr)
        return 2
    return 0
