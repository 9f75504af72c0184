"""ablib.stats: Student's t quantile, mean and sd, paired intervals, ece_top."""

import math
import unittest

# (tests/python/__init__.py has put scripts/ on sys.path)
from ablib.stats import TOP_CONF, ece_top, mean_sd, paired_ci, t975


def student_t_cdf(t, df, steps=2000):
    """P(T <= t) for t >= 0: 1/2 plus Simpson's rule over the density from 0 to t. Independent of
    the package's table and expansion."""
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def pdf(x):
        return c * (1 + x * x / df) ** (-(df + 1) / 2)

    h = t / steps
    s = pdf(0) + pdf(t) + sum((4 if i % 2 else 2) * pdf(i * h) for i in range(1, steps))
    return 0.5 + s * h / 3


class T975(unittest.TestCase):
    def test_published_table_values(self):
        # t(0.975, df) as printed in statistics tables (3 decimals)
        table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 10: 2.228, 20: 2.086, 30: 2.042,
                 40: 2.021, 60: 2.000, 120: 1.980}
        for df, q in table.items():
            self.assertAlmostEqual(t975(df), q, delta=0.0005, msg="df %d" % df)

    def test_large_df_tends_to_the_normal_quantile(self):
        self.assertAlmostEqual(t975(100000), 1.959964, places=4)

    def test_quantile_by_numerical_integration(self):
        # the table (df <= 30) and the expansion (df > 30) against the integrated density
        for df in list(range(1, 41)) + [45, 50, 60, 80, 100, 150, 200, 500]:
            self.assertAlmostEqual(student_t_cdf(t975(df), df), 0.975, delta=1e-5, msg="df %d" % df)

    def test_decreasing_in_df(self):
        qs = [t975(df) for df in range(1, 200)]
        self.assertTrue(all(a > b for a, b in zip(qs, qs[1:])))

    def test_no_degrees_of_freedom(self):
        self.assertTrue(math.isnan(t975(0)))
        self.assertTrue(math.isnan(t975(-1)))


class MeanSd(unittest.TestCase):
    def test_sample_sd_with_n_minus_1(self):
        m, sd = mean_sd([1.0, 2.0, 3.0, 4.0])
        self.assertAlmostEqual(m, 2.5)
        # squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, over n - 1 = 3
        self.assertAlmostEqual(sd, math.sqrt(5 / 3))
        self.assertEqual(mean_sd([0.5, 0.5]), (0.5, 0.0))

    def test_one_and_none(self):
        m, sd = mean_sd([0.7])
        self.assertEqual(m, 0.7)
        self.assertTrue(math.isnan(sd))
        self.assertTrue(all(math.isnan(x) for x in mean_sd([])))


class PairedCi(unittest.TestCase):
    def test_three_pairs(self):
        # d = .1, .2, .3: mean .2, sd .1, half width t(.975, 2) * .1 / sqrt(3) = 4.302653 * .057735 = .248414
        m, (lo, hi) = paired_ci([0.1, 0.2, 0.3])
        self.assertAlmostEqual(m, 0.2)
        self.assertAlmostEqual(lo, 0.2 - 0.248414, places=6)
        self.assertAlmostEqual(hi, 0.2 + 0.248414, places=6)

    def test_two_pairs(self):
        # d = .05, .15: mean .1, sd .070711, half width 12.706205 * .070711 / sqrt(2) = .635310
        m, (lo, hi) = paired_ci([0.05, 0.15])
        self.assertAlmostEqual(m, 0.1)
        self.assertAlmostEqual(hi - m, 0.635310, places=6)
        self.assertAlmostEqual(m - lo, 0.635310, places=6)

    def test_no_interval_below_two(self):
        self.assertEqual(paired_ci([0.5]), (0.5, None))
        m, ci = paired_ci([])
        self.assertTrue(math.isnan(m))
        self.assertIsNone(ci)

    def test_equal_differences_have_a_zero_width_interval(self):
        self.assertEqual(paired_ci([0.25, 0.25, 0.25]), (0.25, (0.25, 0.25)))


def calib(entries, nbins=10):
    """map.json's calibration list: entries {bin index: (count, confidence, accuracy)}, others empty."""
    return [dict(zip(("count", "confidence", "accuracy"), entries.get(i, (0, 0.0, 0.0)))) for i in range(nbins)]


class EceTop(unittest.TestCase):
    def test_weighted_over_the_bins_from_point_3(self):
        self.assertEqual(TOP_CONF, .3)
        mj = {"calibration": calib({0: (100, .05, 0.0), 2: (50, .25, .9),  # below .3: left out
                                    3: (4, .35, .25), 5: (2, .55, .75), 9: (4, .95, 1.0)})}
        # (4 * .10 + 2 * .20 + 4 * .05) / 10 = .1
        self.assertAlmostEqual(ece_top(mj), 0.1)

    def test_bin_3_is_in(self):
        self.assertAlmostEqual(ece_top({"calibration": calib({3: (1, .31, .11)})}), 0.2)

    def test_other_bin_counts(self):
        # 5 bins: [0, .2), [.2, .4), [.4, .6), ...: the bins from .4 up count
        mj = {"calibration": calib({1: (10, .3, .3 + .5), 2: (1, .5, .4), 4: (3, .9, .7)}, nbins=5)}
        self.assertAlmostEqual(ece_top(mj), (1 * .1 + 3 * .2) / 4)

    def test_nothing_confident_is_zero(self):
        self.assertEqual(ece_top({"calibration": calib({0: (5, .1, 0.0)})}), 0.0)
        self.assertEqual(ece_top({"calibration": []}), 0.0)
        self.assertEqual(ece_top({}), 0.0)
        self.assertEqual(ece_top({"calibration": None}), 0.0)


if __name__ == "__main__":
    unittest.main()
