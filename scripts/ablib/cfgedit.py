"""cfg and .data files: reading them, their sections, setting keys, and the cfg text of a variant."""

import os

from .common import AbError

# Keys that choose a loss: when a variant sets one of them, all of them are removed from the base
# cfg's [yolo] sections first, so the variant alone decides which losses are used.
LOSS_CHOICE_KEYS = ("loss", "obj_loss", "cls_loss", "focal_loss")


def read_cfg_lines(path):
    try:
        with open(path) as f:
            return f.read().split("\n")
    except OSError as e:
        raise AbError("%s: cannot read: %s" % (path, e.strerror)) from None


def line_key(line):
    """The key of a cfg `key=value` line (Darknet removes all whitespace first), else None."""
    s = "".join(line.split())
    if not s or s[0] in "#;[" or "=" not in s:
        return None
    return s.split("=", 1)[0]


def section_spans(lines):
    """[(name, first line index, end index)] of every section ('[yolo]' -> 'yolo')."""
    spans = []
    for i, ln in enumerate(lines):
        s = ln.strip()
        if s.startswith("["):
            if spans:
                spans[-1][2] = i
            spans.append([s.strip("[]").strip(), i, len(lines)])
    return spans


def net_value(lines, key):
    for name, a, b in section_spans(lines):
        if name in ("net", "network"):
            for ln in lines[a + 1:b]:
                if line_key(ln) == key:
                    return "".join(ln.split()).split("=", 1)[1]
    return None


def apply_overrides(lines, section_names, keys, drop_keys=()):
    """Sets `keys` ([(key, value)]) in every section named in section_names, replacing the lines of
    those keys (and of drop_keys); the new lines go at the end of each section."""
    if not keys:
        return list(lines)
    remove = {k for k, _ in keys} | set(drop_keys)
    spans = section_spans(lines)
    out = list(lines[:spans[0][1]]) if spans else list(lines)
    found = False
    for name, a, b in spans:
        body = lines[a:b]
        if name in section_names:
            found = True
            kept = [ln for ln in body if line_key(ln) not in remove]
            # keep trailing blank lines after the inserted keys
            tail = []
            while len(kept) > 1 and not kept[-1].strip():
                tail.insert(0, kept.pop())
            body = kept + ["%s=%s" % (k, v) for k, v in keys] + tail
        out += body
    if not found:
        raise AbError("the cfg has no [%s] section" % "/".join(section_names))
    return out


def split_section_key(key):
    """'net.decay' -> ('net', 'decay'); 'loss' -> ('yolo', 'loss')."""
    if "." in key:
        sec, k = key.split(".", 1)
        return sec, k
    return "yolo", key


def scale_value(text, factor, where):
    try:
        v = float(text) * factor
    except ValueError:
        raise AbError("%s: '%s' is not a number to scale" % (where, text)) from None
    return "%.10g" % v


def apply_section_keys(lines, sec, keys):
    """Sets keys ([(key, value)]) in every [sec] section (net: [net] or [network]); a value '*F'
    multiplies the value that section has (an error where it has none)."""
    names = ("net", "network") if sec in ("net", "network") else (sec,)
    plain = [(k, v) for k, v in keys if not v.startswith("*")]
    scaled = [(k, v) for k, v in keys if v.startswith("*")]
    out = apply_overrides(lines, names, plain) if plain else list(lines)
    if not scaled:
        return out
    found = False
    for name, a, b in section_spans(out):
        if name not in names:
            continue
        found = True
        for k, v in scaled:
            try:
                factor = float(v[1:])
            except ValueError:
                raise AbError("%s.%s=%s: expected *NUMBER" % (sec, k, v)) from None
            hits = [i for i in range(a + 1, b) if line_key(out[i]) == k]
            if not hits:
                raise AbError("%s.%s=%s: the [%s] section at line %d of the base cfg has no %s= to scale" %
                              (sec, k, v, name, a + 1, k))
            for i in hits:
                old = "".join(out[i].split()).split("=", 1)[1]
                out[i] = "%s=%s" % (k, scale_value(old, factor, "line %d, %s" % (i + 1, k)))
    if not found:
        raise AbError("%s.*: the cfg has no [%s] section" % (sec, sec))
    return out


def variant_cfg_text(base_lines, variant, keys, net_keys, source):
    by_sec = {}
    for k, v in keys:
        sec, key = split_section_key(k)
        by_sec.setdefault(sec, []).append((key, v))
    yolo_keys = by_sec.pop("yolo", [])
    drop = LOSS_CHOICE_KEYS if any(k in LOSS_CHOICE_KEYS for k, _ in yolo_keys) else ()
    lines = apply_overrides(base_lines, ("yolo",), yolo_keys, drop)
    for sec, sk in by_sec.items():
        lines = apply_section_keys(lines, sec, sk)
    lines = apply_overrides(lines, ("net", "network"), net_keys)
    head = ["# written by scripts/ab_losses from %s: variant %s (%s)" %
            (source, variant, ", ".join("%s=%s" % kv for kv in keys) or "base cfg unchanged")]
    if net_keys:
        head.append("# [net] overrides: " + ", ".join("%s=%s" % kv for kv in net_keys))
    return "\n".join(head + lines)


def read_data_file(path):
    """The .data file's keys, with file paths resolved as darknet does (against the current folder
    first, then the .data file's folder), made absolute."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise AbError("%s: cannot read: %s" % (path, e.strerror)) from None
    d = {}
    for ln in text.split("\n"):
        s = ln.strip()
        if not s or s[0] in "#;" or "=" not in s:
            continue
        k, v = s.split("=", 1)
        d[k.strip()] = v.strip()
    base = os.path.dirname(os.path.abspath(path))
    for k in ("train", "valid", "names"):
        if k in d:
            v = d[k]
            cand = v if os.path.isabs(v) or os.path.exists(v) else os.path.join(base, v)
            d[k] = os.path.abspath(cand)
    for k in ("train", "valid", "names"):
        if k not in d:
            raise AbError("%s: missing '%s='" % (path, k))
        if not os.path.exists(d[k]):
            raise AbError("%s: %s=%s: no such file" % (path, k, d[k]))
    return d


def read_names(path):
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]
