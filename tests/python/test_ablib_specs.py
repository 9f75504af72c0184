"""ablib.specs: --variant, --net (key=value lists), --seeds and --until."""

import time
import unittest

# (tests/python/__init__.py has put scripts/ on sys.path)
from ablib.common import AbError
from ablib.specs import BUILTIN_VARIANTS, DEFAULT_VARIANTS, parse_keyvals, parse_seeds, parse_until, parse_variant


class Variants(unittest.TestCase):
    def test_parse_variant(self):
        self.assertEqual(parse_variant("mf_l25:loss=mfocal,mfocal_floor_pos=0.25"),
                         ("mf_l25", [("loss", "mfocal"), ("mfocal_floor_pos", "0.25")]))
        self.assertEqual(parse_variant(" wd3 : net.decay = *3 , ,loss=bce,"),
                         ("wd3", [("net.decay", "*3"), ("loss", "bce")]))
        self.assertEqual(parse_variant("base:"), ("base", []))
        self.assertEqual(parse_variant("a:x=y=z"), ("a", [("x", "y=z")]))  # the first = splits

    def test_parse_variant_errors(self):
        with self.assertRaisesRegex(AbError, r"^--variant focal: expected NAME:key=value\[,key=value\.\.\.\]$"):
            parse_variant("focal")
        for bad in ("a b:loss=bce", "_x:loss=bce", ":loss=bce", "a/b:loss=bce"):
            with self.assertRaisesRegex(AbError, r"the name may hold letters, digits and _ \. \+ - only$", msg=bad):
                parse_variant(bad)
        with self.assertRaisesRegex(AbError, r"^--variant v:loss=bce,gamma: 'gamma' is not key=value$"):
            parse_variant("v:loss=bce,gamma")

    def test_builtin_variants_choose_their_losses(self):
        self.assertTrue(set(DEFAULT_VARIANTS) <= set(BUILTIN_VARIANTS))
        for name, keys in BUILTIN_VARIANTS.items():
            self.assertTrue(any(k in ("loss", "obj_loss") for k, _ in keys), name)
        self.assertIn(("net.decay", "*10"), BUILTIN_VARIANTS["wd10"])


class KeyVals(unittest.TestCase):
    def test_parse_keyvals(self):
        self.assertEqual(parse_keyvals(None, "--net"), [])
        self.assertEqual(parse_keyvals("", "--net"), [])
        self.assertEqual(parse_keyvals("width=64, height = 64,,burn_in=0", "--net"),
                         [("width", "64"), ("height", "64"), ("burn_in", "0")])
        with self.assertRaisesRegex(AbError, r"^--net: 'width' is not key=value$"):
            parse_keyvals("width,height=1", "--net")


class Seeds(unittest.TestCase):
    def test_count_list_range(self):
        self.assertEqual(parse_seeds("3"), [1, 2, 3])
        self.assertEqual(parse_seeds(2), [1, 2])
        self.assertEqual(parse_seeds(" 1 "), [1])
        self.assertEqual(parse_seeds("1,5,9"), [1, 5, 9])
        self.assertEqual(parse_seeds("9,5,"), [9, 5])  # the order given
        self.assertEqual(parse_seeds("4-6"), [4, 5, 6])
        self.assertEqual(parse_seeds("0-1"), [0, 1])
        self.assertEqual(parse_seeds("7-7"), [7])

    def test_bad_seeds(self):
        syntax = r"^--seeds %s: expected a count \(3\), a list \(1,5,9\) or a range \(4-6\)$"
        for bad in ("x", "", "3-", "1-x", "1.5", "1,a", "1-2-3"):
            with self.assertRaisesRegex(AbError, syntax % bad, msg=bad):
                parse_seeds(bad)
        for bad in ("0", "-2", "6-4", "1,1", "-1,2", ","):
            with self.assertRaisesRegex(AbError, r"^--seeds %s: need one or more distinct seeds >= 0$" % bad, msg=bad):
                parse_seeds(bad)


class Until(unittest.TestCase):
    # 15 January, 10:00 local time: no daylight-saving change on that day or the next
    NOW = time.mktime((2026, 1, 15, 10, 0, 0, 0, 0, -1))

    def local(self, day, hour, minute):
        return time.mktime((2026, 1, day, hour, minute, 0, 0, 0, -1))

    def test_today_or_tomorrow(self):
        self.assertEqual(parse_until("11:30", self.NOW), self.local(15, 11, 30))
        self.assertEqual(parse_until(" 23:59 ", self.NOW), self.local(15, 23, 59))
        self.assertEqual(parse_until("9:05", self.NOW), self.local(16, 9, 5))
        self.assertEqual(parse_until("10:00", self.NOW), self.local(16, 10, 0))  # now: tomorrow
        self.assertEqual(parse_until("00:00", self.NOW), self.local(16, 0, 0))

    def test_default_now_is_within_a_day(self):
        t = parse_until("12:00")
        self.assertTrue(time.time() < t <= time.time() + 86400)

    def test_bad_times(self):
        for bad in ("24:00", "7:60", "7h", "", "12:5", "123:00", "-1:00"):
            with self.assertRaisesRegex(AbError, r"^--until .*: expected HH:MM \(local time\)$", msg=bad):
                parse_until(bad, self.NOW)


if __name__ == "__main__":
    unittest.main()
