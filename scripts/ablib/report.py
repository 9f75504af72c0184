"""table.md and the report of a study folder (table and plots)."""

import math
import os

from .common import log, read_json, run_dir, write_atomic
from .plots import plot_loss, plot_map, plot_reliability, read_loss_curve
from .results import MAIN_METRICS, pooled_calibration, read_csv, variant_order
from .stats import mean_sd, paired_ci


def fmt(x, digits=3):
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else "%.*f" % (digits, x)


def fmt_signed(x, digits=3):
    return "—" if x is None or math.isnan(x) else "%+.*f" % (digits, x)


def comparisons_line(intervals, excluding):
    """How many intervals the difference table holds, how many of them exclude 0, and what that
    many would be by chance alone (each 95% interval misses a true 0 one time in twenty)."""
    line = ("Comparisons: %d intervals (variants x metrics); if no variant differed from the baseline, about "
            "%g of them would exclude 0 by chance alone. %d do" % (intervals, round(intervals / 20.0, 2), len(excluding)))
    line += (": " + ", ".join(excluding) + "." if excluding else ".")
    return line + " A single interval that excludes 0 among many is weak evidence."


def make_table(rows, names, title, meta_lines, baseline, failed=(), calibration=None):
    variants = variant_order(rows)
    metrics = MAIN_METRICS + [("ap_" + n, "AP " + n) for n in names]
    by = {v: {r["seed"]: r for r in rows if r["variant"] == v} for v in variants}
    out = ["# " + title, ""]
    out += meta_lines
    if meta_lines:
        out.append("")
    out.append("## Per variant: mean ± sd over seeds")
    out.append("")
    out.append("| variant | seeds | " + " | ".join(lbl for _, lbl in metrics) + " | train min/run |")
    out.append("|---|---|" + "---|" * len(metrics) + "---|")
    for v in variants:
        rs = list(by[v].values())
        cells = []
        for col, _ in metrics:
            m, sd = mean_sd([r[col] for r in rs])
            cells.append(fmt(m) if len(rs) < 2 else "%s ± %s" % (fmt(m), fmt(sd)))
        tm, _ = mean_sd([r["train_seconds"] / 60 for r in rs])
        out.append("| %s | %d | %s | %.1f |" % (v, len(rs), " | ".join(cells), tm))
    out.append("")
    out.append("## Difference to %s, paired by seed: mean [95%% t interval]" % baseline)
    out.append("")
    if baseline not in by:
        out.append("No %s runs: no differences." % baseline)
    else:
        out.append("| variant | pairs | " + " | ".join("Δ " + lbl for _, lbl in metrics) + " |")
        out.append("|---|---|" + "---|" * len(metrics))
        intervals, excluding = 0, []  # the comparisons with an interval, and those excluding 0
        for v in variants:
            if v == baseline:
                continue
            seeds = sorted(set(by[v]) & set(by[baseline]))
            cells = []
            for col, lbl in metrics:
                d = [by[v][s][col] - by[baseline][s][col] for s in seeds]
                if not d:
                    cells.append("n/a")
                    continue
                m, ci = paired_ci(d)
                if ci is None:
                    cells.append("%s (n/a: 1 seed)" % fmt_signed(m))
                else:
                    cells.append("%s [%s, %s]" % (fmt_signed(m), fmt_signed(ci[0]), fmt_signed(ci[1])))
                    intervals += 1
                    if ci[0] > 0 or ci[1] < 0:
                        excluding.append("%s %s" % (v, lbl))
            out.append("| %s | %d | %s |" % (v, len(seeds), " | ".join(cells)))
        out.append("")
        if intervals:
            out.append(comparisons_line(intervals, excluding))
            out.append("")
        out.append(
            "Method: for every seed both runs start from the same initial weights and see the same data "
            "order and augmentation, so each seed gives one paired difference d = variant − %s. The table "
            "shows the mean of the n differences and its 95%% Student t interval, mean ± t(0.975, n−1) · "
            "sd(d) / √n (sd with n − 1). An interval that excludes 0 is a difference the seeds agree on; "
            "with one seed there is no interval (n/a). mAP and AP: higher is better; ECE (expected "
            "calibration error, 10 bins): lower is better. The intervals are per comparison, not corrected "
            "for the number of variants and metrics." % baseline)
    if calibration:
        out.append("")
        out += reliability_lines(calibration)
    if failed:
        out.append("")
        out.append("Failed runs (not in the tables; rerun to retry): " + ", ".join(failed) + ".")
    return "\n".join(out) + "\n"


