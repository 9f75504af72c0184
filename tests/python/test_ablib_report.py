"""ablib.report: table.md (make_table), its settings lines, and that matplotlib is imported lazily."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

from . import SCRIPTS
from ablib.report import (fmt, fmt_signed, make_table, provenance_lines, reliability_lines, resumed_lines,
                          study_meta_lines)

COLS = ("map50", "map50_95", "ece", "ece_top", "ap_A", "train_seconds")


def row(variant, seed, *values):
    return dict(zip(("variant", "seed") + COLS, (variant, seed) + values))


# Hand-made results of one class A: bce and focal with seeds 1 and 2, mfocal with seed 1 only, and
# "late" with a seed that no bce run has.
ROWS = [row("bce", 1, .50, .20, .10, .30, .40, 600), row("bce", 2, .60, .30, .10, .10, .50, 720),
        row("focal", 1, .55, .25, .05, .20, .42, 540), row("focal", 2, .75, .31, .07, .30, .58, 660),
        row("mfocal", 1, .45, .19, .12, .25, .30, 630), row("late", 3, .5, .2, .1, .3, .4, 60)]


class Formats(unittest.TestCase):
    def test_fmt(self):
        self.assertEqual(fmt(0.12345), "0.123")
        self.assertEqual(fmt(1), "1.000")
        self.assertEqual(fmt(0.5, 1), "0.5")
        self.assertEqual(fmt(None), "—")
        self.assertEqual(fmt(float("nan")), "—")

    def test_fmt_signed(self):
        self.assertEqual(fmt_signed(0.0456), "+0.046")
        self.assertEqual(fmt_signed(-0.1), "-0.100")
        self.assertEqual(fmt_signed(0.0), "+0.000")
        self.assertEqual(fmt_signed(None), "—")
        self.assertEqual(fmt_signed(float("nan")), "—")


class Table(unittest.TestCase):
    def setUp(self):
        self.table = make_table(ROWS, ["A"], "Loss A/B: test", ["- a settings line"], "bce", ["focal_s3"])
        self.lines = self.table.split("\n")

    def test_layout(self):
        self.assertEqual(self.lines[:9], [
            "# Loss A/B: test", "", "- a settings line", "", "## Per variant: mean ± sd over seeds", "",
            "| variant | seeds | mAP@.5 | mAP@.5:.95 | ECE | ECE ≥.3 | AP A | train min/run |",
            "|---|---|---|---|---|---|---|---|",
            "| bce | 2 | 0.550 ± 0.071 | 0.250 ± 0.071 | 0.100 ± 0.000 | 0.200 ± 0.141 | 0.450 ± 0.071 | 11.0 |"])
        self.assertIn("## Difference to bce, paired by seed: mean [95% t interval]", self.lines)
        self.assertIn("| variant | pairs | Δ mAP@.5 | Δ mAP@.5:.95 | Δ ECE | Δ ECE ≥.3 | Δ AP A |", self.lines)
        self.assertIn("|---|---|---|---|---|---|---|", self.lines)
        self.assertTrue(self.table.endswith("\n\nFailed runs (not in the tables; rerun to retry): focal_s3.\n"))
        method = [ln for ln in self.lines if ln.startswith("Method: ")]
        self.assertEqual(len(method), 1)
        self.assertIn("d = variant − bce", method[0])
        self.assertIn("mean ± t(0.975, n−1) · sd(d) / √n", method[0])

    def test_per_variant_rows(self):
        # focal: map50 .55/.75, map50_95 .25/.31, ece .05/.07, ece_top .2/.3, AP .42/.58, 9 and 11 minutes
        self.assertIn("| focal | 2 | 0.650 ± 0.141 | 0.280 ± 0.042 | 0.060 ± 0.014 | 0.250 ± 0.071 "
                      "| 0.500 ± 0.113 | 10.0 |", self.lines)
        self.assertIn("| mfocal | 1 | 0.450 | 0.190 | 0.120 | 0.250 | 0.300 | 10.5 |", self.lines)  # one seed: no sd
        self.assertIn("| late | 1 | 0.500 | 0.200 | 0.100 | 0.300 | 0.400 | 1.0 |", self.lines)

    def test_paired_differences(self):
        # focal - bce per seed: map50 .05/.15 -> mean .10, half width 12.706205 * sd .0707107 / sqrt 2 = .635;
        # map50_95 .05/.01 -> .03 +- .254; ece -.05/-.03 -> -.04 +- .127; ece_top -.1/.1 -> .05 +- 1.906;
        # AP .02/.08 -> .05 +- .381
        self.assertIn("| focal | 2 | +0.100 [-0.535, +0.735] | +0.030 [-0.224, +0.284] | -0.040 [-0.167, +0.087] "
                      "| +0.050 [-1.856, +1.956] | +0.050 [-0.331, +0.431] |", self.lines)
        self.assertIn("| mfocal | 1 | -0.050 (n/a: 1 seed) | -0.010 (n/a: 1 seed) | +0.020 (n/a: 1 seed) "
                      "| -0.050 (n/a: 1 seed) | -0.100 (n/a: 1 seed) |", self.lines)
        self.assertIn("| late | 0 | n/a | n/a | n/a | n/a | n/a |", self.lines)
        self.assertFalse([ln for ln in self.lines if ln.startswith("| bce | ") and "[" in ln])  # no row of its own

    def test_comparisons_line(self):
        # Only focal has two pairs: 5 intervals (5 metrics), none excluding 0; 5/20 = .25 by chance.
        self.assertIn("Comparisons: 5 intervals (variants x metrics); if no variant differed from the baseline, "
                      "about 0.25 of them would exclude 0 by chance alone. 0 do. A single interval that excludes "
                      "0 among many is weak evidence.", self.lines)
        # A variant whose every seed is .1 better (sd 0): its intervals are [+.1, +.1] and exclude 0 for
        # the metrics that differ; those are named.
        rows = [row("bce", 1, .5, .2, .1, .3, .4, 60), row("bce", 2, .6, .3, .1, .1, .5, 60),
                row("up", 1, .6, .2, .1, .3, .5, 60), row("up", 2, .7, .3, .1, .1, .6, 60)]
        lines = make_table(rows, ["A"], "t", [], "bce").split("\n")
        self.assertIn("Comparisons: 5 intervals (variants x metrics); if no variant differed from the baseline, "
                      "about 0.25 of them would exclude 0 by chance alone. 2 do: up mAP@.5, up AP A. A single "
                      "interval that excludes 0 among many is weak evidence.", lines)
        one_seed = make_table(ROWS[:2] + ROWS[4:5], ["A"], "t", [], "bce")
        self.assertNotIn("Comparisons:", one_seed)  # mfocal has one seed: no interval at all

    def test_other_baseline(self):
        lines = make_table(ROWS, ["A"], "t", [], "focal").split("\n")
        self.assertIn("## Difference to focal, paired by seed: mean [95% t interval]", lines)
        self.assertIn("| bce | 2 | -0.100 [-0.735, +0.535] | -0.030 [-0.284, +0.224] | +0.040 [-0.087, +0.167] "
                      "| -0.050 [-1.956, +1.856] | -0.050 [-0.431, +0.331] |", lines)
        self.assertEqual(lines[2], "## Per variant: mean ± sd over seeds")  # no settings lines, no blank

    def test_no_baseline_runs(self):
        table = make_table(ROWS[2:4], ["A"], "t", [], "bce")
        self.assertIn("\nNo bce runs: no differences.\n", table)
        self.assertNotIn("Method:", table)
        self.assertNotIn("Failed runs", table)

    def test_missing_values(self):
        table = make_table([row("bce", 1, .5, .2, .1, .3, float("nan"), 60)], ["A"], "t", [], "bce")
        self.assertIn("| bce | 1 | 0.500 | 0.200 | 0.100 | 0.300 | — | 1.0 |", table.split("\n"))

    def test_no_rows(self):
        table = make_table([], [], "t", [], "bce")
        self.assertIn("| variant | seeds | mAP@.5 | mAP@.5:.95 | ECE | ECE ≥.3 | train min/run |\n"
                      "|---|---|---|---|---|---|---|\n\n## Difference to bce", table)


class Reliability(unittest.TestCase):
    CAL = {"bce": [(4, .05, .25), (0, None, None), (10, .55, .333), (2, .9, 1.0)],
           "focal": [(1, .2, 0.0), (3, .3, .5), (0, None, None), (5, .81, .9)]}

    def test_lines(self):
        lines = reliability_lines(self.CAL)
        self.assertEqual(lines[:6], [
            "## Reliability: true positives per score bin, seeds pooled", "",
            "| variant | detections | 0-.25 | .25-.5 | .5-.75 | .75-1 |",
            "|---|---|---|---|---|---|",
            "| bce | 16 | 25% at .05 | — | 33% at .55 | 100% at .90 |",
            "| focal | 9 | 0% at .20 | 50% at .30 | — | 90% at .81 |"])
        self.assertEqual(lines[6], "")
        self.assertTrue(lines[7].startswith("Each cell: "))
        self.assertEqual(len(lines), 8)

    def test_in_the_table(self):
        table = make_table(ROWS, ["A"], "t", [], "bce", ["focal_s3"], self.CAL)
        self.assertIn("\n\n## Reliability: true positives per score bin, seeds pooled\n", table)
        # after the differences, before the failed runs
        self.assertLess(table.index("Method: "), table.index("## Reliability"))
        self.assertLess(table.index("## Reliability"), table.index("Failed runs"))
        self.assertNotIn("## Reliability", make_table(ROWS, ["A"], "t", [], "bce"))
        self.assertNotIn("## Reliability", make_table(ROWS, ["A"], "t", [], "bce", (), {}))


class SettingsLines(unittest.TestCase):
    STUDY = {"iterations": 500, "data": "/d/bccd.data", "cfg": "/c/quick.cfg", "net": [["width", "64"], ["batch", "2"]],
             "variants": {"bce": [["loss", "bce"]], "wd10": [["loss", "bce"], ["net.decay", "*10"]], "base": []}}

    def test_scratch(self):
        self.assertEqual(study_meta_lines(self.STUDY), [
            "- from scratch, 500 iterations; initial weights: `darknet init <cfg> -seed N` per seed",
            "- data `/d/bccd.data`, base cfg `/c/quick.cfg`",
            "- [net] overrides: width=64, batch=2",
            "- variants ([yolo] keys; section.key: that section's, *F: the base value times F): bce: loss=bce; "
            "wd10: loss=bce, net.decay=*10; base: base cfg"])
        self.assertEqual(study_meta_lines(None), [])

    def test_finetune_and_pretrained(self):
        ft = dict(self.STUDY, mode="finetune", iterations=300, net=[], **{"from": "/w/bce_final.weights"},
                  start_map={"map50": 0.5, "map_coco": 0.25, "ece": 0.0312})
        lines = study_meta_lines(ft)
        self.assertEqual(lines[0], "- fine-tuning from `/w/bce_final.weights` for 300 iterations (`-clear`), every "
                                   "variant against continuing with bce")
        self.assertEqual(lines[-1], "- the starting weights themselves: mAP@.5 0.500, mAP@.5:.95 0.250, ECE 0.031")
        self.assertFalse([ln for ln in lines if "[net] overrides" in ln])
        pre = dict(self.STUDY, mode="pretrained", iterations=1000, **{"from": "/w/yolo.conv.weights"})
        self.assertEqual(study_meta_lines(pre)[0], "- every run from `yolo.conv.weights` (`-clear`; layers not in it "
                                                   "initialised per seed), 1000 iterations")

    def test_resumed_runs(self):
        with tempfile.TemporaryDirectory() as d:
            for run, info in (("bce_s1", {"training_segments": 2}), ("focal_s1", {"inexact_resume": ["momentum"]}),
                              ("focal_s2", {"training_segments": 1, "inexact_resume": []})):
                os.makedirs(os.path.join(d, "runs", run))
                with open(os.path.join(d, "runs", run, "run.json"), "w") as f:
                    json.dump(info, f)
            rows = [row("bce", 1), row("bce", 2), row("focal", 1), row("focal", 2)]  # bce_s2: no run.json
            self.assertEqual(resumed_lines(d, rows), [
                "- interrupted and resumed exactly (same weights as one straight run): bce seed 1",
                "- interrupted and resumed with the momentum reset (not the exact paired run): focal seed 1"])
            self.assertEqual(resumed_lines(d, rows[1:2]), [])

    def test_provenance(self):
        with tempfile.TemporaryDirectory() as d:
            a = {"binary_sha256": "aaaaaaaaaaaa1111", "commit": "c1", "dirty": False, "cpu": "EPYC"}
            for run, dk in (("bce_s1", a), ("focal_s1", dict(a, commit="c2")),
                            ("bce_s2", {"binary_sha256": "bbbbbbbbbbbb2222", "commit": "c3", "dirty": True,
                                        "cpu": "Xeon", "threads": 8}), ("focal_s2", None)):
                os.makedirs(os.path.join(d, "runs", run))
                with open(os.path.join(d, "runs", run, "run.json"), "w") as f:
                    json.dump({"darknet": dk} if dk else {}, f)
            rows = [row("bce", 1), row("bce", 2), row("focal", 1), row("focal", 2), row("mfocal", 1)]
            for r, secs in zip(rows, (3600, 1800, 5400, 360, float("nan"))):  # mfocal_s1: no folder
                r["train_seconds"] = secs
            self.assertEqual(provenance_lines(d, rows), [
                "- training: 5 runs, 3.1 h of wall clock in all (train_seconds; runs that shared the cores took "
                "longer)",
                "- trained by binary aaaaaaaaaaaa (darknet c1, c2; EPYC): 2 runs, 2.5 h: bce s1, focal s1",
                "- trained by binary bbbbbbbbbbbb (darknet c3+dirty; Xeon, 8 threads): 1 run, 0.5 h: bce s2",
                "- trained by a binary run.json does not record: 2 runs, 0.1 h: focal s2, mfocal s1"])
            # the first edition's runs: no record at all, no lines
            self.assertEqual(provenance_lines(d, [row("focal", 2, 0, 0, 0, 0, 0, 60)]), [])


class LazyMatplotlib(unittest.TestCase):
    def test_the_package_imports_without_matplotlib(self):
        code = ("import sys; sys.path.insert(0, %r); import ablib.cli, ablib.report, ablib.plots; "
                "print('matplotlib' in sys.modules)" % SCRIPTS)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.strip(), "False")


if __name__ == "__main__":
    unittest.main()
