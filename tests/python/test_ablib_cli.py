"""ablib.cli and the command scripts/ab_losses: option checks, the variant list, messages and exit
status; ablib.runner.Progress (the time-left estimate). Nothing here runs darknet."""

import contextlib
import io
import os
import stat
import subprocess
import tempfile
import unittest

from . import REPO  # (and tests/python/__init__.py has put scripts/ on sys.path)
from ablib.cli import QUICK_CFG, QUICK_NET, parse_args, quick_backbone
from ablib.common import AbError
from ablib.runner import Progress, omp_threads

COMMAND = os.path.join(REPO, "scripts", "ab_losses")


@contextlib.contextmanager
def env_var(name, value):
    """The environment variable NAME set to VALUE inside the block, restored after it."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


class ParseArgs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.data, self.cfg, self.darknet = (os.path.join(d, n) for n in ("t.data", "my-test.cfg", "darknet"))
        for p in (self.data, self.cfg, self.darknet):
            with open(p, "w") as f:
                f.write("#\n")
        os.chmod(self.darknet, stat.S_IRWXU)

    def tearDown(self):
        self.tmp.cleanup()

    def args(self, *more):
        return parse_args(["--data", self.data, "--cfg", self.cfg, "--darknet", self.darknet] + list(more))

    def usage_error(self, *argv):
        with contextlib.redirect_stderr(io.StringIO()) as err, self.assertRaises(SystemExit) as cm:
            parse_args(list(argv))
        self.assertEqual(cm.exception.code, 2)
        return err.getvalue().strip().split("\n")[-1]

    def test_defaults(self):
        a = self.args()
        self.assertEqual(a.variant_list, ["bce", "balanced", "focal", "mfocal", "focal_obj", "focal_cls"])
        self.assertEqual(a.seed_list, [1, 2, 3])
        self.assertEqual(a.net_keys, [])
        self.assertEqual(a.name, "my-test")  # the cfg's name
        self.assertEqual(a.darknet_path, os.path.abspath(self.darknet))
        self.assertIsNone(a.until)
        self.assertEqual(a.results, "results")
        self.assertEqual(a.progress_every, 60)

    def test_variant_list(self):
        a = self.args("--variants", "bce, wd10", "--variant", "x1:loss=focal,focal_gamma=1",
                      "--variant", "wd10:loss=bce")
        self.assertEqual(a.variant_list, ["bce", "wd10", "x1"])  # a defined variant is added unless listed
        self.assertEqual(a.variant_keys["x1"], [("loss", "focal"), ("focal_gamma", "1")])
        self.assertEqual(a.variant_keys["wd10"], [("loss", "bce")])  # redefined
        a = self.args("--variant", "x1:loss=focal")
        self.assertEqual(a.variant_list[-2:], ["focal_cls", "x1"])

    def test_values(self):
        a = self.args("--seeds", "4-6", "--net", "width=64,height=64", "--name", "n1", "--until", "7:30")
        self.assertEqual(a.seed_list, [4, 5, 6])
        self.assertEqual(a.net_keys, [("width", "64"), ("height", "64")])
        self.assertEqual(a.name, "n1")
        self.assertIsInstance(a.until, float)

    def test_errors(self):
        with self.assertRaisesRegex(AbError, r"^unknown variant\(s\) nope, zz: built in are bce, balanced, focal, "
                                             r"mfocal, focal_obj, focal_cls, wd10, dropout2; define others with "):
            self.args("--variants", "bce,nope,zz")
        with self.assertRaisesRegex(AbError, r"^a variant is listed twice: bce,focal,bce$"):
            self.args("--variants", "bce,focal,bce")
        with self.assertRaisesRegex(AbError, r"^--name a/b: a folder name, not a path \(see --results\)$"):
            self.args("--name", "a/b")
        with self.assertRaisesRegex(AbError, r"^--seeds 0: need one or more distinct seeds >= 0$"):
            self.args("--seeds", "0")
        with self.assertRaisesRegex(AbError, r"nope\.weights: no such weights file$"):
            self.args("--from", os.path.join(self.tmp.name, "nope.weights"))
        with self.assertRaisesRegex(AbError, r"^/nonexistent/darknet: no darknet binary there"):
            self.args("--darknet", "/nonexistent/darknet")
        with self.assertRaisesRegex(AbError, r"^/nonexistent\.cfg: no such file$"):
            parse_args(["--data", self.data, "--cfg", "/nonexistent.cfg"])

    def test_usage_errors(self):
        base = ["--data", self.data, "--cfg", self.cfg]
        self.assertEqual(self.usage_error(), "ab_losses: error: --data and --cfg are needed (or --quick, or "
                                             "--report FOLDER)")
        self.assertEqual(self.usage_error(*base, "--finetune", self.darknet),
                         "ab_losses: error: --finetune FROM.weights and --finetune-iterations N go together")
        self.assertEqual(self.usage_error(*base, "--iterations", "0"), "ab_losses: error: iterations must be > 0")
        self.assertEqual(self.usage_error(*base, "--from", self.darknet, "--finetune", self.darknet,
                                          "--finetune-iterations", "5"),
                         "ab_losses: error: --from and --finetune are two kinds of study: give one")

    def test_quick(self):
        bccd = os.path.join(self.tmp.name, "bccd")
        os.mkdir(bccd)
        with open(os.path.join(bccd, "bccd.data"), "w") as f:
            f.write("#\n")
        with env_var("BCCD_DIR", bccd):
            a = parse_args(["--quick", "--darknet", self.darknet])
            self.assertEqual((a.cfg, a.variant_list, a.seed_list, a.name), (QUICK_CFG, ["bce", "focal", "mfocal"],
                                                                             [1], "quick"))
            self.assertEqual(a.data, os.path.join(bccd, "bccd.data"))
            self.assertTrue(a.quick_backbone)  # starts from the COCO backbone, made by main()
            self.assertEqual(a.net_keys, QUICK_NET)
            self.assertIn(("steps", "240,270"), QUICK_NET)
            a = parse_args(["--quick", "--darknet", self.darknet, "--net", "width=320,decay=0.001"])
            self.assertEqual(a.net_keys, [kv for kv in QUICK_NET if kv[0] != "width"] + [("width", "320"),
                                                                                          ("decay", "0.001")])
            self.assertEqual(parse_args(["--quick", "--cfg", self.cfg, "--darknet", self.darknet]).net_keys, [])
            self.assertFalse(parse_args(["--quick", "--cfg", self.cfg, "--darknet", self.darknet]).quick_backbone)
            self.assertFalse(parse_args(["--quick", "--from", self.darknet, "--darknet", self.darknet]).quick_backbone)
            self.assertFalse(self.args().quick_backbone)

    def test_quick_backbone(self):
        d = self.tmp.name
        shared = os.path.join(d, "shared")
        model = os.path.join(shared, "models", "yolo-fastest-1.1-xl")
        with env_var("SHARED", shared):
            with self.assertRaisesRegex(AbError, r"^%s/yolo-fastest-1.1-xl.cfg: no such file; --quick fine-tunes "
                                                 r"the COCO model" % model):
                quick_backbone(self.darknet, os.path.join(d, "q"))
            os.makedirs(model)
            for n in ("yolo-fastest-1.1-xl.cfg", "yolo-fastest-1.1-xl.weights"):
                with open(os.path.join(model, n), "w") as f:
                    f.write("#\n")
            with open(self.darknet, "w") as f:  # a darknet that fails, then one that writes its arguments
                f.write("#!/bin/sh\necho 'partial: bad weights' >&2\nexit 1\n")
            with self.assertRaisesRegex(AbError, r"failed \(exit 1\):\npartial: bad weights$"):
                quick_backbone(self.darknet, os.path.join(d, "q"))
            with open(self.darknet, "w") as f:
                f.write('#!/bin/sh\necho "$@" > "$4"\n')
            with contextlib.redirect_stdout(io.StringIO()):
                path = quick_backbone(self.darknet, os.path.join(d, "q"))
            self.assertEqual(path, os.path.join(d, "q", "work", "backbone.weights"))
            with open(path) as f:
                self.assertEqual(f.read(), "partial %s/yolo-fastest-1.1-xl.cfg %s/yolo-fastest-1.1-xl.weights "
                                           "%s.part 120\n" % (model, model, path))
            os.chmod(self.darknet, 0)  # made once: not run again
            self.assertEqual(quick_backbone(self.darknet, os.path.join(d, "q")), path)

    def test_report_needs_nothing_else(self):
        a = parse_args(["--report", "results/x"])
        self.assertEqual(a.report, "results/x")


class Command(unittest.TestCase):
    def run_command(self, *argv):
        return subprocess.run([COMMAND] + list(argv), capture_output=True, text=True, timeout=120)

    def test_thin_executable_command(self):
        with open(COMMAND) as f:
            self.assertEqual(f.readline(), "#!/usr/bin/python3\n")
        self.assertTrue(os.access(COMMAND, os.X_OK))

    def test_help(self):
        r = self.run_command("--help")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("usage: ab_losses [-h] [--data DATA] [--cfg CFG]"))
        self.assertIn("A/B experiments of the [yolo] losses", r.stdout)
        self.assertIn("--report FOLDER", r.stdout)

    def test_errors_exit_2(self):
        r = self.run_command()
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.endswith("ab_losses: error: --data and --cfg are needed (or --quick, or --report "
                                          "FOLDER)\n"))
        with tempfile.TemporaryDirectory() as d:
            r = self.run_command("--report", d)
            self.assertEqual((r.returncode, r.stdout), (2, ""))
            self.assertEqual(r.stderr, "ab_losses: error: %s/results.csv: no such file\n" % d)


class OmpThreads(unittest.TestCase):
    def test_env_then_cpus(self):
        saved = os.environ.pop("OMP_NUM_THREADS", None)
        try:
            self.assertEqual(omp_threads(), len(os.sched_getaffinity(0)))
            for env, want in (("3", 3), ("4,2", 4), ("0", None), ("x", None)):
                os.environ["OMP_NUM_THREADS"] = env
                self.assertEqual(omp_threads(), want or len(os.sched_getaffinity(0)), env)
        finally:
            os.environ.pop("OMP_NUM_THREADS", None)
            if saved is not None:
                os.environ["OMP_NUM_THREADS"] = saved


class ProgressEstimate(unittest.TestCase):
    def test_fmt(self):
        self.assertEqual(Progress.fmt(None), "time left not known yet")
        self.assertEqual(Progress.fmt(0.2), "~1 s left (est.)")
        self.assertEqual(Progress.fmt(89), "~89 s left (est.)")
        self.assertEqual(Progress.fmt(90), "~2 min left (est.)")
        self.assertEqual(Progress.fmt(5399), "~90 min left (est.)")
        self.assertEqual(Progress.fmt(7200), "~2.0 h left (est.)")

    def test_estimate(self):
        p = Progress(total_runs=4, iterations=100)
        self.assertIsNone(p.estimate(2, 50))
        # this run's own speed: 50 iterations x 0.5 s, 10 s evaluation (none measured yet), 2 runs x (50 + 10)
        self.assertEqual(p.estimate(2, 50, 0.5), 25 + 10 + 2 * 60)
        p.sec_per_it += [1.0, 3.0]
        p.eval_secs += [4.0]
        # finished runs' mean speed 2 s: 5 x 2 + 4, then 1 run x (200 + 4)
        self.assertEqual(p.estimate(1, 5), 10 + 4 + 204)
        # the median, not the mean: one slow run (it shared the cores) does not set the pace
        p.sec_per_it[:] = [1.0, 1.5, 9.0]
        self.assertEqual(p.estimate(0, 10), 15 + 4)


if __name__ == "__main__":
    unittest.main()
