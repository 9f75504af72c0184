"""ablib.cfgedit: cfg lines and sections, [yolo]/[net]/section.key edits, variant cfgs, .data files."""

import os
import tempfile
import unittest

# (tests/python/__init__.py has put scripts/ on sys.path)
from ablib.cfgedit import (apply_overrides, apply_section_keys, line_key, net_value, read_cfg_lines,
                           read_data_file, read_names, section_spans, split_section_key, variant_cfg_text)
from ablib.common import AbError

# A small cfg: two [yolo] sections choosing losses in different ways, a [dropout] between them.
BASE = """# a test cfg
[net]
batch=2
decay=0.0005
policy=steps

[convolutional]
filters=8

[yolo]
mask=0,1
loss=focal
focal_gamma=2
obj_loss=bce

[dropout]
probability=0.1

[yolo]
mask = 2,3
cls_loss = focal
""".split("\n")


def section_body(lines, name, nth=0):
    """The lines of the nth [name] section, without its header."""
    spans = [(a, b) for n, a, b in section_spans(lines) if n == name]
    a, b = spans[nth]
    return lines[a + 1:b]


class LinesAndSections(unittest.TestCase):
    def test_line_key_removes_whitespace_like_darknet(self):
        self.assertEqual(line_key("focal_gamma=2"), "focal_gamma")
        self.assertEqual(line_key("  cls_ loss = focal "), "cls_loss")
        for ln in ("", "   ", "# loss=bce", "; loss=bce", "[yolo]", "no equals sign"):
            self.assertIsNone(line_key(ln), ln)

    def test_section_spans(self):
        spans = section_spans(BASE)
        self.assertEqual([s[0] for s in spans], ["net", "convolutional", "yolo", "dropout", "yolo"])
        self.assertEqual(spans[0][1:], [1, 6])  # [net] at index 1, up to [convolutional]
        self.assertEqual(spans[-1][1:], [18, len(BASE)])  # the last runs to the end
        self.assertEqual(section_spans(["a=1", ""]), [])

    def test_net_value(self):
        self.assertEqual(net_value(BASE, "decay"), "0.0005")
        self.assertIsNone(net_value(BASE, "max_batches"))
        self.assertEqual(net_value(["[network]", "max_batches = 500"], "max_batches"), "500")

    def test_split_section_key(self):
        self.assertEqual(split_section_key("net.decay"), ("net", "decay"))
        self.assertEqual(split_section_key("loss"), ("yolo", "loss"))
        self.assertEqual(split_section_key("a.b.c"), ("a", "b.c"))

    def test_read_cfg_lines(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.cfg")
            with open(p, "w") as f:
                f.write("[net]\nbatch=1\n")
            self.assertEqual(read_cfg_lines(p), ["[net]", "batch=1", ""])
            with self.assertRaisesRegex(AbError, r"nope\.cfg: cannot read: No such file"):
                read_cfg_lines(os.path.join(d, "nope.cfg"))


class Overrides(unittest.TestCase):
    def test_keys_replaced_in_every_yolo_section_at_its_end(self):
        out = apply_overrides(BASE, ("yolo",), [("focal_gamma", "1"), ("iou_loss", "ciou")])
        self.assertEqual(section_body(out, "yolo", 0),
                         ["mask=0,1", "loss=focal", "obj_loss=bce", "focal_gamma=1", "iou_loss=ciou", ""])
        self.assertEqual(section_body(out, "yolo", 1), ["mask = 2,3", "cls_loss = focal", "focal_gamma=1",
                                                        "iou_loss=ciou", ""])
        # other sections as they were
        self.assertEqual(section_body(out, "net"), section_body(BASE, "net"))
        self.assertEqual(section_body(out, "dropout"), section_body(BASE, "dropout"))
        self.assertEqual(out[0], "# a test cfg")

    def test_drop_keys(self):
        out = apply_overrides(BASE, ("yolo",), [("loss", "bce")], drop_keys=("obj_loss", "cls_loss"))
        self.assertEqual(section_body(out, "yolo", 0), ["mask=0,1", "focal_gamma=2", "loss=bce", ""])
        self.assertEqual(section_body(out, "yolo", 1), ["mask = 2,3", "loss=bce", ""])

    def test_no_keys_is_a_copy_and_a_missing_section_an_error(self):
        self.assertEqual(apply_overrides(BASE, ("upsample",), []), BASE)
        with self.assertRaisesRegex(AbError, r"^the cfg has no \[net/network\] section$"):
            apply_overrides(["[yolo]", "loss=bce"], ("net", "network"), [("batch", "1")])


class SectionKeys(unittest.TestCase):
    def test_scaling_multiplies_the_base_value(self):
        out = apply_section_keys(BASE, "net", [("decay", "*10")])
        self.assertEqual(section_body(out, "net"), ["batch=2", "decay=0.005", "policy=steps", ""])
        out = apply_section_keys(BASE, "dropout", [("probability", "*2")])
        self.assertEqual(section_body(out, "dropout"), ["probability=0.2", ""])
        self.assertEqual(len(out), len(BASE))  # scaled in place

    def test_plain_section_key(self):
        out = apply_section_keys(BASE, "convolutional", [("filters", "16")])
        self.assertEqual(section_body(out, "convolutional"), ["filters=16", ""])

    def test_network_counts_as_net(self):
        out = apply_section_keys(["[network]", "decay=0.001", "[yolo]"], "net", [("decay", "*3")])
        self.assertEqual(out, ["[network]", "decay=0.003", "[yolo]"])

    def test_scaling_errors_name_the_key_section_and_line(self):
        with self.assertRaisesRegex(AbError, r"^net\.momentum=\*2: the \[net\] section at line 2 of the base "
                                             r"cfg has no momentum= to scale$"):
            apply_section_keys(BASE, "net", [("momentum", "*2")])
        with self.assertRaisesRegex(AbError, r"^net\.decay=\*x: expected \*NUMBER$"):
            apply_section_keys(BASE, "net", [("decay", "*x")])
        with self.assertRaisesRegex(AbError, r"^line 5, policy: 'steps' is not a number to scale$"):
            apply_section_keys(BASE, "net", [("policy", "*2")])
        with self.assertRaisesRegex(AbError, r"^upsample\.\*: the cfg has no \[upsample\] section$"):
            apply_section_keys(BASE, "upsample", [("stride", "*2")])


class VariantCfg(unittest.TestCase):
    def test_loss_choice_keys_are_dropped_before_a_loss_is_set(self):
        text = variant_cfg_text(BASE, "bce", [("loss", "bce")], [], "base.cfg")
        lines = text.split("\n")
        self.assertEqual(lines[0], "# written by scripts/ab_losses from base.cfg: variant bce (loss=bce)")
        self.assertEqual(lines[1:], apply_overrides(BASE, ("yolo",), [("loss", "bce")],
                                                    ("loss", "obj_loss", "cls_loss", "focal_loss")))
        for nth in (0, 1):
            body = section_body(lines, "yolo", nth)
            self.assertEqual([line_key(ln) for ln in body if line_key(ln) and "loss" in line_key(ln)], ["loss"])
        self.assertEqual(text.count("\nloss=bce\n"), 2)
        self.assertIn("focal_gamma=2", section_body(lines, "yolo", 0))  # not a loss choice: kept

    def test_other_yolo_keys_keep_the_base_loss_choice(self):
        lines = variant_cfg_text(BASE, "g1", [("focal_gamma", "1")], [], "b").split("\n")
        self.assertEqual(section_body(lines, "yolo", 0),
                         ["mask=0,1", "loss=focal", "obj_loss=bce", "focal_gamma=1", ""])

    def test_section_keys_scaling_and_net_overrides(self):
        text = variant_cfg_text(BASE, "wd10", [("loss", "bce"), ("net.decay", "*10")],
                                [("batch", "4"), ("width", "64")], "b.cfg")
        lines = text.split("\n")
        self.assertEqual(lines[0], "# written by scripts/ab_losses from b.cfg: variant wd10 (loss=bce, net.decay=*10)")
        self.assertEqual(lines[1], "# [net] overrides: batch=4, width=64")
        self.assertEqual(section_body(lines, "net"), ["decay=0.005", "policy=steps", "batch=4", "width=64", ""])

    def test_net_override_wins_over_a_scaled_key(self):
        lines = variant_cfg_text(BASE, "v", [("net.decay", "*10")], [("decay", "0.1")], "b").split("\n")
        self.assertEqual(section_body(lines, "net"), ["batch=2", "policy=steps", "decay=0.1", ""])

    def test_base_cfg_unchanged(self):
        text = variant_cfg_text(BASE, "_base", [], [], "b.cfg")
        self.assertEqual(text, "# written by scripts/ab_losses from b.cfg: variant _base (base cfg unchanged)\n" +
                         "\n".join(BASE))

    def test_errors_of_section_keys_pass_through(self):
        with self.assertRaisesRegex(AbError, r"^route\.\*: the cfg has no \[route\] section$"):
            variant_cfg_text(BASE, "v", [("route.layers", "*2")], [], "b")
        with self.assertRaisesRegex(AbError, r"the \[net\] section at line 2 of the base cfg has no max_batches="):
            variant_cfg_text(BASE, "v", [("net.max_batches", "*2")], [], "b")


class DataFile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        for f in ("train.txt", "valid.txt", "x.names"):
            with open(os.path.join(self.d, f), "w") as fh:
                fh.write("a\n\nb \n")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, text):
        p = os.path.join(self.d, "t.data")
        with open(p, "w") as f:
            f.write(text)
        return p

    def test_paths_resolved_against_the_data_file_folder(self):
        p = self.write("# comment\nclasses = 2\ntrain = train.txt\nvalid=valid.txt\nnames = x.names\nbackup = b/\n")
        d = read_data_file(p)
        self.assertEqual(d["train"], os.path.join(self.d, "train.txt"))
        self.assertEqual(d["names"], os.path.join(self.d, "x.names"))
        self.assertEqual(d["classes"], "2")
        self.assertEqual(d["backup"], "b/")  # not a list: as written
        self.assertEqual(read_names(d["names"]), ["a", "b"])

    def test_missing_key_and_missing_file(self):
        p = self.write("train = train.txt\nvalid = valid.txt\n")
        with self.assertRaisesRegex(AbError, r"t\.data: missing 'names='$"):
            read_data_file(p)
        p = self.write("train = train.txt\nvalid = nope.txt\nnames = x.names\n")
        with self.assertRaisesRegex(AbError, r"t\.data: valid=.*nope\.txt: no such file$"):
            read_data_file(p)
        with self.assertRaisesRegex(AbError, r"none\.data: cannot read"):
            read_data_file(os.path.join(self.d, "none.data"))


if __name__ == "__main__":
    unittest.main()