def reliability_lines(calibration):
    """The reliability diagram's numbers (reliability.png): per variant and score bin, the share of
    the detections that are true positives, at the bin's mean score; calibration as
    pooled_calibration returns it."""
    nbins = max(len(bins) for bins in calibration.values())
    edge = lambda i: ("%.2f" % (i / nbins)).rstrip("0").rstrip(".").lstrip("0") or "0"
    out = ["## Reliability: true positives per score bin, seeds pooled", "",
           "| variant | detections | " + " | ".join("%s-%s" % (edge(i), edge(i + 1)) for i in range(nbins)) + " |",
           "|---|---|" + "---|" * nbins]
    for v, bins in calibration.items():
        cells = ["—" if not n else "%.0f%% at %s" % (100 * a, ("%.2f" % c).lstrip("0")) for n, c, a in bins]
        cells += ["—"] * (nbins - len(bins))
        out.append("| %s | %d | %s |" % (v, sum(b[0] for b in bins), " | ".join(cells)))
    out += ["", "Each cell: of the detections whose score falls in the bin (every detection `detector map` keeps, "
            "above .005, all seeds of the variant), the share that are true positives (IoU .5), at their mean "
            "score; a calibrated model's share equals its score. reliability.png draws the same numbers."]
    return out


def study_meta_lines(study):
    if not study:
        return []
    lines = []
    if study.get("mode") == "finetune":
        lines.append("- fine-tuning from `%s` for %d iterations (`-clear`), every variant against continuing "
                     "with bce" % (study["from"], study["iterations"]))
    elif study.get("mode") == "pretrained":
        lines.append("- every run from `%s` (`-clear`; layers not in it initialised per seed), %d iterations"
                     % (os.path.basename(study["from"]), study["iterations"]))
    else:
        lines.append("- from scratch, %d iterations; initial weights: `darknet init <cfg> -seed N` per seed"
                     % study["iterations"])
    lines.append("- data `%s`, base cfg `%s`" % (study["data"], study["cfg"]))
    if study.get("net"):
        lines.append("- [net] overrides: " + ", ".join("%s=%s" % tuple(kv) for kv in study["net"]))
    lines.append("- variants ([yolo] keys; section.key: that section's, *F: the base value times F): " + "; ".join(
        "%s: %s" % (v, ", ".join("%s=%s" % tuple(kv) for kv in keys) or "base cfg")
        for v, keys in study["variants"].items()))
    if study.get("start_map"):
        s = study["start_map"]
        lines.append("- the starting weights themselves: mAP@.5 %s, mAP@.5:.95 %s, ECE %s"
                     % (fmt(s["map50"]), fmt(s["map_coco"]), fmt(s["ece"])))
    return lines


def run_info(folder, r):
    """The run.json of a results.csv row's run ({} when it has none)."""
    rj = os.path.join(run_dir(folder, r["variant"], r["seed"]), "run.json")
    return read_json(rj) if os.path.exists(rj) else {}


