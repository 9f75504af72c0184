"""A study's runs: Progress (time left) and Study (prepare, train, evaluate, resume, collect, commit)."""

import datetime
import hashlib
import os
import shutil
import statistics
import subprocess
import time

from .cfgedit import apply_overrides, net_value, read_cfg_lines, read_data_file, read_names, variant_cfg_text
from .common import (REPO, AbError, log, read_json, run_dir, sha256_file, sha256_text, write_atomic,
                     write_json)
from .darknet import iteration_point, run_logged, tail
from .report import write_report
from .results import row_from_run, write_csv


def omp_threads():
    """The OpenMP threads darknet will train with (OMP_NUM_THREADS, else the CPUs this process may
    use): trained weights depend on it, through the order of the threads' sums."""
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


class Progress:
    """Estimates the time left from the training speed seen so far."""

    def __init__(self, total_runs, iterations):
        self.total = total_runs
        self.iterations = iterations
        self.sec_per_it = []   # of finished trainings
        self.eval_secs = []
        self.index = 0

    def estimate(self, runs_after, its_left_now, cur_sec_per_it=None):
        """Seconds left: this run's remaining iterations and evaluation, then runs_after whole runs."""
        spi = cur_sec_per_it
        if spi is None and self.sec_per_it:
            # the median: a run that shared the cores (or was paused) must not set the pace
            spi = statistics.median(self.sec_per_it)
        if spi is None:
            return None
        ev = sum(self.eval_secs) / len(self.eval_secs) if self.eval_secs else 10.0
        return its_left_now * spi + ev + runs_after * (self.iterations * spi + ev)

    @staticmethod
    def fmt(seconds):
        if seconds is None:
            return "time left not known yet"
        if seconds < 90:
            return "~%d s left (est.)" % max(1, round(seconds))
        if seconds < 5400:
            return "~%d min left (est.)" % round(seconds / 60)
        return "~%.1f h left (est.)" % (seconds / 3600)


def run_failed(rd, head, command, step, rc, log_name):
    """Marks the run folder rd failed (command exited with rc), prints the tail of its log; 'failed'."""
    write_atomic(os.path.join(rd, "failed"), "%s exited with %d\n" % (command, rc))
    log_path = os.path.join(rd, log_name)
    log("%s: FAILED in %s (exit %d); %s:\n%s" % (head, step, rc, log_path, tail(log_path)))
    return "failed"


