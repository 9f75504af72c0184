"""The variants, and the syntaxes of the command line's values: --variant, --net, --seeds, --until."""

import re
import time

from .common import AbError

# name -> [yolo] keys. Each sets the objectness and the class loss explicitly, so that a loss
# choice in the base cfg cannot leak into a variant.
BUILTIN_VARIANTS = {
    "bce": [("loss", "bce")],
    "balanced": [("loss", "balanced"), ("focal_alpha", "0.25")],
    "focal": [("loss", "focal"), ("focal_gamma", "2"), ("focal_alpha", "0.25")],
    "mfocal": [("loss", "mfocal")],
    "focal_obj": [("obj_loss", "focal"), ("cls_loss", "bce"), ("focal_gamma", "2"), ("focal_alpha", "0.25")],
    "focal_cls": [("obj_loss", "bce"), ("cls_loss", "focal"), ("focal_gamma", "2"), ("focal_alpha", "0.25")],
    # Two classic regularisers with stock BCE, to compare focal loss with: `section.key` sets a key
    # of every [section] other than [yolo]; a value `*F` scales the base cfg's value by F.
    "wd10": [("loss", "bce"), ("net.decay", "*10")],
    "dropout2": [("loss", "bce"), ("dropout.probability", "*2")],
}
DEFAULT_VARIANTS = ["bce", "balanced", "focal", "mfocal", "focal_obj", "focal_cls"]
QUICK_VARIANTS = ["bce", "focal", "mfocal"]


def parse_variant(spec):
    """'name:key=v,key=v' -> (name, [(key, v)])."""
    if ":" not in spec:
        raise AbError("--variant %s: expected NAME:key=value[,key=value...]" % spec)
    name, rest = spec.split(":", 1)
    name = name.strip()
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$", name):
        raise AbError("--variant %s: the name may hold letters, digits and _ . + - only" % spec)
    return name, parse_keyvals(rest, "--variant " + spec)


def parse_keyvals(spec, what):
    """'key=v, key=v' -> [(key, v)] (empty items skipped); what names the option in errors."""
    keys = []
    for item in (spec or "").split(","):
        item = item.strip()
        if item:
            if "=" not in item:
                raise AbError("%s: '%s' is not key=value" % (what, item))
            k, v = item.split("=", 1)
            keys.append((k.strip(), v.strip()))
    return keys


def parse_seeds(spec):
    """'3' -> [1, 2, 3]; '1,5,9' -> [1, 5, 9]; '4-6' -> [4, 5, 6]."""
    s = str(spec).strip()
    try:
        if "," in s:
            seeds = [int(x) for x in s.split(",") if x.strip()]
        elif "-" in s[1:]:
            a, b = s.split("-", 1)
            seeds = list(range(int(a), int(b) + 1))
        else:
            seeds = list(range(1, int(s) + 1))
    except ValueError:
        raise AbError("--seeds %s: expected a count (3), a list (1,5,9) or a range (4-6)" % spec) from None
    if not seeds or any(x < 0 for x in seeds) or len(set(seeds)) != len(seeds):
        raise AbError("--seeds %s: need one or more distinct seeds >= 0" % spec)
    return seeds


def parse_until(spec, now=None):
    """'HH:MM' -> the next such local time (epoch seconds), today or tomorrow."""
    m = re.match(r"^(\d{1,2}):(\d{2})$", spec.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise AbError("--until %s: expected HH:MM (local time)" % spec)
    now = time.time() if now is None else now
    lt = time.localtime(now)
    t = time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, int(m.group(1)), int(m.group(2)), 0, 0, 0, -1))
    return t if t > now else t + 86400
