"""Shared by every module: the repository's folder, the error type, log() and small file helpers."""

import hashlib
import json
import os

# scripts/ablib/common.py -> the repository
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class AbError(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def run_dir(folder, variant, seed):
    """A study's folder of one run: <folder>/runs/<variant>_s<seed>."""
    return os.path.join(folder, "runs", "%s_s%d" % (variant, seed))


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, obj):
    write_atomic(path, json.dumps(obj, indent=1, sort_keys=True) + "\n")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_text(text):
    return hashlib.sha256(text.encode()).hexdigest()
