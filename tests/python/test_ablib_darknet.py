"""ablib.darknet and ablib.plots.read_loss_curve: darknet's -progress JSON lines (and, in logs
written before them, Darknet's text lines of an iteration)."""

import os
import tempfile
import unittest

# (tests/python/__init__.py has put scripts/ on sys.path)
from ablib.darknet import iteration_point, progress_record
from ablib.plots import read_loss_curve

# As `darknet detector train -progress -` prints them (src/train/progress.cpp).
JSON_IT = ('{"iteration": 12, "loss": 41.25, "avg_loss": 43.5, "box_loss": 9.1, "obj_loss": 25.3, '
           '"cls_loss": 6.8, "rate": 0.001, "seconds": 1.07, "images": 192, "hours_left": 0.29}\n')
JSON_MAP = '{"iteration": 100, "map50": 0.512, "best_map50": 0.512}\n'
TEXT_IT = "12: 41.250000, 43.500000 avg loss, 0.001000 rate, 1.070000 seconds, 192 images, 0.290000 hours left\n"


class ProgressLines(unittest.TestCase):
    def test_record(self):
        rec = progress_record(JSON_IT)
        self.assertEqual(rec["iteration"], 12)
        self.assertEqual(rec["cls_loss"], 6.8)
        self.assertEqual(progress_record(JSON_MAP)["map50"], 0.512)
        for other in (TEXT_IT, "", "{not json", '{"loss": 1}', "[1, 2]", '{"iteration": "12"}'):
            self.assertIsNone(progress_record(other), other)

    def test_iteration_point(self):
        self.assertEqual(iteration_point(JSON_IT), (12, 43.5))
        self.assertIsNone(iteration_point(JSON_MAP))  # an evaluation, not an iteration
        self.assertIsNone(iteration_point(TEXT_IT))   # text lines only when asked for
        self.assertEqual(iteration_point(TEXT_IT, text_too=True), (12, 43.5))
        self.assertIsNone(iteration_point("Region 16 Avg IOU: 0.3", text_too=True))


class LossCurve(unittest.TestCase):
    def write(self, text):
        fd, path = tempfile.mkstemp(suffix=".log")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.remove, path)
        return path

    def test_json_lines_win_over_text_lines(self):
        text = TEXT_IT + JSON_IT + JSON_MAP + TEXT_IT.replace("12:", "13:") + JSON_IT.replace(
            '"iteration": 12', '"iteration": 13').replace('"avg_loss": 43.5', '"avg_loss": 40')
        self.assertEqual(read_loss_curve(self.write(text)), ([12, 13], [43.5, 40.0]))

    def test_an_old_log_has_text_lines_only(self):
        text = "# darknet detector train ...\n" + TEXT_IT + TEXT_IT.replace("12: 41.250000, 43.500000", "13: 1, 2")
        self.assertEqual(read_loss_curve(self.write(text)), ([12, 13], [43.5, 2.0]))

    def test_missing_log(self):
        self.assertEqual(read_loss_curve("/nonexistent/train.log"), ([], []))


if __name__ == "__main__":
    unittest.main()
