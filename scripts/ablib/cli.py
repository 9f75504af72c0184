"""A/B experiments of the [yolo] losses: train every loss variant from the same initial weights
per seed, evaluate each with `darknet detector map`, and compare to BCE.

  scripts/ab_losses --data D.data --cfg C.cfg [--variants bce,focal,...] [--variant NAME:key=v,...]
                    [--seeds 3 | --seeds 1,5,9] [--iterations N] [--name NAME] [--darknet ./darknet]
  scripts/ab_losses ... --finetune FROM.weights --finetune-iterations N
  scripts/ab_losses ... --from BACKBONE.weights      # every run starts from these weights (-clear)
                    [--commit] [--until HH:MM]
  scripts/ab_losses --quick            # BCCD, the pretrained regime shortened, bce/focal/mfocal, 1 seed
  scripts/ab_losses --report results/NAME

docs/ab_study.md describes the files and the statistics.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

from .common import REPO, AbError, log
from .darknet import check_darknet
from .report import write_report
from .runner import Study
from .specs import (BUILTIN_VARIANTS, DEFAULT_VARIANTS, QUICK_VARIANTS, parse_keyvals, parse_seeds, parse_until,
                    parse_variant)

# --quick: the study's pretrained regime (cfg/yolo-fastest-1.1-xl-bccd.cfg from the COCO backbone),
# shortened to fit about 15 minutes for three losses on 2 AVX2 cores: 256x256 instead of 320 (0.74
# against 1.15 s per iteration of 16 images), 300 iterations instead of 1000, at twice the learning
# rate with the steps scaled to match. --net keys of the user's replace these.
QUICK_CFG = os.path.join(REPO, "cfg", "yolo-fastest-1.1-xl-bccd.cfg")
QUICK_NET = [("width", "256"), ("height", "256"), ("learning_rate", "0.002"), ("burn_in", "50"),
             ("max_batches", "300"), ("steps", "240,270")]
QUICK_MODEL = "yolo-fastest-1.1-xl"  # --quick starts from its COCO backbone: layers 0..QUICK_LAYERS-1
QUICK_LAYERS = 120


def shared_dir():
    return os.path.normpath(os.environ.get("SHARED") or os.path.join(REPO, "..", "shared"))


def default_bccd():
    d = os.environ.get("BCCD_DIR") or os.path.join(REPO, "..", "shared", "datasets", "bccd")
    data = os.path.join(d, "bccd.data")
    if not os.path.exists(data):
        raise AbError("no BCCD at %s (set BCCD_DIR to a copy in Darknet layout, or run scripts/get_bccd.sh)" % d)
    return os.path.normpath(data)


def quick_backbone(darknet, folder):
    """--quick's starting weights: `darknet partial` of the COCO model's layers 0-119 (everything
    before its first head), made once into FOLDER/work/backbone.weights. Returns the path."""
    path = os.path.join(folder, "work", "backbone.weights")
    if os.path.isfile(path):
        return path
    d = os.path.join(shared_dir(), "models", QUICK_MODEL)
    cfg, weights = os.path.join(d, QUICK_MODEL + ".cfg"), os.path.join(d, QUICK_MODEL + ".weights")
    for p in (cfg, weights):
        if not os.path.isfile(p):
            raise AbError("%s: no such file; --quick fine-tunes the COCO model %s (set SHARED to the folder "
                          "that holds models/%s/, or give --cfg and --data for a study from scratch)"
                          % (p, QUICK_MODEL, QUICK_MODEL))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    part = path + ".part"
    r = subprocess.run([darknet, "partial", cfg, weights, part, str(QUICK_LAYERS)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    if r.returncode != 0 or not os.path.isfile(part):
        raise AbError("darknet partial %s %s (layers 0-%d) failed (exit %d):\n%s"
                      % (cfg, weights, QUICK_LAYERS - 1, r.returncode, r.stdout.strip()))
    os.replace(part, path)
    log("--quick: the backbone %s (darknet partial, layers 0-%d of %s)" % (path, QUICK_LAYERS - 1, weights))
    return path


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="ab_losses", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help=".data file (train=, valid=, names=)")
    ap.add_argument("--cfg", help="base cfg; each variant's keys are set in all its [yolo] sections")
    ap.add_argument("--variants", help="comma-separated variant names (default: %s); built in: %s" % (
        ",".join(DEFAULT_VARIANTS), "; ".join("%s = %s" % (k, ",".join("%s=%s" % kv for kv in v))
                                              for k, v in BUILTIN_VARIANTS.items())))
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:key=v,key=v",
                    help="define (or redefine) a variant; it is added to the list unless --variants names it")
    ap.add_argument("--seeds", default="3", help="a count (3 = seeds 1..3), a list (1,5,9) or a range (4-6)")
    ap.add_argument("--iterations", type=int, help="training iterations per run (default: the cfg's max_batches)")
    ap.add_argument("--net", metavar="key=v,key=v", help="[net] overrides for every variant (e.g. learning_rate=0.001)")
    ap.add_argument("--name", help="results folder name: results/NAME (default: the cfg's name)")
    ap.add_argument("--results", default="results", help="the folder that holds the studies (results)")
    ap.add_argument("--darknet", default="./darknet", help="the darknet binary (./darknet)")
    ap.add_argument("--finetune", metavar="FROM.weights", help="fine-tune from these weights instead of training from scratch")
    ap.add_argument("--finetune-iterations", type=int, help="iterations of each fine-tuning run")
    ap.add_argument("--from", dest="from_weights", metavar="WEIGHTS",
                    help="start every run from these weights with -clear (a pretrained backbone, `darknet "
                         "partial`), for --iterations (or the cfg's max_batches); results in results/NAME")
    ap.add_argument("--commit", action="store_true",
                    help="git-commit the results folder after each finished run (weights stay out: .gitignore)")
    ap.add_argument("--until", metavar="HH:MM",
                    help="start no run that would not finish by then (local time, today or tomorrow)")
    ap.add_argument("--quick", action="store_true",
                    help="BCCD (BCCD_DIR or ../shared/datasets/bccd), cfg/yolo-fastest-1.1-xl-bccd.cfg at 256x256 "
                         "for 300 iterations (QUICK_NET) from the COCO backbone of $SHARED/models/yolo-fastest-1.1-xl (made with darknet "
                         "partial), bce,focal,mfocal, 1 seed, results/quick; other options still apply")
    ap.add_argument("--report", metavar="FOLDER", help="only regenerate table.md and the plots of a results folder "
                                                       "from its results.csv")
    ap.add_argument("--progress-every", type=float, default=60, help="seconds between progress lines (60)")
    a = ap.parse_args(argv)
    if a.report:
        return a
    a.quick_backbone = False
    if a.quick:
        a.data = a.data or default_bccd()
        # the quick cfg starts from the COCO backbone, unless the user chose the cfg or the start
        a.quick_backbone = not a.cfg and not a.finetune and not a.from_weights
        a.cfg = a.cfg or QUICK_CFG
        a.variants = a.variants or ",".join(QUICK_VARIANTS)
        if "--seeds" not in " ".join(argv):
            a.seeds = "1"
        a.name = a.name or "quick"
    if not a.data or not a.cfg:
        ap.error("--data and --cfg are needed (or --quick, or --report FOLDER)")
    if bool(a.finetune) != bool(a.finetune_iterations):
        ap.error("--finetune FROM.weights and --finetune-iterations N go together")
    if a.finetune and not os.path.isfile(a.finetune):
        raise AbError("%s: no such weights file" % a.finetune)
    if a.from_weights and a.finetune:
        ap.error("--from and --finetune are two kinds of study: give one")
    if a.from_weights and not os.path.isfile(a.from_weights):
        raise AbError("%s: no such weights file" % a.from_weights)
    a.until = parse_until(a.until) if a.until else None
    if a.iterations is not None and a.iterations <= 0 or a.finetune_iterations is not None and a.finetune_iterations <= 0:
        ap.error("iterations must be > 0")
    for p in (a.data, a.cfg):
        if not os.path.isfile(p):
            raise AbError("%s: no such file" % p)
    user = dict(parse_variant(s) for s in a.variant)
    keys = dict(BUILTIN_VARIANTS)
    keys.update(user)
    if a.variants:
        names = [v.strip() for v in a.variants.replace(" ", ",").split(",") if v.strip()]
        names += [v for v in user if v not in names]
    else:
        names = DEFAULT_VARIANTS + [v for v in user if v not in DEFAULT_VARIANTS]
    unknown = [v for v in names if v not in keys]
    if unknown:
        raise AbError("unknown variant(s) %s: built in are %s; define others with --variant NAME:key=v,..."
                      % (", ".join(unknown), ", ".join(BUILTIN_VARIANTS)))
    if len(set(names)) != len(names):
        raise AbError("a variant is listed twice: " + ",".join(names))
    a.variant_list = names
    a.variant_keys = keys
    a.seed_list = parse_seeds(a.seeds)
    a.net_keys = parse_keyvals(a.net, "--net")
    if a.quick_backbone:
        a.net_keys = [kv for kv in QUICK_NET if kv[0] not in {k for k, _ in a.net_keys}] + a.net_keys
    a.name = a.name or os.path.splitext(os.path.basename(a.cfg))[0]
    if "/" in a.name or a.name in (".", ".."):
        raise AbError("--name %s: a folder name, not a path (see --results)" % a.name)
    a.darknet_path = check_darknet(a.darknet)
    return a


def main(argv):
    a = parse_args(argv)
    if a.report:
        folders = [a.report]
        if os.path.exists(os.path.join(a.report, "finetune", "results.csv")):
            folders.append(os.path.join(a.report, "finetune"))
        if not os.path.exists(os.path.join(a.report, "results.csv")):
            folders = folders[1:]
            if not folders:
                raise AbError("%s: no such file" % os.path.join(a.report, "results.csv"))
        for f in folders:
            print(write_report(f))
            log("wrote %s/table.md, map.png, reliability.png, loss.png" % f)
        return 0
    folder = os.path.join(a.results, a.name)
    if a.finetune:
        folder = os.path.join(folder, "finetune")
    if a.quick_backbone:
        a.from_weights = quick_backbone(a.darknet_path, folder)
    t0 = time.monotonic()
    study = Study(a, folder, "finetune" if a.finetune else "pretrained" if a.from_weights else "scratch")
    table, failed = study.run()
    print()
    print(table)
    log("%s: table.md, results.csv, map.png, reliability.png, loss.png (%.1f min this session)" % (folder,(time.monotonic() - t0) / 60))
    if failed:
        log("%d run(s) failed: %s; rerun to retry them" % (len(failed), ", ".join(failed)))
        return 1
    if study.stopped:
        return 3  # --until: runs are left; the same command continues
    return 0


def on_sigterm(signum, frame):
    raise KeyboardInterrupt  # stop darknet the same way as Ctrl-C


def entry(argv):
    """The command scripts/ab_losses: main(argv) with its signal handling, error messages and exit
    status (0 done, 1 failed runs, 2 an error, 3 stopped by --until, 130 interrupted); exits."""
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    try:
        sys.exit(main(argv))
    except AbError as e:
        print("ab_losses: error: " + str(e), file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:  # e.g. piped into head
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nab_losses: interrupted; finished runs are kept, rerun the same command to continue "
              "(the interrupted run continues from its last save)", file=sys.stderr)
        sys.exit(130)
