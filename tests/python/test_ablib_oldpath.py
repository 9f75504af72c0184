"""ablib.oldpath: the cfg the old binaries read, the runs whose weights are kept, evaluating one with
a stand-in darknet, and the CSV and summary of the three paths."""

import os
import stat
import tempfile
import unittest

# (tests/python/__init__.py has put scripts/ on sys.path)
from ablib.common import AbError
from ablib.oldpath import PATHS, csv_text, eval_cfg_text, evaluate, kept_runs, merge_rows, read_rows, row_of, summary

CFG = ["[net]", "iou_thresh=0.3", "[convolutional]", "filters=24", "[yolo]", "mask=0,1,2", " iou_loss = ciou",
       "iou_thresh=0.213", "iou_normalizer=0.07", "nms_kind=greedynms", "[yolo]", "iou_loss=ciou", "classes=3"]


def map_json(m, fp, aps):
    return {"map50": m, "map_coco": m / 2, "ece": m / 8, "fp": fp,
            "classes": [{"name": n, "ap": a} for n, a in zip(("RBC", "WBC"), aps)]}


class EvalCfg(unittest.TestCase):
    def test_drops_training_only_yolo_keys(self):
        out = eval_cfg_text(CFG).split("\n")
        self.assertEqual(out, ["[net]", "iou_thresh=0.3", "[convolutional]", "filters=24", "[yolo]", "mask=0,1,2",
                               "iou_normalizer=0.07", "nms_kind=greedynms", "[yolo]", "classes=3"])