class Study:
    """One results folder: fixed data, base cfg and iterations; variants and seeds can be added."""

    def __init__(self, a, folder, mode):
        self.a = a
        self.folder = os.path.abspath(folder)
        self.shown = folder  # as the user named it, for messages
        self.mode = mode  # "scratch", "finetune" (from a trained model) or "pretrained" (--from)
        self.darknet = a.darknet_path
        self.data = read_data_file(a.data)
        self.names = read_names(self.data["names"])
        self.classes = int(self.data.get("classes") or len(self.names))
        h = hashlib.sha256()
        for k in ("train", "valid", "names"):
            with open(self.data[k], "rb") as f:
                h.update(f.read())
        self.data_sha = h.hexdigest()  # the lists' and names' contents
        self.base_lines = read_cfg_lines(a.cfg)
        self.cfg_path = os.path.abspath(a.cfg)
        if mode == "finetune":
            self.iterations = a.finetune_iterations
        elif a.iterations:
            self.iterations = a.iterations
        else:
            mb = net_value(apply_overrides(self.base_lines, ("net", "network"), a.net_keys), "max_batches")
            if not mb or not mb.isdigit() or int(mb) <= 0:
                raise AbError("%s: no max_batches in [net]: pass --iterations" % a.cfg)
            self.iterations = int(mb)
        self.variants = a.variant_list
        self.seeds = a.seed_list
        self.from_weights = (os.path.abspath(a.finetune) if mode == "finetune" else
                             os.path.abspath(a.from_weights) if mode == "pretrained" else None)
        self.baseline = "bce" if "bce" in self.variants else self.variants[0]

    # ------------------------------------------------------------ setup

    def prepare(self):
        os.makedirs(os.path.join(self.folder, "cfg"), exist_ok=True)
        os.makedirs(os.path.join(self.folder, "runs"), exist_ok=True)
        sp = os.path.join(self.folder, "study.json")
        # What makes runs comparable, by content (the folder may move, BCCD_DIR may differ).
        fixed = {"mode": self.mode, "cfg_sha256": sha256_text("\n".join(self.base_lines)),
                 "data_sha256": self.data_sha, "iterations": self.iterations,
                 "net": [list(kv) for kv in self.a.net_keys]}
        if self.from_weights:
            fixed["from_sha256"] = sha256_file(self.from_weights)
        study = read_json(sp) if os.path.exists(sp) else None
        if study:
            diff = [k for k in fixed if study.get(k) != fixed[k]]
            if diff:
                raise AbError(
                    "%s holds a study with other settings (%s: was %s, now %s). Use another --name, or delete "
                    "the folder to start over." % (self.folder, ", ".join(diff),
                                                   "; ".join(str(study.get(k)) for k in diff),
                                                   "; ".join(str(fixed[k]) for k in diff)))
            variants = study.get("variants", {})
        else:
            study = dict(fixed)
            study["created"] = datetime.datetime.now().isoformat(timespec="seconds")
            variants = {}
        # where they are now (information only)
        study["data"], study["cfg"] = os.path.abspath(self.a.data), self.cfg_path
        if self.from_weights:
            study["from"] = self.from_weights
        for v in self.variants:
            keys = [list(kv) for kv in self.a.variant_keys[v]]
            if v in variants and variants[v] != keys:
                # a finished run of the old definition would be mixed with new ones
                done = [d for d in os.listdir(os.path.join(self.folder, "runs"))
                        if d.startswith(v + "_s") and os.path.exists(os.path.join(self.folder, "runs", d, "done"))]
                if done:
                    raise AbError("%s: variant %s was %s and is now %s, and finished runs of it exist (%s). "
                                  "Give the new definition another name." % (
                                      self.folder, v, variants[v], keys, ", ".join(sorted(done))))
            variants[v] = keys
        study["variants"] = variants
        study["baseline"] = "bce" if "bce" in variants else next(iter(variants))
        study["seeds"] = sorted(set(study.get("seeds", [])) | set(self.seeds))
        study["classes"] = self.names
        self.study = study
        write_json(sp, study)
        self.cfgs = {}
        for v in self.variants:
            text = variant_cfg_text(self.base_lines, v, self.a.variant_keys[v], self.a.net_keys, self.cfg_path)
            path = os.path.join(self.folder, "cfg", v + ".cfg")
            if not os.path.exists(path) or open(path).read() != text:
                write_atomic(path, text)
            self.cfgs[v] = path

    def init_weights(self, variant, seed):
        """The initial weights of a from-scratch run: one file per seed from the base cfg, shared by
        all variants; a variant with bias_prior gets its own (same seed) so that its prior is in."""
        d = os.path.join(self.folder, "init")
        os.makedirs(d, exist_ok=True)
        own = any(k == "bias_prior" for k, _ in self.a.variant_keys[variant])
        if own:
            path, cfg = os.path.join(d, "%s_s%d.weights" % (variant, seed)), self.cfgs[variant]
        else:
            base = os.path.join(self.folder, "cfg", "_base.cfg")
            text = variant_cfg_text(self.base_lines, "_base", [], self.a.net_keys, self.cfg_path)
            if not os.path.exists(base) or open(base).read() != text:
                write_atomic(base, text)
            path, cfg = os.path.join(d, "s%d.weights" % seed), base
        if not os.path.exists(path):
            logp = path[:-len(".weights")] + ".log"
            rc = run_logged([self.darknet, "init", cfg, path + ".part", "-seed", str(seed)], d, logp)
            if rc != 0:
                raise AbError("darknet init failed (exit %d); %s:\n%s" % (rc, logp, tail(logp)))
            os.replace(path + ".part", path)
        return path

    def run_dir(self, v, s):
        return run_dir(self.folder, v, s)

    def run_data_text(self, backup):
        """A run's own .data: the study's lists and names by absolute path, its folder as backup=."""
        return ("classes = %d\n" % self.classes +
                "".join("%s = %s\n" % (k, self.data[k]) for k in ("train", "valid", "names")) +
                "backup = %s\n" % backup)

    def signature(self, v, s):
        # the variant's cfg without its first comment lines (they name the base cfg's path)
        cfg_body = "\n".join(ln for ln in open(self.cfgs[v]).read().split("\n") if not ln.startswith("# written by"))
        sig = {"variant": v, "seed": s, "iterations": self.iterations, "mode": self.mode,
               "cfg_sha256": sha256_text(cfg_body), "data_sha256": self.data_sha}
        if self.from_weights:
            sig["from_sha256"] = self.study["from_sha256"]
        return sig

    # ------------------------------------------------------------ one run

    def run_one(self, v, s, progress, runs_after):
        rd = self.run_dir(v, s)
        cfg_base = os.path.splitext(os.path.basename(self.cfgs[v]))[0]
        data_text = self.run_data_text(rd)
        sig = self.signature(v, s)
        if os.path.exists(os.path.join(rd, "done")):
            old = read_json(os.path.join(rd, "run.json"))
            if old.get("signature") != sig:
                raise AbError("%s is done but with other settings (cfg, data or iterations changed). "
                              "Delete it to redo it, or use another --name." % rd)
            return "kept"
        head = "[run %d/%d] %s seed %d" % (progress.index, progress.total, v, s)
        trained = os.path.join(rd, "trained")
        final = os.path.join(rd, cfg_base + "_final.weights")
        info = None
        if os.path.exists(trained) and os.path.exists(final):
            info = read_json(trained)
            if info.get("signature") != sig:
                info = None
        if info is None:
            # Interrupted before: continue from its _last.weights (and .state, the momentum), which
            # darknet resumes exactly (docs/ab_study.md, "Resuming"); else start over.
            last = os.path.join(rd, cfg_base + "_last.weights")
            started_p = os.path.join(rd, "started")
            started = read_json(started_p) if os.path.exists(started_p) else None
            resume = (started is not None and started.get("signature") == sig and os.path.exists(last) and
                      os.path.exists(os.path.join(rd, cfg_base + "_last.state")))
            if resume:
                start, extra = last, []
                segments = started.get("segments", [])
            else:
                if os.path.exists(rd):
                    shutil.rmtree(rd)
                os.makedirs(rd)
                write_atomic(os.path.join(rd, "run.data"), data_text)
                if self.from_weights:
                    start, extra = self.from_weights, ["-clear"]
                else:
                    start, extra = self.init_weights(v, s), []
                segments = []
            est = progress.estimate(runs_after, self.iterations)
            log("%s: %s, %s" % (head, "resuming from %s" % os.path.basename(last) if resume else "training",
                                Progress.fmt(est)))
            cmd = [self.darknet, "detector", "train", os.path.join(rd, "run.data"), self.cfgs[v], start,
                   "-seed", str(s), "-dont_show", "-quiet", "-chart", os.path.join(rd, "chart.png"), "-progress", "-",
                   "-iterations", str(self.iterations)] + extra
            t0 = time.monotonic()
            state = {"last": t0, "it": 0, "avg": None, "first": None}
            segments.append({"started": datetime.datetime.now().isoformat(timespec="seconds"), "seconds": 0})

            def save_started(seconds):
                segments[-1]["seconds"] = round(seconds, 1)
                write_json(started_p, {"signature": sig, "segments": segments})

            save_started(0)

            def on_line(ln):
                if "momentum starts at zero" in ln:  # resumed, but not exactly (docs/ab_study.md)
                    segments[-1]["inexact"] = ln.strip()
                pt = iteration_point(ln)  # darknet's -progress JSON line of an iteration
                if pt is None:
                    return
                state["it"], state["avg"] = pt
                if state["first"] is None:
                    state["first"] = state["it"] - 1
                now = time.monotonic()
                if now - state["last"] >= self.a.progress_every and state["it"] > state["first"]:
                    state["last"] = now
                    spi = (now - t0) / (state["it"] - state["first"])
                    e = progress.estimate(runs_after, max(0, self.iterations - state["it"]), spi)
                    log("%s: training, %s (iteration %d/%d, avg loss %.6f)" % (
                        head, Progress.fmt(e), state["it"], self.iterations, state["avg"]))
                    save_started(now - t0)

            rc = run_logged(cmd, rd, os.path.join(rd, "train.log"), on_line, append=resume)
            save_started(time.monotonic() - t0)
            secs = sum(seg["seconds"] for seg in segments)
            if rc != 0 or not os.path.exists(final):
                return run_failed(rd, head, "training", "training", rc, "train.log")
            its = state["it"] or self.iterations
            info = {"signature": sig, "train_seconds": secs, "iterations": its, "segments": len(segments),
                    "darknet": self.provenance,
                    "inexact": [seg["inexact"] for seg in segments if "inexact" in seg]}
            write_json(trained, info)
            done_here = its - (state["first"] or 0)
            progress.sec_per_it.append(segments[-1]["seconds"] / max(1, done_here))
        # Evaluate.
        log("%s: evaluating, %s" % (head, Progress.fmt(progress.estimate(runs_after, 0))))
        t0 = time.monotonic()
        mj_path = os.path.join(rd, "map.json")
        rc = run_logged([self.darknet, "detector", "map", os.path.join(rd, "run.data"), self.cfgs[v], final,
                         "-out", mj_path], rd, os.path.join(rd, "map.log"))
        if rc != 0 or not os.path.exists(mj_path):
            return run_failed(rd, head, "detector map", "evaluation", rc, "map.log")
        eval_secs = time.monotonic() - t0
        progress.eval_secs.append(eval_secs)
        mj = read_json(mj_path)
        # Keep only the final weights (the trainer's _last copy is the same network).
        for f in os.listdir(rd):
            if (f.endswith(".weights") and f != os.path.basename(final)) or f.endswith(".state"):
                os.remove(os.path.join(rd, f))
        if os.path.exists(os.path.join(rd, "failed")):
            os.remove(os.path.join(rd, "failed"))
        write_json(os.path.join(rd, "run.json"), {
            "variant": v, "seed": s, "keys": [list(kv) for kv in self.a.variant_keys[v]],
            "signature": sig, "train_seconds": info["train_seconds"], "iterations": info["iterations"],
            "training_segments": info.get("segments", 1), "inexact_resume": info.get("inexact", []),
            "darknet": info.get("darknet") or self.provenance,
            "eval_seconds": eval_secs, "map50": mj["map50"], "map50_95": mj["map_coco"], "ece": mj["ece"],
            "finished": datetime.datetime.now().isoformat(timespec="seconds")})
        write_atomic(os.path.join(rd, "done"), "done\n")
        log("%s: done: mAP@.5 %.4f, mAP@.5:.95 %.4f, ECE %.4f (%.1f min training)" % (
            head, mj["map50"], mj["map_coco"], mj["ece"], info["train_seconds"] / 60))
        return "done"

    # ------------------------------------------------------------ the whole study

    def start_map(self):
        """fine-tuning: the mAP of the starting weights themselves, once."""
        d = os.path.join(self.folder, "start")
        mj_path = os.path.join(d, "map.json")
        if not os.path.exists(mj_path):
            os.makedirs(d, exist_ok=True)
            write_atomic(os.path.join(d, "run.data"), self.run_data_text(d))
            log("[start] evaluating the starting weights %s" % self.from_weights)
            rc = run_logged([self.darknet, "detector", "map", os.path.join(d, "run.data"), self.cfgs[self.baseline],
                             self.from_weights, "-out", mj_path + ".part"], d, os.path.join(d, "map.log"))
            if rc != 0:
                raise AbError("detector map of %s failed (exit %d); %s:\n%s" % (
                    self.from_weights, rc, os.path.join(d, "map.log"), tail(os.path.join(d, "map.log"))))
            os.replace(mj_path + ".part", mj_path)
        mj = read_json(mj_path)
        self.study["start_map"] = {"map50": mj["map50"], "map_coco": mj["map_coco"], "ece": mj["ece"]}
        write_json(os.path.join(self.folder, "study.json"), self.study)

    def run(self):
        self.prepare()
        plan = [(v, s) for s in self.seeds for v in self.variants]  # seed-major: pairs complete early
        todo = [(v, s) for v, s in plan if not os.path.exists(os.path.join(self.run_dir(v, s), "done"))]
        kept = len(plan) - len(todo)
        log("%s: %d runs (%d variants x %d seeds, %d iterations each)%s" % (
            self.shown, len(plan), len(self.variants), len(self.seeds), self.iterations,
            "; %d already done, kept" % kept if kept else ""))
        self.freeze_darknet()
        if self.mode == "finetune":
            self.start_map()
        progress = Progress(len(plan), self.iterations)
        here, other = [], []
        for v, s in plan:  # the speed of finished runs seeds the first estimate
            rj = os.path.join(self.run_dir(v, s), "run.json")
            if os.path.exists(os.path.join(self.run_dir(v, s), "done")) and os.path.exists(rj):
                r = read_json(rj)
                spi = r["train_seconds"] / max(1, r["iterations"])
                dk = r.get("darknet") or {}
                same = (dk.get("cpu"), dk.get("threads")) == (self.provenance["cpu"], self.provenance["threads"])
                (here if same else other).append(spi)
                if "eval_seconds" in r:
                    progress.eval_secs.append(r["eval_seconds"])
        # runs on this kind of CPU with as many threads, if any (machines differ between sessions)
        progress.sec_per_it += here or other
        failed = []
        self.stopped = False
        for i, (v, s) in enumerate(plan):
            progress.index = i + 1
            left = sum(1 for vv, ss in plan[i + 1:] if (vv, ss) in todo)
            if self.a.until and (v, s) in todo:
                one = progress.estimate(0, self.iterations)
                started_p = os.path.join(self.run_dir(v, s), "started")
                if not os.path.exists(started_p) and time.time() + (one or 0) > self.a.until:
                    log("stopping before %s seed %d: it would end after --until %s (one run ~%d min)" % (
                        v, s, time.strftime("%H:%M", time.localtime(self.a.until)), round((one or 0) / 60)))
                    self.stopped = True
                    break
            status = self.run_one(v, s, progress, left)
            if status == "failed":
                failed.append("%s_s%d" % (v, s))
            elif status == "done":  # results.csv and table.md as soon as a run finishes
                self.collect()
                write_report(self.folder, failed)
                if self.a.commit:
                    self.commit_run(v, s)
        self.collect()
        table = write_report(self.folder, failed)
        return table, failed

    def commit_run(self, v, s):
        """Commits the study folder (its ignored weights and binaries stay out) after a run."""
        r = read_json(os.path.join(self.run_dir(v, s), "run.json"))
        d = r.get("darknet", {})
        msg = ("%s: %s seed %d done: mAP@.5 %.4f, mAP@.5:.95 %.4f (%.1f min training, darknet %s%s, %s)" % (
            os.path.relpath(self.folder, REPO), v, s, r["map50"], r["map50_95"], r["train_seconds"] / 60,
            d.get("commit", "?"), "+changes" if d.get("dirty") else "", d.get("cpu", "?")))
        for attempt in range(12):  # another git command may hold the index for a moment
            add = subprocess.run(["git", "-C", REPO, "add", "--", self.folder], capture_output=True, text=True)
            if add.returncode == 0:
                c = subprocess.run(["git", "-C", REPO, "commit", "-q", "-m", msg, "--", self.folder],
                                   capture_output=True, text=True)
                if c.returncode == 0:
                    log("committed: " + msg)
                    return
                err = c.stderr.strip() or c.stdout.strip()
            else:
                err = add.stderr.strip()
            time.sleep(5)
        log("could not commit %s: %s" % (self.folder, err))

    def freeze_darknet(self):
        """Runs this session's trainings with a copy of the binary (a rebuild meanwhile does not
        change the study) and records which commit it was built from, as far as git tells."""
        def git(*args):
            r = subprocess.run(["git", "-C", os.path.dirname(self.darknet)] + list(args),
                               capture_output=True, text=True)
            return r.stdout.strip() if r.returncode == 0 else None
        commit = git("rev-parse", "--short=12", "HEAD")
        # top-level pathspecs: the binary may sit in build/, below the repository root
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", ":(top)src", ":(top)CMakeLists.txt",
                         ":(top)Makefile"))
        cpu = "?"
        try:
            for ln in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("\n"):
                if ln.startswith("Model name:"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        if os.environ.get("ONEDNN_MAX_CPU_ISA"):
            cpu += " (ONEDNN_MAX_CPU_ISA=%s)" % os.environ["ONEDNN_MAX_CPU_ISA"]
        bsha = sha256_file(self.darknet)
        bdir = os.path.join(self.folder, "bin")
        os.makedirs(bdir, exist_ok=True)
        copy = os.path.join(bdir, "darknet-" + bsha[:12])
        if not os.path.exists(copy):
            shutil.copy2(self.darknet, copy + ".part")
            os.replace(copy + ".part", copy)
        self.darknet = copy
        self.provenance = {"commit": commit, "dirty": dirty, "binary_sha256": bsha, "cpu": cpu,
                           "conv": os.environ.get("DN_CONV") or "default", "threads": omp_threads()}
        log("darknet: %s (commit %s%s, %s)" % (copy, commit, ", with uncommitted changes" if dirty else "", cpu))

    def collect(self):
        """results.csv from every finished run in the folder (earlier variants and seeds included)."""
        runs_dir = os.path.join(self.folder, "runs")
        order = list(self.study["variants"])
        if self.study["baseline"] in order:  # the baseline's rows first
            order.remove(self.study["baseline"])
            order.insert(0, self.study["baseline"])
        rows = []
        for d in os.listdir(runs_dir):
            rd = os.path.join(runs_dir, d)
            if not os.path.exists(os.path.join(rd, "done")):
                continue
            r = read_json(os.path.join(rd, "run.json"))
            mj = read_json(os.path.join(rd, "map.json"))
            rows.append(row_from_run(r["variant"], r["seed"], mj, r["train_seconds"], r["iterations"], self.names))
        rows.sort(key=lambda r: (order.index(r["variant"]) if r["variant"] in order else len(order), r["seed"]))
        write_csv(os.path.join(self.folder, "results.csv"), rows, self.names)
