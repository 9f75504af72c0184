"""The statistics of the tables: Student's t quantile, mean and sd, paired differences' intervals,
and the calibration error of the confident detections."""

import math

# two-sided 95% quantiles of Student's t, df 1..30
T975 = [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
        2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
        2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
        2.048407, 2.045230, 2.042272]


def t975(df):
    if df < 1:
        return float("nan")
    if df <= 30:
        return T975[df - 1]
    z = 1.959964  # Cornish-Fisher expansion around the normal quantile; error < 1e-4 for df > 30
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def mean_sd(xs):
    n = len(xs)
    if n == 0:
        return float("nan"), float("nan")
    m = sum(xs) / n
    if n == 1:
        return m, float("nan")
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))


def paired_ci(diffs):
    """Mean of the paired differences and its 95% t interval; None for the interval when n < 2."""
    n = len(diffs)
    m, sd = mean_sd(diffs)
    if n < 2:
        return m, None
    h = t975(n - 1) * sd / math.sqrt(n)
    return m, (m - h, m + h)


TOP_CONF = .3  # ece_top: the calibration error of the detections scored at least this


def ece_top(mj):
    """ECE over the calibration bins of map.json whose confidence range starts at TOP_CONF or above
    (10 equal bins: [.3, .4) ... [.9, 1]): the detections a user would keep. The plain ECE weighs
    bins by their count and is mostly the lowest bin. 0 when no detection scored that high."""
    bins = mj.get("calibration") or []
    nb = len(bins)
    sel = [b for i, b in enumerate(bins) if nb and i / nb >= TOP_CONF - 1e-9 and b["count"] > 0]
    n = sum(b["count"] for b in sel)
    if n == 0:
        return 0.0
    return sum(b["count"] * abs(b["accuracy"] - b["confidence"]) for b in sel) / n