def resumed_lines(folder, rows):
    """Which runs were trained in more than one piece (interrupted, then resumed)."""
    exact, inexact = [], []
    for r in rows:
        info = run_info(folder, r)
        if info.get("inexact_resume"):
            inexact.append("%s seed %d" % (r["variant"], r["seed"]))
        elif info.get("training_segments", 1) > 1:
            exact.append("%s seed %d" % (r["variant"], r["seed"]))
    lines = []
    if exact:
        lines.append("- interrupted and resumed exactly (same weights as one straight run): " + ", ".join(exact))
    if inexact:
        lines.append("- interrupted and resumed with the momentum reset (not the exact paired run): " +
                     ", ".join(inexact))
    return lines


def provenance_lines(folder, rows):
    """Which darknet binary trained which runs (run.json's `darknet`: binary sha256, commit, CPU),
    with their training hours (results.csv's train_seconds), and the total. None for a study whose
    run.json files predate the record."""
    groups = {}  # binary sha256 -> [commits, cpus, runs, seconds]
    for r in rows:
        dk = run_info(folder, r).get("darknet") or {}
        key = dk.get("binary_sha256", "")[:12] or "?"
        g = groups.setdefault(key, [[], [], [], 0.0])
        cpu = dk.get("cpu", "?") + (", %d threads" % dk["threads"] if dk.get("threads") else "")
        for i, v in ((0, dk.get("commit", "?") + ("+dirty" if dk.get("dirty") else "")), (1, cpu)):
            if v not in g[i]:
                g[i].append(v)
        g[2].append("%s s%d" % (r["variant"], r["seed"]))
        secs = r.get("train_seconds", float("nan"))
        g[3] += 0.0 if math.isnan(secs) else secs
    if not groups or list(groups) == ["?"]:
        return []
    total = sum(g[3] for g in groups.values())
    lines = ["- training: %d run%s, %.1f h of wall clock in all (train_seconds; runs that shared the cores "
             "took longer)" % (len(rows), "" if len(rows) == 1 else "s", total / 3600)]
    for key, (commits, cpus, runs, secs) in groups.items():
        who = ("binary %s (darknet %s; %s)" % (key, ", ".join(commits), ", ".join(cpus)) if key != "?"
               else "a binary run.json does not record")
        lines.append("- trained by %s: %d run%s, %.1f h: %s" % (who, len(runs), "" if len(runs) == 1 else "s",
                                                              secs / 3600, ", ".join(runs)))
    return lines


def write_report(folder, failed=()):
    """Regenerates table.md, map.png, reliability.png and loss.png of a study folder from its
    results.csv (runs/*/map.json for the reliability numbers, the train logs under runs/ for
    loss.png). Returns the table text."""
    rows, names = read_csv(os.path.join(folder, "results.csv"))
    study_path = os.path.join(folder, "study.json")
    study = read_json(study_path) if os.path.exists(study_path) else None
    variants = variant_order(rows)
    baseline = (study or {}).get("baseline") or ("bce" if "bce" in variants else (variants[0] if variants else "bce"))
    name = os.path.basename(os.path.normpath(folder))
    if name == "finetune":
        name = os.path.basename(os.path.dirname(os.path.normpath(folder))) + " (fine-tuning)"
    title = "Loss A/B: " + name
    meta = study_meta_lines(study) + resumed_lines(folder, rows) + provenance_lines(folder, rows)
    table = make_table(rows, names, title, meta, baseline, failed, pooled_calibration(folder, rows))
    write_atomic(os.path.join(folder, "table.md"), table)
    if rows:
        plot_map(rows, os.path.join(folder, "map.png"), title)
        if not plot_reliability(folder, rows, os.path.join(folder, "reliability.png"), title):
            log("(no map.json under %s/runs: reliability.png not drawn)" % folder)
    curves = {}
    for v in variants:
        curves[v] = []
        for r in rows:
            if r["variant"] == v:
                its, avg = read_loss_curve(os.path.join(run_dir(folder, v, r["seed"]), "train.log"))
                curves[v].append((r["seed"], its, avg))
    if not plot_loss(curves, os.path.join(folder, "loss.png"), title):
        log("(no train logs under %s/runs: loss.png not drawn)" % folder)
    return table
