"""Running the darknet binary: its progress lines, the child environment, logged runs."""

import json
import os
import re
import signal
import subprocess

from .common import REPO, AbError

# Darknet's text line of an iteration; read only from train logs written before `-progress`
# existed (the first edition's results): darknet's JSON progress lines are what is read now.
ITER_RE = re.compile(r"^\s*(\d+): (\S+), (\S+) avg loss, (\S+) rate, (\S+) seconds")


def progress_record(line):
    """The JSON object of one `detector train -progress` line (train/progress.hpp), or None for
    any other line."""
    s = line.strip()
    if not s.startswith("{"):
        return None
    try:
        obj = json.loads(s)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) and isinstance(obj.get("iteration"), int) else None


def iteration_point(line, text_too=False):
    """(iteration, avg loss) of a progress line (and, with text_too, of Darknet's text line of an
    iteration), else None."""
    rec = progress_record(line)
    if rec is not None:
        avg = rec.get("avg_loss")
        return (rec["iteration"], float(avg)) if isinstance(avg, (int, float)) else None
    if text_too:
        m = ITER_RE.match(line)
        if m:
            try:
                return int(m.group(1)), float(m.group(3))
            except ValueError:
                return None
    return None


def child_env():
    env = dict(os.environ)
    # On a shared machine OpenMP's spinning threads lose most of their time to each other: with
    # passive waiting, training yolov3-tiny at 256 ran ~4x faster on the 2-core machine while two
    # other heavy processes ran. A value the user set is kept.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def run_logged(cmd, cwd, log_path, on_line=None, append=False):
    """Runs cmd with stdout+stderr into log_path (appended to with append=True); on_line(line) for
    each line. Returns the exit code."""
    with open(log_path, "a" if append else "w") as logf:
        logf.write("# " + " ".join(cmd) + "\n")
        logf.flush()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=child_env(), text=True, errors="replace", bufsize=1)
        try:
            for ln in p.stdout:
                logf.write(ln)
                if on_line:
                    on_line(ln)
            return p.wait()
        except BaseException:
            # Stop darknet as Ctrl-C would (it saves _last.weights and .state), with SIGTERM: a
            # background job may have SIGINT ignored. Give it time to save and exit.
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=30)
            except Exception:
                p.kill()
            raise


def tail(path, n=6):
    try:
        with open(path, errors="replace") as f:
            lines = [ln.rstrip("\n") for ln in f if ln.strip()]
        return "\n".join("    " + ln for ln in lines[-n:])
    except OSError:
        return ""


def check_darknet(path):
    cands = [path]
    if path == "./darknet":  # the default: also the repository's own builds
        cands += [os.path.join(REPO, "darknet"), os.path.join(REPO, "build", "darknet")]
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise AbError("%s: no darknet binary there (build it with `make`, or pass --darknet PATH)" % path)