class KeptRuns(unittest.TestCase):
    def test_order_and_selection(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "results.csv"), "w") as f:
                f.write("variant,seed,map50\nbce,1,0.5\nfocal_cls,1,0.5\nfocal,1,0.5\n")
            for name, done, weights in (("focal_s2", True, True), ("focal_cls_s1", True, True),
                                        ("bce_s10", True, True), ("bce_s2", True, True), ("bce_s1", True, False),
                                        ("focal_s1", False, True), ("notes", True, True)):
                rd = os.path.join(d, "runs", name)
                os.makedirs(rd)
                if done:
                    open(os.path.join(rd, "done"), "w").close()
                if weights:
                    open(os.path.join(rd, name.rpartition("_s")[0] + "_final.weights"), "w").close()
            got = [(v, s) for v, s, _, _ in kept_runs(d)]
            # results.csv's variant order, then the seed; no weights, not done or not a run: skipped
            self.assertEqual(got, [("bce", 2), ("bce", 10), ("focal_cls", 1), ("focal", 2)])

    def test_no_results_csv(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(AbError):
                kept_runs(d)


class Evaluate(unittest.TestCase):
    def stand_in(self, d, body):
        p = os.path.join(d, "darknet")
        with open(p, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(p, os.stat(p).st_mode | stat.S_IEXEC)
        return p

    def test_writes_and_caches(self):
        with tempfile.TemporaryDirectory() as d:
            w = os.path.join(d, "x_final.weights")
            open(w, "w").close()
            log = os.path.join(d, "calls")
            # the stand-in: args "detector map DATA CFG WEIGHTS -out FILE"; writes a map.json to FILE
            dn = self.stand_in(d, 'echo "$@" >> %s; echo \'{"map50": 0.5}\' > "$7"\n' % log)
            out = os.path.join(d, "json", "x.json")
            self.assertEqual(evaluate(dn, d, "c.cfg", w, out), {"map50": 0.5})
            self.assertEqual(evaluate(dn, d, "c.cfg", w, out), {"map50": 0.5})
            calls = open(log).read().split("\n")
            self.assertEqual(len([c for c in calls if c]), 1)  # the second answer came from the cache
            self.assertTrue(calls[0].startswith("detector map %s c.cfg %s -out " % (os.path.join(d, "run.data"), w)))
            self.assertEqual(sorted(os.listdir(os.path.dirname(out))), ["x.json"])

    def test_failure_names_the_run_and_leaves_no_file(self):
        with tempfile.TemporaryDirectory() as d:
            w = os.path.join(d, "x_final.weights")
            open(w, "w").close()
            dn = self.stand_in(d, 'echo "darknet: error: c.cfg:3: bad key" >&2; exit 1\n')
            out = os.path.join(d, "json", "x.json")
            with self.assertRaises(AbError) as e:
                evaluate(dn, d, "c.cfg", w, out)
            self.assertIn("bad key", str(e.exception))
            self.assertIn("exit 1", str(e.exception))
            self.assertFalse(os.path.exists(out))


class Tables(unittest.TestCase):
    def rows(self):
        return [row_of("bce", 1, {"first": map_json(.5, 100, (.25, .75)), "old_nms": map_json(.5, 100, (.25, .75)),
                                  "now": map_json(.75, 10, (.5, 1.0))}),
                row_of("bce", 2, {"first": map_json(.25, 200, (.0, .5)), "old_nms": map_json(.25, 200, (.0, .5)),
                                  "now": map_json(.5, 30, (.25, .75))}),
                row_of("focal", 1, {"first": map_json(.5, 50, (.25, .75)), "old_nms": map_json(.5, 50, (.25, .75)),
                                    "now": map_json(.625, 5, (.25, 1.0))})]

    def test_csv(self):
        lines = csv_text(self.rows()).split("\n")
        self.assertEqual(PATHS, ["first", "old_nms", "now"])
        self.assertEqual(lines[0].split(",")[:9], ["variant", "seed", "first_map50", "first_map50_95", "first_ece",
                                                   "first_fp", "first_ap_RBC", "first_ap_WBC", "old_nms_map50"])
        self.assertEqual(lines[1].split(",")[:7], ["bce", "1", "0.500000", "0.250000", "0.062500", "100", "0.250000"])
        self.assertEqual(len(lines), 5)  # header, 3 rows, the final newline

    def test_summary_means_per_variant(self):
        s = summary(self.rows(), ["RBC", "WBC"]).split("\n")
        self.assertEqual(s[2], "| bce | 2 | 0.375 | 0.375 | 0.625 | +0.250 | 0.125 → 0.375 | 0.625 → 0.875 | "
                               "150 → 20 | 0.047 → 0.078 |")
        self.assertEqual(s[3], "| focal | 1 | 0.500 | 0.500 | 0.625 | +0.125 | 0.250 → 0.250 | 0.750 → 1.000 | "
                               "50 → 5 | 0.062 → 0.078 |")


class Accumulate(unittest.TestCase):
    """old_path.csv keeps the rows of runs whose weights an earlier session's machine took away."""

    def rows(self):
        return Tables.rows(self)

    def test_csv_round_trips(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "old_path.csv")
            self.assertEqual(read_rows(p), [])
            text = csv_text(self.rows())
            with open(p, "w") as f:
                f.write(text)
            back = read_rows(p)
            self.assertEqual(csv_text(back), text)
            self.assertEqual((back[0]["seed"], back[0]["first_fp"], back[0]["now_map50"]), (1, 100, .75))

    def test_merge_keeps_the_gone_and_replaces_the_evaluated(self):
        bce1, bce2, focal1 = self.rows()
        redone = dict(bce2, now_map50=.875)
        mfocal1 = dict(focal1, variant="mfocal")
        got = merge_rows([focal1, bce2], [mfocal1, bce1, redone], ["bce", "focal", "mfocal"])
        self.assertEqual([(r["variant"], r["seed"]) for r in got], [("bce", 1), ("bce", 2), ("focal", 1),
                                                                    ("mfocal", 1)])
        self.assertEqual(got[1]["now_map50"], .875)
        # a variant the results.csv order lacks goes last
        got = merge_rows([dict(focal1, variant="old")], [bce1], ["bce"])
        self.assertEqual([r["variant"] for r in got], ["bce", "old"])

    def test_other_columns_are_refused(self):
        bce1 = self.rows()[0]
        other = {k.replace("WBC", "Platelets"): v for k, v in bce1.items()}
        with self.assertRaisesRegex(AbError, "columns"):
            merge_rows([other], [bce1], ["bce"])

    def test_bad_file_names_file_and_line(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "old_path.csv")
            with open(p, "w") as f:
                f.write("variant,seed,map50\nbce,1,0.5\n")
            with self.assertRaisesRegex(AbError, "old_path.csv: not an old_path.csv"):
                read_rows(p)
            lines = csv_text(self.rows()).split("\n")
            with open(p, "w") as f:
                f.write("\n".join(lines[:2] + ["bce,2,0.5"]) + "\n")
            with self.assertRaisesRegex(AbError, "old_path.csv:3: "):
                read_rows(p)


if __name__ == "__main__":
    unittest.main()
