"""results.csv: its columns, the row of a finished run, writing and reading it."""

import csv
import os

from .common import AbError, read_json, run_dir
from .stats import ece_top

# The metrics of the table: (csv column, label).
MAIN_METRICS = [("map50", "mAP@.5"), ("map50_95", "mAP@.5:.95"), ("ece", "ECE"), ("ece_top", "ECE ≥.3")]


def variant_order(rows):
    """The variants of rows, in the order they first appear."""
    variants = []
    for r in rows:
        if r["variant"] not in variants:
            variants.append(r["variant"])
    return variants


def csv_columns(names):
    return (["variant", "seed", "map50", "map50_95"] + ["ap_" + n for n in names] +
            ["ece", "ece_top", "precision", "recall", "f1", "avg_iou", "train_seconds", "iterations"])


def row_from_run(variant, seed, mj, train_seconds, iterations, names):
    by_name = {c["name"]: c["ap"] for c in mj.get("classes", [])}
    row = {"variant": variant, "seed": seed, "map50": mj["map50"], "map50_95": mj["map_coco"],
           "ece": mj["ece"], "ece_top": ece_top(mj), "precision": mj.get("precision", ""), "recall": mj.get("recall", ""),
           "f1": mj.get("f1", ""), "avg_iou": mj.get("avg_iou", ""),
           "train_seconds": "%.1f" % train_seconds, "iterations": iterations}
    for n in names:
        row["ap_" + n] = by_name.get(n, "")
    return row


def write_csv(path, rows, names):
    cols = csv_columns(names)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: fmt_csv(r.get(c, "")) for c in cols})
    os.replace(tmp, path)


def fmt_csv(v):
    if isinstance(v, float):
        return "%.6f" % v
    return v


def read_csv(path):
    if not os.path.exists(path):
        raise AbError("%s: no such file" % path)
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        cols = rd.fieldnames or []
        if "variant" not in cols or "map50" not in cols:  # before its values are read as numbers
            raise AbError("%s: not an ab_losses results.csv (no variant/map50 columns)" % path)
        rows = []
        for r in rd:
            out = {}
            for k, v in r.items():
                if k in ("variant",):
                    out[k] = v
                elif k in ("seed", "iterations"):
                    out[k] = int(v)
                else:
                    out[k] = float(v) if v not in ("", None) else float("nan")
            rows.append(out)
    names = [c[3:] for c in cols if c.startswith("ap_")]
    return rows, names


def pooled_calibration(folder, rows):
    """Each variant's calibration bins (`detector map`'s, in runs/*/map.json) pooled over its seeds:
    {variant: [(count, mean confidence, accuracy), ...]} in the order of rows, the mean and the
    accuracy None for an empty bin. Runs without a map.json are left out; {} when none has one."""
    pooled = {}
    for r in rows:
        mp = os.path.join(run_dir(folder, r["variant"], r["seed"]), "map.json")
        if not os.path.exists(mp):
            continue
        bins = read_json(mp).get("calibration") or []
        sums = pooled.setdefault(r["variant"], [[0, 0.0, 0.0] for _ in bins])  # count, sum conf, sum acc
        for acc, b in zip(sums, bins):
            acc[0] += b["count"]
            acc[1] += b["count"] * b["confidence"]
            acc[2] += b["count"] * b["accuracy"]
    return {v: [(n, c / n, a / n) if n else (0, None, None) for n, c, a in sums] for v, sums in pooled.items()}
