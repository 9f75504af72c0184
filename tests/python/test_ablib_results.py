"""ablib.results: results.csv's columns, a run's row, writing and reading the file."""

import math
import os
import tempfile
import unittest

# (tests/python/__init__.py has put scripts/ on sys.path)
from ablib.common import AbError
from ablib.common import write_json
from ablib.results import (csv_columns, fmt_csv, pooled_calibration, read_csv, row_from_run, variant_order,
                           write_csv)

NAMES = ["RBC", "WBC"]
# a map.json as `darknet detector map -out` writes it (the fields ablib reads)
MAP_JSON = {"map50": 0.625, "map_coco": 0.25, "ece": 0.03, "precision": 0.5, "recall": 0.75, "f1": 0.6,
            "avg_iou": 0.55, "classes": [{"name": "WBC", "ap": 0.9}, {"name": "RBC", "ap": 0.35}],
            "calibration": [{"count": 0, "confidence": 0.0, "accuracy": 0.0}] * 5 +
                           [{"count": 2, "confidence": 0.55, "accuracy": 0.5}] +
                           [{"count": 0, "confidence": 0.0, "accuracy": 0.0}] * 4}


class Columns(unittest.TestCase):
    def test_csv_columns(self):
        self.assertEqual(csv_columns(NAMES),
                         ["variant", "seed", "map50", "map50_95", "ap_RBC", "ap_WBC", "ece", "ece_top", "precision",
                          "recall", "f1", "avg_iou", "train_seconds", "iterations"])

    def test_variant_order(self):
        rows = [{"variant": v} for v in ("bce", "focal", "bce", "mfocal", "focal")]
        self.assertEqual(variant_order(rows), ["bce", "focal", "mfocal"])
        self.assertEqual(variant_order([]), [])


class RowFromRun(unittest.TestCase):
    def test_row(self):
        row = row_from_run("focal", 2, MAP_JSON, 754.26, 2000, NAMES + ["Platelets"])
        self.assertEqual(row["variant"], "focal")
        self.assertEqual(row["seed"], 2)
        self.assertEqual(row["map50"], 0.625)
        self.assertEqual(row["map50_95"], 0.25)  # map.json's map_coco
        self.assertEqual((row["ap_RBC"], row["ap_WBC"], row["ap_Platelets"]), (0.35, 0.9, ""))
        self.assertAlmostEqual(row["ece_top"], 0.05)  # the one confident bin: |.5 - .55|
        self.assertEqual(row["train_seconds"], "754.3")
        self.assertEqual(row["iterations"], 2000)
        self.assertEqual((row["precision"], row["recall"], row["f1"], row["avg_iou"]), (0.5, 0.75, 0.6, 0.55))

    def test_optional_fields_missing(self):
        row = row_from_run("bce", 1, {"map50": 0.1, "map_coco": 0.05, "ece": 0.2}, 1.0, 3, ["A"])
        self.assertEqual((row["precision"], row["ap_A"], row["ece_top"]), ("", "", 0.0))


class CsvFile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "results.csv")

    def tearDown(self):
        self.tmp.cleanup()

    def test_fmt_csv(self):
        self.assertEqual(fmt_csv(0.1234567), "0.123457")
        self.assertEqual(fmt_csv(3), 3)
        self.assertEqual(fmt_csv("754.3"), "754.3")

    def test_round_trip(self):
        rows = [row_from_run("bce", 1, MAP_JSON, 600.0, 100, NAMES),
                row_from_run("focal", 1, dict(MAP_JSON, map50=0.1234567, classes=[]), 61.04, 100, NAMES)]
        write_csv(self.path, rows, NAMES)
        with open(self.path) as f:
            text = f.read()
        self.assertEqual(text.split("\n")[0], ",".join(csv_columns(NAMES)))
        self.assertIn("\nbce,1,0.625000,0.250000,0.350000,0.900000,0.030000,0.050000,0.500000,0.750000,"
                      "0.600000,0.550000,600.0,100\n", text.replace("\r\n", "\n"))
        self.assertFalse(os.path.exists(self.path + ".tmp"))
        back, names = read_csv(self.path)
        self.assertEqual(names, NAMES)
        self.assertEqual(len(back), 2)
        self.assertEqual(back[0], {"variant": "bce", "seed": 1, "map50": 0.625, "map50_95": 0.25, "ap_RBC": 0.35,
                                   "ap_WBC": 0.9, "ece": 0.03, "ece_top": 0.05, "precision": 0.5, "recall": 0.75,
                                   "f1": 0.6, "avg_iou": 0.55, "train_seconds": 600.0, "iterations": 100})
        self.assertEqual(back[1]["map50"], 0.123457)  # 6 decimals in the file
        self.assertEqual(back[1]["train_seconds"], 61.0)
        self.assertTrue(math.isnan(back[1]["ap_RBC"]))  # empty -> nan

    def test_read_errors(self):
        with self.assertRaisesRegex(AbError, r"results\.csv: no such file$"):
            read_csv(self.path)
        with open(self.path, "w") as f:
            f.write("name,score\na,1\n")
        with self.assertRaisesRegex(AbError, r"results\.csv: not an ab_losses results\.csv \(no variant/map50 "
                                             r"columns\)$"):
            read_csv(self.path)

    def test_empty_study(self):
        write_csv(self.path, [], NAMES)
        self.assertEqual(read_csv(self.path), ([], NAMES))


def bins(*cells):
    """map.json calibration bins from (count, confidence, accuracy) triples."""
    return [{"count": n, "confidence": c, "accuracy": a} for n, c, a in cells]


class PooledCalibration(unittest.TestCase):
    def test_pools_the_seeds_of_each_variant(self):
        with tempfile.TemporaryDirectory() as d:
            # focal seed 1: 2 detections at .10 (none right) and 2 at .70 (1 right); seed 2: 6 at .90
            # (3 right) and 2 at .60 (2 right); bce seed 1: one bin; mfocal seed 1 has no map.json
            for run, cal in (("focal_s1", bins((2, .1, 0.0), (2, .7, .5))),
                             ("focal_s2", bins((0, 0.0, 0.0), (2, .6, 1.0))),
                             ("bce_s1", bins((4, .05, .25), (0, 0.0, 0.0)))):
                os.makedirs(os.path.join(d, "runs", run))
                write_json(os.path.join(d, "runs", run, "map.json"), {"calibration": cal})
            rows = [{"variant": v, "seed": s} for v, s in (("bce", 1), ("focal", 1), ("focal", 2), ("mfocal", 1))]
            got = pooled_calibration(d, rows)
            self.assertEqual(list(got), ["bce", "focal"])
            self.assertEqual(got["bce"], [(4, .05, .25), (0, None, None)])
            (n0, c0, a0), (n1, c1, a1) = got["focal"]
            self.assertEqual((n0, n1), (2, 4))
            self.assertAlmostEqual(c0, .1)
            self.assertAlmostEqual(a0, 0.0)
            self.assertAlmostEqual(c1, .65)  # (2 x .7 + 2 x .6) / 4
            self.assertAlmostEqual(a1, .75)  # 3 right of 4
            self.assertEqual(pooled_calibration(d, rows[3:]), {})


if __name__ == "__main__":
    unittest.main()
