"""The plots of a study: map.png, reliability.png, loss.png. matplotlib is imported only when one
is drawn."""

import math
import os

from .common import run_dir
from .darknet import iteration_point
from .results import MAIN_METRICS, pooled_calibration, variant_order
from .stats import mean_sd


def load_pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(plt, fig, path):
    """Writes fig to path (PNG, 110 dpi) through a temporary file, and closes it."""
    fig.tight_layout()
    fig.savefig(path + ".tmp.png", dpi=110)
    plt.close(fig)
    os.replace(path + ".tmp.png", path)


def plot_map(rows, path, title):
    plt = load_pyplot()
    variants = variant_order(rows)
    fig, axes = plt.subplots(1, 2, figsize=(max(6, 1.3 * len(variants) + 3) * 1.6, 4.2))
    for ax, (col, lbl) in zip(axes, MAIN_METRICS[:2]):
        for i, v in enumerate(variants):
            ys = [r[col] for r in rows if r["variant"] == v]
            m, sd = mean_sd(ys)
            ax.bar(i, m, color="C%d" % (i % 10), alpha=.55, width=.6)
            if len(ys) > 1:
                ax.errorbar(i, m, yerr=sd, color="black", capsize=5, lw=1.2)
            ax.scatter([i + (k - (len(ys) - 1) / 2) * .08 for k in range(len(ys))], ys, s=14,
                       color="black", zorder=3)
        ax.set_xticks(range(len(variants)))
        ax.set_xticklabels(variants, rotation=20)
        ax.set_ylabel(lbl)
        ax.set_title(lbl + " (bar: mean, error bar: ±1 sd, dots: seeds)", fontsize=9)
        ax.grid(axis="y", alpha=.3)
    fig.suptitle(title, fontsize=10)
    save_figure(plt, fig, path)


def plot_reliability(folder, rows, path, title):
    """Reliability diagram: per variant, the accuracy of the detections in each confidence bin
    against their mean confidence, pooled over the variant's seeds (runs/*/map.json). Returns False
    when no map.json is there."""
    pooled = pooled_calibration(folder, rows)
    if not pooled:
        return False
    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 5.2))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="calibrated")
    for i, (v, bins) in enumerate(pooled.items()):
        pts = [(c, a) for n, c, a in bins if n > 0]
        if not pts:
            continue
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color="C%d" % (i % 10), label=v)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (mean of the bin)")
    ax.set_ylabel("accuracy (share of true positives, IoU .5)")
    ax.set_title(title + "\nreliability, 10 bins, seeds pooled", fontsize=9)
    ax.grid(alpha=.3)
    ax.legend(fontsize=8)
    save_figure(plt, fig, path)
    return True


def read_loss_curve(log_path):
    """(iterations, avg losses) of a train log: its -progress JSON lines, or, in a log written
    before darknet had them, its text lines."""
    json_pts, text_pts = [], []
    try:
        with open(log_path, errors="replace") as f:
            for ln in f:
                p = iteration_point(ln)
                if p is not None:
                    json_pts.append(p)
                elif not json_pts:
                    p = iteration_point(ln, text_too=True)
                    if p is not None:
                        text_pts.append(p)
    except OSError:
        pass
    pts = json_pts or text_pts
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_loss(curves, path, title):
    """curves: {variant: [(seed, iterations, avg_loss)]}. Returns False when there is nothing."""
    if not any(c for cs in curves.values() for c in cs if c[1]):
        return False
    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(9, 5))
    for i, (v, cs) in enumerate(curves.items()):
        first = True
        for seed, its, avg in cs:
            if not its:
                continue
            pos = [(x, y) for x, y in zip(its, avg) if y > 0 and math.isfinite(y)]
            if not pos:
                continue
            ax.plot([p[0] for p in pos], [p[1] for p in pos], color="C%d" % (i % 10), lw=1.1, alpha=.8,
                    label=v if first else None)
            first = False
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("avg loss (darknet's running average; log scale)")
    ax.set_title(title + "\n(one line per seed; losses of different variants are on different scales)",
                 fontsize=9)
    ax.grid(alpha=.3, which="both")
    ax.legend()
    save_figure(plt, fig, path)
    return True
