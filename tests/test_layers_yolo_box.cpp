// AlexeyAB's training keys of the [yolo] layer: the IoU-type box losses (iou_loss=iou|giou|diou|
// ciou, yolo_iou_loss.hpp) by hand and against finite differences w.r.t. the box and the logits
// (scale_x_y included), the whole layer's gradient with iou_loss=ciou and iou_thresh < 1,
// iou_thresh's extra responsible anchors, counters_per_class, max_delta, the keys refused by name,
// and the unchanged yolo-fastest-1.1-xl cfg (docs/yolo_layer.md, "AlexeyAB's keys").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "gradcheck.hpp"
#include "layers/registry.hpp"
#include "layers/yolo.hpp"
#include "layers/yolo_box.hpp"
#include "layers/yolo_iou_loss.hpp"
#include "layers/yolo_targets.hpp"
#include "layers/yolo_terms.hpp"
#include "yolo_fixtures.hpp"

namespace {

using dn::Box;
using dn::Truth;
using dn::YoloBoxLoss;
using dn::YoloLayer;
using dn::YoloTargets;

constexpr double kPi = 3.14159265358979323846;
const YoloBoxLoss kIouKinds[] = {YoloBoxLoss::iou, YoloBoxLoss::giou, YoloBoxLoss::diou, YoloBoxLoss::ciou};

std::unique_ptr<YoloLayer> make_yolo(int classes, std::vector<int> mask, std::vector<float> anchors, int w, int h,
                                     int batch = 1) {
  const int c = (5 + classes) * static_cast<int>(mask.size());
  auto l = std::make_unique<YoloLayer>(classes, std::move(mask), std::move(anchors));
  l->resize(batch, dn::Shape{c, h, w});
  return l;
}

void set(std::vector<float>& x, const YoloLayer& l, int n, int e, int i, int j, float v, int b = 0) {
  x[l.entry_index(b, n, e, j * l.out.w + i)] = v;
}

double aspect_v(double pw, double ph, double tw, double th) {
  const double d = std::atan(tw / th) - std::atan(pw / ph);
  return 4 / (kPi * kPi) * d * d;
}

// ---- the maths, by hand -----------------------------------------------------------------------

TEST(IouLoss, IdenticalBoxesHaveZeroLossAndGradient) {
  for (YoloBoxLoss k : kIouKinds) {
    const auto r = dn::iou_loss<double>(k, .3, .6, .2, .1, .3, .6, .2, .1);
    EXPECT_NEAR(r.loss, 0, 1e-14) << dn::yolo_box_loss_name(k);
    EXPECT_NEAR(r.iou, 1, 1e-14);
    for (double d : r.d) EXPECT_NEAR(d, 0, 1e-12) << dn::yolo_box_loss_name(k);
  }
}

TEST(IouLoss, TwoDisjointUnitBoxesByHand) {
  // p = [0, 1] x [0, 1], t = [2, 3] x [0, 1]: IoU 0, union 2, enclosing box 3 x 1 (C = 3, c^2 = 10),
  // centre distance 2 (rho^2 = 4).
  const double px = .5, py = .5, tx = 2.5, ty = .5;
  auto r = dn::iou_loss<double>(YoloBoxLoss::iou, px, py, 1., 1., tx, ty, 1., 1.);
  EXPECT_DOUBLE_EQ(r.loss, 1);
  for (double d : r.d) EXPECT_EQ(d, 0);  // plain IoU gives no gradient between disjoint boxes
  // GIoU = 0 - (3 - 2) / 3: L = 4/3. With I = 0, L = 2 - U/C, U = 2, C = cw * ch = 3 * 1:
  // dL/dx = U/C^2 dC/dx = 2/9 * (-1) (moving right shrinks cw); dL/dw = -(dU/dw C - U dC/dw)/C^2
  // = -(1*3 - 2*.5)/9 = -2/9; dL/dy = 0.
  r = dn::iou_loss<double>(YoloBoxLoss::giou, px, py, 1., 1., tx, ty, 1., 1.);
  EXPECT_NEAR(r.loss, 4. / 3, 1e-15);
  EXPECT_NEAR(r.d[0], -2. / 9, 1e-15);
  EXPECT_NEAR(r.d[2], -2. / 9, 1e-15);
  // h: the heights are equal, a tie of the enclosing box's edges. Growing h grows C (dL/dh =
  // -(1*3 - 2*3)/9 = 1/3), shrinking it does not (-1/3): the mean of the two, 0, is taken.
  EXPECT_NEAR(r.d[3], 0, 1e-15);
  EXPECT_NEAR(r.d[1], 0, 1e-15);
  // DIoU: L = 1 + 4/10; dL/dx = (drho2 c2 - rho2 dc2)/c2^2 = (-4*10 - 4*(-6))/100 = -.16.
  r = dn::iou_loss<double>(YoloBoxLoss::diou, px, py, 1., 1., tx, ty, 1., 1.);
  EXPECT_NEAR(r.loss, 1.4, 1e-15);
  EXPECT_NEAR(r.d[0], -.16, 1e-15);
  // CIoU: same aspect ratio, v = 0, alpha = 0: equal to DIoU.
  const auto c = dn::iou_loss<double>(YoloBoxLoss::ciou, px, py, 1., 1., tx, ty, 1., 1.);
  EXPECT_NEAR(c.loss, 1.4, 1e-15);
  EXPECT_EQ(c.alpha, 0);
  for (int e = 0; e < 4; ++e) EXPECT_NEAR(c.d[e], r.d[e], 1e-15);
}

TEST(IouLoss, OverlappingBoxesByHand) {
  // p = [-1, 1]^2, t = [0, 2]^2: I = 1, U = 7, C = 9, rho^2 = 2, c^2 = 18.
  EXPECT_NEAR(dn::iou_loss<double>(YoloBoxLoss::iou, 0., 0., 2., 2., 1., 1., 2., 2.).loss, 1 - 1. / 7, 1e-15);
  EXPECT_NEAR(dn::iou_loss<double>(YoloBoxLoss::giou, 0., 0., 2., 2., 1., 1., 2., 2.).loss, 1 - 1. / 7 + 2. / 9,
              1e-15);
  EXPECT_NEAR(dn::iou_loss<double>(YoloBoxLoss::diou, 0., 0., 2., 2., 1., 1., 2., 2.).loss, 1 - 1. / 7 + 1. / 9,
              1e-15);
  // CIoU of a 2x1 box and a 1x2 box on one centre: IoU 1/3, rho = 0,
  // v = 4/pi^2 (atan(1/2) - atan(2))^2, alpha = v / (2/3 + v).
  const auto r = dn::iou_loss<double>(YoloBoxLoss::ciou, 0., 0., 2., 1., 0., 0., 1., 2.);
  const double v = 4 / (kPi * kPi) * std::pow(std::atan(.5) - std::atan(2.), 2);
  const double alpha = v / (2. / 3 + v);
  EXPECT_NEAR(r.iou, 1. / 3, 1e-15);
  EXPECT_NEAR(r.v, v, 1e-15);
  EXPECT_NEAR(r.alpha, alpha, 1e-15);
  EXPECT_NEAR(r.loss, 2. / 3 + alpha * v, 1e-15);
  EXPECT_NEAR(v, .16783, 1e-5);
}

// ---- the maths against finite differences (double, w.r.t. the box) -------------------------

struct RandomPair {
  double p[4], t[4];
};

// Random boxes, a third of them far apart (disjoint), none with coinciding edges.
std::vector<RandomPair> random_pairs(int count, uint64_t seed) {
  dn::Rng rng(seed);
  std::vector<RandomPair> v;
  for (int k = 0; k < count; ++k) {
    RandomPair r;
    r.t[0] = rng.uniform(.2f, .8f);
    r.t[1] = rng.uniform(.2f, .8f);
    r.t[2] = rng.uniform(.05f, .5f);
    r.t[3] = rng.uniform(.05f, .5f);
    const double spread = k % 3 == 0 ? 1.5 : .2;
    r.p[0] = r.t[0] + spread * rng.uniform(-1.f, 1.f);
    r.p[1] = r.t[1] + spread * rng.uniform(-1.f, 1.f);
    r.p[2] = rng.uniform(.03f, .6f);
    r.p[3] = rng.uniform(.03f, .6f);
    v.push_back(r);
  }
  return v;
}

// The loss as a function of p; for ciou with alpha frozen at alpha0 (the function whose gradient
// the analytic one is): L_frozen = L_diou + alpha0 v.
double loss_at(YoloBoxLoss k, const double p[4], const double t[4], double alpha0) {
  if (k != YoloBoxLoss::ciou) return dn::iou_loss<double>(k, p[0], p[1], p[2], p[3], t[0], t[1], t[2], t[3]).loss;
  return dn::iou_loss<double>(YoloBoxLoss::diou, p[0], p[1], p[2], p[3], t[0], t[1], t[2], t[3]).loss +
         alpha0 * aspect_v(p[2], p[3], t[2], t[3]);
}

TEST(IouLoss, GradientMatchesFiniteDifferences) {
  const auto pairs = random_pairs(300, 7);
  for (YoloBoxLoss k : kIouKinds) {
    double worst = 0;
    int disjoint_with_gradient = 0, disjoint = 0;
    for (const RandomPair& rp : pairs) {
      const auto r = dn::iou_loss<double>(k, rp.p[0], rp.p[1], rp.p[2], rp.p[3], rp.t[0], rp.t[1], rp.t[2], rp.t[3]);
      ASSERT_TRUE(std::isfinite(r.loss));
      for (int e = 0; e < 4; ++e) {
        double p[4] = {rp.p[0], rp.p[1], rp.p[2], rp.p[3]};
        const double h = 1e-5;
        p[e] += h;
        const double fp = loss_at(k, p, rp.t, r.alpha);
        p[e] -= 2 * h;
        const double fm = loss_at(k, p, rp.t, r.alpha);
        const double num = (fp - fm) / (2 * h);
        // Judged against 1e-4 at least: the differences' rounding noise is ~1e-11.
        worst = std::max(worst, std::fabs(num - r.d[e]) / std::max(1e-4, std::fabs(num) + std::fabs(r.d[e])));
      }
      if (r.iou == 0) {
        ++disjoint;
        disjoint_with_gradient += std::fabs(r.d[0]) + std::fabs(r.d[1]) > 1e-6;
      }
    }
    EXPECT_LT(worst, 1e-5) << dn::yolo_box_loss_name(k);
    ASSERT_GT(disjoint, 50);
    // GIoU, DIoU and CIoU pull disjoint boxes together; plain IoU cannot.
    if (k == YoloBoxLoss::iou) {
      EXPECT_EQ(disjoint_with_gradient, 0);
    } else {
      EXPECT_EQ(disjoint_with_gradient, disjoint) << dn::yolo_box_loss_name(k);
    }
  }
}

// The CIoU gradient holds alpha constant: it is NOT the derivative of the CIoU loss with alpha
// varying (this is the check above failing if alpha were differentiated, or the reverse).
TEST(IouLoss, CiouHoldsAlphaConstant) {
  const double p[4] = {.5, .5, .3, .1}, t[4] = {.52, .49, .1, .3};
  const auto r = dn::iou_loss<double>(YoloBoxLoss::ciou, p[0], p[1], p[2], p[3], t[0], t[1], t[2], t[3]);
  ASSERT_GT(r.alpha, .1);
  double q[4] = {p[0], p[1], p[2], p[3]};
  const double h = 1e-6;
  q[2] += h;
  const double fp = dn::iou_loss<double>(YoloBoxLoss::ciou, q[0], q[1], q[2], q[3], t[0], t[1], t[2], t[3]).loss;
  q[2] -= 2 * h;
  const double fm = dn::iou_loss<double>(YoloBoxLoss::ciou, q[0], q[1], q[2], q[3], t[0], t[1], t[2], t[3]).loss;
  const double full = (fp - fm) / (2 * h);
  EXPECT_GT(std::fabs(full - r.d[2]), 1e-3 * std::fabs(full)) << "alpha's own derivative is missing from d[2] on purpose";
}

// ---- through the [yolo] decoding, w.r.t. the logits -----------------------------------------

TEST(IouBoxTerm, DecodesLikeTheLayerWithScaleXY) {
  for (float s : {1.f, 1.05f, 2.f}) {
    const dn::YoloDecoding d{s, false};
    const double t[4] = {.3, -1.2, .4, -.2};
    const auto r = dn::yolo_iou_box_term<double>(YoloBoxLoss::giou, t, 2, 1, 4, 3, 23., 27., 64, 48, s, .6, .4, .3, .5);
    Box pred{dn::yolo_center(2, dn::yolo_xy_output(.3f, d), 4), dn::yolo_center(1, dn::yolo_xy_output(-1.2f, d), 3),
             dn::yolo_wh(.4f, 23.f, 64, d), dn::yolo_wh(-.2f, 27.f, 48, d)};
    EXPECT_NEAR(r.iou, dn::box_iou(pred, Box{.6f, .4f, .3f, .5f}), 2e-6) << s;
  }
}

TEST(IouBoxTerm, GradientWrtLogitsMatchesFiniteDifferences) {
  dn::Rng rng(11);
  for (YoloBoxLoss k : kIouKinds)
    for (double s : {1.0, 1.05, 2.0}) {
      double worst = 0;
      int far = 0, far_with_gradient = 0;
      for (int trial = 0; trial < 200; ++trial) {
        double t[4] = {rng.uniform(-3.f, 3.f), rng.uniform(-3.f, 3.f), rng.uniform(-1.5f, 1.5f), rng.uniform(-1.5f, 1.5f)};
        const int i = static_cast<int>(rng.below(4)), j = static_cast<int>(rng.below(3));
        // Truth near the cell, or (every fourth) anywhere in the image.
        const bool anywhere = trial % 4 == 0;
        const double tx = anywhere ? rng.uniform(.05f, .95f) : (i + rng.uniform(0.f, 1.f)) / 4;
        const double ty = anywhere ? rng.uniform(.05f, .95f) : (j + rng.uniform(0.f, 1.f)) / 3;
        const double tw = rng.uniform(.05f, .6f), th = rng.uniform(.05f, .6f);
        auto term = [&](const double* x) {
          return dn::yolo_iou_box_term<double>(k, x, i, j, 4, 3, 23., 27., 64, 48, s, tx, ty, tw, th);
        };
        const auto r = term(t);
        for (int e = 0; e < 4; ++e) {
          const double h = 1e-5;
          double x[4] = {t[0], t[1], t[2], t[3]};
          auto f = [&](double xe) {
            x[e] = xe;
            const auto q = term(x);
            // ciou: alpha frozen at the starting point.
            return k == YoloBoxLoss::ciou ? q.loss - q.alpha * q.v + r.alpha * q.v : q.loss;
          };
          const double num = (f(t[e] + h) - f(t[e] - h)) / (2 * h);
          // Judged against 1e-4 at least: the differences' rounding noise is ~1e-11.
          worst = std::max(worst, std::fabs(num - r.grad[e]) / std::max(1e-4, std::fabs(num) + std::fabs(r.grad[e])));
        }
        if (r.iou == 0) {
          ++far;
          far_with_gradient += std::fabs(r.grad[0]) + std::fabs(r.grad[1]) > 1e-9;
        }
      }
      EXPECT_LT(worst, 1e-5) << dn::yolo_box_loss_name(k) << " scale_x_y " << s;
      EXPECT_GT(far, 10);
      if (k != YoloBoxLoss::iou) {
        EXPECT_EQ(far_with_gradient, far) << dn::yolo_box_loss_name(k);
      }
    }
}

// ---- the layer's box term -----------------------------------------------------------------------

// Grid 4 x 3 over a 64 x 48 input, 3 classes, mask {0, 1, 2} of 3 anchors; random logits.
struct Case {
  static constexpr int W = 64, H = 48;
  std::unique_ptr<YoloLayer> l;
  std::vector<float> x;
  std::vector<std::vector<Truth>> truths;

  explicit Case(int batch = 1, uint64_t seed = 31) {
    l = make_yolo(3, {0, 1, 2}, {10, 14, 23, 27, 37, 58}, 4, 3, batch);
    l->index = 3;
    dn::Rng rng(seed);
    x.resize(l->output.size());
    for (int b = 0; b < batch; ++b)
      for (int n = 0; n < l->mask_size(); ++n)
        for (int e = 0; e < 5 + l->classes; ++e)
          for (int loc = 0; loc < 12; ++loc)
            x[l->entry_index(b, n, e, loc)] =
                e < 2 ? rng.uniform(-1.5f, 1.5f) : e < 4 ? rng.uniform(-.7f, .7f) : rng.uniform(-3.f, 3.f);
    // Truth 0: 20 x 24 px (shape IoU .29 with anchor 0, .77 with 1, .22 with 2); truth 1: 36 x 50
    // px, anchor 2 best (shape IoU .83), anchor 1 .35; truth 2: 9 x 13 px, anchor 0 only.
    truths.push_back({{0, Box{.40f, .55f, 20.f / W, 24.f / H}},
                      {2, Box{.80f, .20f, 36.f / W, 50.f / H}},
                      {1, Box{.10f, .90f, 9.f / W, 13.f / H}}});
    if (batch > 1) truths.push_back({{2, Box{.6f, .5f, 30.f / W, 40.f / H}}});
  }
  const float* image(int b) const { return x.data() + b * l->out.size(); }
  YoloTargets assign(int b = 0) const { return dn::assign_targets(*l, image(b), truths[b], W, H); }
};

// The box term with the targets of the starting point held fixed, against finite differences.
void check_box_term(const Case& c, const std::string& what) {
  const YoloTargets t = c.assign();
  std::vector<float> x0(c.image(0), c.image(0) + c.l->out.size());
  std::vector<float> grad(x0.size(), 0.f), scratch(x0.size());
  const double loss = dn::yolo_box_term(*c.l, x0.data(), t, c.truths[0], Case::W, Case::H, grad.data());
  EXPECT_GT(loss, 0) << what;
  // ciou: alpha frozen at the starting point, per positive.
  std::vector<double> alpha0;
  auto decoded = [&](const float* x, const dn::YoloPositive& p) {
    const int a = c.l->mask[p.n];
    double lg[4];
    for (int e = 0; e < 4; ++e) lg[e] = x[c.l->entry_index(0, p.n, e, p.loc)];
    const Box& tb = c.truths[0][p.box_truth].box;
    return dn::yolo_iou_box_term<double>(c.l->iou_loss, lg, p.loc % 4, p.loc / 4, 4, 3, c.l->anchors[2 * a],
                                         c.l->anchors[2 * a + 1], Case::W, Case::H, c.l->decoding().scale_x_y, tb.x,
                                         tb.y, tb.w, tb.h);
  };
  for (const auto& p : t.positives) alpha0.push_back(decoded(x0.data(), p).alpha);
  auto f = [&](std::span<const float> x) {
    std::fill(scratch.begin(), scratch.end(), 0.f);
    double v = dn::yolo_box_term(*c.l, x.data(), t, c.truths[0], Case::W, Case::H, scratch.data());
    if (c.l->iou_loss == YoloBoxLoss::ciou)
      for (size_t k = 0; k < t.positives.size(); ++k) {
        const auto q = decoded(x.data(), t.positives[k]);
        v += c.l->iou_normalizer * dn::yolo_positive_weight(*c.l, t.positives[k]) * (alpha0[k] - q.alpha) * q.v;
      }
    return v;
  };
  auto r = dn::testing::check_gradient(f, x0, grad);
  EXPECT_LT(r.max_error, 2e-3) << what << " at " << r.worst_index << ": numeric " << r.numeric << ", analytic "
                               << r.analytic;
}

TEST(YoloIouBoxTerm, LayerBoxTermMatchesFiniteDifferences) {
  for (YoloBoxLoss k : {YoloBoxLoss::mse, YoloBoxLoss::iou, YoloBoxLoss::giou, YoloBoxLoss::diou, YoloBoxLoss::ciou})
    for (float s : {1.f, 1.2f}) {
      Case c;
      c.l->iou_loss = k;
      c.l->set_decoding({s, false});
      c.l->iou_normalizer = .07f;
      c.l->iou_thresh = .25f;
      check_box_term(c, std::string(dn::yolo_box_loss_name(k)) + " scale_x_y " + std::to_string(s));
    }
}

// iou_loss=mse keeps Darknet's squared error exactly (the formula before scale_x_y and the IoU
// losses, re-typed here), bit for bit at scale_x_y = 1.
TEST(YoloIouBoxTerm, MseIsBitIdenticalToTheOldTerm) {
  Case c;
  c.l->iou_normalizer = .3f;
  const YoloTargets t = c.assign();
  std::vector<float> g(c.x.size(), 0.f), old(c.x.size(), 0.f);
  const double loss = dn::yolo_box_term(*c.l, c.x.data(), t, c.truths[0], Case::W, Case::H, g.data());
  double old_loss = 0;
  for (const dn::YoloPositive& p : t.positives) {
    const Box& tb = c.truths[0][p.box_truth].box;
    const int i = p.loc % 4, j = p.loc / 4, a = c.l->mask[p.n];
    const double scale = static_cast<double>(c.l->iou_normalizer) * (2.0 - static_cast<double>(tb.w) * tb.h);
    const double target[4] = {static_cast<double>(tb.x) * 4 - i, static_cast<double>(tb.y) * 3 - j,
                               std::log(static_cast<double>(tb.w) * Case::W / c.l->anchors[2 * a]),
                               std::log(static_cast<double>(tb.h) * Case::H / c.l->anchors[2 * a + 1])};
    for (int e = 0; e < 4; ++e) {
      const size_t idx = c.l->entry_index(0, p.n, e, p.loc);
      const double x = c.x[idx];
      if (e < 2) {
        const double s = 1.0 / (1.0 + std::exp(-x));
        const double diff = s - target[e];
        old_loss += 0.5 * scale * diff * diff;
        old[idx] += static_cast<float>(scale * diff * s * (1.0 - s));
      } else {
        const double diff = x - target[e];
        old_loss += 0.5 * scale * diff * diff;
        old[idx] += static_cast<float>(scale * diff);
      }
    }
  }
  EXPECT_EQ(loss, old_loss);
  EXPECT_EQ(g, old);
}

TEST(YoloIouBoxTerm, IouLossesHaveNoTwoMinusWhFactor) {
  // One positive; the box term is iou_normalizer * (1 - GIoU) whatever the truth's size.
  auto l = make_yolo(1, {0}, {16, 16}, 4, 4);
  l->iou_loss = YoloBoxLoss::giou;
  l->iou_normalizer = .5f;
  std::vector<float> x(l->output.size(), 0.f), g(x.size(), 0.f);
  set(x, *l, 0, 2, 1, 1, std::log(1.5f));
  const std::vector<Truth> truths = {{0, Box{.375f, .375f, .25f, .25f}}};
  const YoloTargets t = dn::assign_targets(*l, x.data(), truths, 64, 64);
  // Predicted 24 x 16 px on the truth's centre against 16 x 16: IoU 2/3, enclosing box = the
  // prediction, so GIoU = IoU.
  EXPECT_NEAR(dn::yolo_box_term(*l, x.data(), t, truths, 64, 64, g.data()), .5 * (1 - 2. / 3), 1e-6);
  // The prediction contains the truth: IoU = I / (pw ph), dIoU/dpw = -IoU/pw, and C = U, so
  // dL/dt_w = -dIoU/dpw * pw = IoU = 2/3 (times the normalizer .5).
  EXPECT_NEAR(g[l->entry_index(0, 0, 2, 5)], .5 * (2. / 3), 1e-6);
}

// ---- the whole layer: iou_loss=ciou, iou_thresh < 1, scale_x_y, counters_per_class ------------

TEST(YoloLayerIou, WholeLayerGradientMatchesFiniteDifferences) {
  for (YoloBoxLoss k : {YoloBoxLoss::giou, YoloBoxLoss::ciou}) {
    Case c(2);
    c.l->iou_loss = k;
    c.l->iou_thresh = .25f;
    c.l->iou_normalizer = .5f;
    c.l->set_decoding({1.05f, false});
    c.l->class_multipliers = {1.f, 2.5f, 1.5f};
    c.l->set_training(true);
    for (int b = 0; b < 2; ++b) {
      YoloTargets t = c.assign(b);
      for (float iou : t.best_iou) ASSERT_GT(std::fabs(iou - c.l->ignore_thresh), .01f);
    }
    ASSERT_GT(c.assign(0).assigned.size(), c.truths[0].size());  // iou_thresh added anchors
    dn::RunContext ctx;
    ctx.train = true;
    ctx.net_w = Case::W;
    ctx.net_h = Case::H;
    ctx.truths = &c.truths;
    // ciou: the layer's loss with each positive's alpha frozen at the starting point.
    std::vector<std::vector<double>> alpha0(2);
    std::vector<YoloTargets> t0 = {c.assign(0), c.assign(1)};
    auto ciou_of = [&](const float* img, int b, const dn::YoloPositive& p) {
      const int a = c.l->mask[p.n];
      double lg[4];
      for (int e = 0; e < 4; ++e) lg[e] = img[c.l->entry_index(0, p.n, e, p.loc)];
      const Box& tb = c.truths[b][p.box_truth].box;
      return dn::yolo_iou_box_term<double>(YoloBoxLoss::ciou, lg, p.loc % 4, p.loc / 4, 4, 3, c.l->anchors[2 * a],
                                           c.l->anchors[2 * a + 1], Case::W, Case::H, 1.05, tb.x, tb.y, tb.w, tb.h);
    };
    for (int b = 0; b < 2; ++b)
      for (const auto& p : t0[b].positives) alpha0[b].push_back(ciou_of(c.image(b), b, p).alpha);
    auto objective = [&](std::span<const float> x) {
      c.l->forward(ctx, x.data());
      double s = c.l->stats.total_loss();
      if (k == YoloBoxLoss::ciou)
        for (int b = 0; b < 2; ++b)
          for (size_t q = 0; q < t0[b].positives.size(); ++q) {
            const auto r = ciou_of(x.data() + b * c.l->out.size(), b, t0[b].positives[q]);
            s += c.l->iou_normalizer * dn::yolo_positive_weight(*c.l, t0[b].positives[q]) * (alpha0[b][q] - r.alpha) *
                 r.v;
          }
      return s;
    };
    objective(c.x);
    // 3 + 1 best anchors, plus 3 of iou_thresh .25: truth 0 (20 x 24 px) anchor 0 (.29), truth 1
    // (36 x 50) anchor 1 (.35), image 1's truth (30 x 40) anchor 1 (.52).
    EXPECT_EQ(c.l->stats.count, 7);
    std::vector<float> grad(c.x.size(), 0.f);
    std::fill(c.l->delta.begin(), c.l->delta.end(), 0.f);
    c.l->backward(ctx, c.x.data(), grad.data());
    auto r = dn::testing::check_gradient(objective, c.x, grad, 1e-3, 1e-2);
    EXPECT_LT(r.max_error, 2e-3) << dn::yolo_box_loss_name(k) << " at " << r.worst_index << ": numeric " << r.numeric
                                 << ", analytic " << r.analytic;
  }
}

// ---- iou_thresh --------------------------------------------------------------------------------

TEST(YoloIouThresh, ExtraAnchorsAreResponsible) {
  // A 20 x 24 px truth: shape IoU .29 with anchor 0, .77 with anchor 1 (the best), .22 with 2.
  const std::vector<Truth> truths = {{1, Box{.40f, .55f, 20.f / 64, 24.f / 48}}};
  auto count = [&](std::vector<int> mask, float iou_thresh) {
    auto l = make_yolo(3, std::move(mask), {10, 14, 23, 27, 37, 58}, 4, 3);
    l->iou_thresh = iou_thresh;
    std::vector<float> x(l->output.size(), 0.f);
    const YoloTargets t = dn::assign_targets(*l, x.data(), truths, 64, 48);
    EXPECT_EQ(t.positives.size(), t.assigned.size());
    const int loc = 1 * 4 + 1;  // cell (1, 1)
    for (const dn::YoloPositive& p : t.positives) {
      EXPECT_EQ(p.loc, loc);
      EXPECT_EQ(p.labels, std::vector<int>{1});
      EXPECT_EQ(p.box_truth, 0);
      EXPECT_EQ(t.obj_target[p.n * 12 + loc], 1.f);
      EXPECT_EQ(t.obj_weight[p.n * 12 + loc], 1.f);
    }
    // The class and box terms reach every responsible anchor.
    std::vector<float> g(x.size(), 0.f);
    dn::yolo_box_term(*l, x.data(), t, truths, 64, 48, g.data());
    dn::yolo_class_term(*l, x.data(), t, g.data());
    for (const dn::YoloPositive& p : t.positives) {
      EXPECT_NE(g[l->entry_index(0, p.n, 2, loc)], 0.f);
      EXPECT_NE(g[l->entry_index(0, p.n, 5 + 1, loc)], 0.f);
    }
    return static_cast<int>(t.positives.size());
  };
  EXPECT_EQ(count({0, 1, 2}, 1.f), 1);     // YOLOv3: the best anchor only
  EXPECT_EQ(count({0, 1, 2}, .5f), 1);     // no other anchor above .5
  EXPECT_EQ(count({0, 1, 2}, .25f), 2);    // + anchor 0 (.29)
  EXPECT_EQ(count({0, 1, 2}, .213f), 3);   // + anchor 2 (.22), AlexeyAB's recommended value
  EXPECT_EQ(count({0, 2}, .25f), 1);       // the best anchor is another layer's: anchor 0 still is ours
  EXPECT_EQ(count({2}, .25f), 0);
  // The statistics count the extra pairs too (as AlexeyAB's count).
  auto l = make_yolo(3, {0, 1, 2}, {10, 14, 23, 27, 37, 58}, 4, 3);
  l->iou_thresh = .213f;
  std::vector<float> x(l->output.size(), 0.f);
  l->compute_loss(x.data(), {truths}, 64, 48);
  EXPECT_EQ(l->stats.count, 3);
}

// ---- counters_per_class ------------------------------------------------------------------------

TEST(YoloCountersPerClass, WeightThePositivesTerms) {
  Case plain, weighted;
  weighted.l->class_multipliers = {3.f, 1.f, 1.f};
  plain.l->compute_loss(plain.x.data(), plain.truths, Case::W, Case::H);
  weighted.l->compute_loss(weighted.x.data(), weighted.truths, Case::W, Case::H);
  const YoloTargets t = plain.assign();
  const YoloLayer& l = *plain.l;
  // Truth 0 (class 0) sits at anchor 1, cell (1, 1); truth 1 (class 2) at anchor 2, cell (3, 0).
  int checked = 0;
  for (int n = 0; n < 3; ++n)
    for (int loc = 0; loc < 12; ++loc) {
      const int pos = t.positive_of[n * 12 + loc];
      const bool class0 = pos >= 0 && t.positives[pos].labels == std::vector<int>{0};
      for (int e = 0; e < 8; ++e) {
        const size_t i = l.entry_index(0, n, e, loc);
        const float expect = plain.l->loss_delta[i] * (class0 ? 3.f : 1.f);
        EXPECT_NEAR(weighted.l->loss_delta[i], expect, 1e-6f * (1 + std::fabs(expect))) << n << " " << e << " " << loc;
        checked += class0 && plain.l->loss_delta[i] != 0.f;
      }
    }
  EXPECT_EQ(checked, 8);  // box 4, objectness 1, classes 3
  // The box and class losses of the class-0 positive count 3 times.
  EXPECT_GT(weighted.l->stats.box_loss, plain.l->stats.box_loss);
  EXPECT_GT(weighted.l->stats.cls_loss, plain.l->stats.cls_loss);
  // Multi-label: the largest multiplier of the labels.
  dn::YoloPositive p;
  p.labels = {1, 0};
  EXPECT_EQ(dn::yolo_positive_weight(*weighted.l, p), 3.f);
  p.labels = {2};
  EXPECT_EQ(dn::yolo_positive_weight(*weighted.l, p), 1.f);
  EXPECT_EQ(dn::yolo_positive_weight(*plain.l, p), 1.f);
}

// ---- max_delta ---------------------------------------------------------------------------------

TEST(YoloMaxDelta, ClipsTheBoxGradientOfTheIouLossesOnly) {
  // AlexeyAB's rule: the box deltas of the IoU-type losses are clipped; objectness, classes and
  // the mse box term are not.
  for (YoloBoxLoss loss : {YoloBoxLoss::ciou, YoloBoxLoss::mse}) {
    Case plain, clipped;
    for (Case* c : {&plain, &clipped}) {
      c->l->iou_loss = loss;
      c->l->obj_normalizer = 3.f;
      c->l->cls_normalizer = 2.f;
      c->l->iou_normalizer = 4.f;
    }
    clipped.l->max_delta = .5f;
    const double loss_plain = plain.l->compute_loss(plain.x.data(), plain.truths, Case::W, Case::H);
    const double loss_clipped = clipped.l->compute_loss(clipped.x.data(), clipped.truths, Case::W, Case::H);
    EXPECT_EQ(loss_plain, loss_clipped);  // the loss is not changed, only its gradient
    std::vector<int> above(8, 0);         // elements beyond the clip, by entry
    for (size_t i = 0; i < plain.x.size(); ++i) {
      const float g = plain.l->loss_delta[i];
      const int entry = static_cast<int>((i / 12) % 8);
      const bool clip = entry < 4 && loss != YoloBoxLoss::mse;
      EXPECT_EQ(clipped.l->loss_delta[i], clip ? std::clamp(g, -.5f, .5f) : g) << i;
      if (std::fabs(g) > .5f) ++above[entry];
    }
    // Every kind of element goes beyond the clip, so the test can see which ones are clipped.
    EXPECT_GT(above[0] + above[1] + above[2] + above[3], 0) << yolo_box_loss_name(loss);
    EXPECT_GT(above[4], 0);
    EXPECT_GT(above[5] + above[6] + above[7], 0);
  }
}

// ---- cfg keys ------------------------------------------------------------------------------------

std::unique_ptr<YoloLayer> build(const std::string& keys, bool expect_all_used = true) {
  return dn::testing::build_yolo(keys, expect_all_used);
}
std::string error_of(const std::string& keys) { return dn::testing::yolo_error_of(keys); }

// The error names t.cfg:<line> first, then the key, then `text`.
void expect_refused(const std::string& keys, const std::string& key, const std::string& text, int line = 8) {
  const std::string msg = error_of(keys);
  const std::string where = "t.cfg:" + std::to_string(line) + ":";
  EXPECT_EQ(msg.rfind(where, 0), 0u) << keys << " -> " << msg;
  EXPECT_NE(msg.find(key), std::string::npos) << keys << " -> " << msg;
  EXPECT_NE(msg.find(text), std::string::npos) << keys << " -> " << msg;
}

TEST(YoloAlexeyABKeys, TrainingKeysAreRead) {
  auto l = build("iou_loss=ciou\niou_normalizer=0.07\niou_thresh=0.213\nmax_delta=5\ncounters_per_class=100,400\n");
  EXPECT_EQ(l->iou_loss, YoloBoxLoss::ciou);
  EXPECT_FLOAT_EQ(l->iou_normalizer, .07f);
  EXPECT_FLOAT_EQ(l->iou_thresh, .213f);
  EXPECT_EQ(l->max_delta, 5.f);
  EXPECT_EQ(l->class_multipliers, (std::vector<float>{4.f, 1.f}));
  const std::string d = l->describe();
  for (const char* part : {"box=ciou, obj=bce, cls=bce", "normalizer iou 0.07", "iou_thresh 0.213", "max_delta 5",
                           "class multipliers 1..4"})
    EXPECT_NE(d.find(part), std::string::npos) << part << " not in: " << d;
  for (const char* name : {"mse", "iou", "giou", "diou"})
    EXPECT_EQ(dn::yolo_box_loss_name(build(std::string("iou_loss=") + name + "\n")->iou_loss), std::string(name));
  // Defaults: YOLOv3's (iou_normalizer 1, not AlexeyAB's .75).
  l = build("");
  EXPECT_EQ(l->iou_loss, YoloBoxLoss::mse);
  EXPECT_EQ(l->iou_normalizer, 1.f);
  EXPECT_EQ(l->iou_thresh, 1.f);
  EXPECT_FALSE(std::isfinite(l->max_delta));
  EXPECT_TRUE(l->class_multipliers.empty());
  // counters_per_class: multipliers capped at max_delta (given before or after it); 0 counts as 1.
  EXPECT_EQ(build("counters_per_class=100,400\nmax_delta=2\n")->class_multipliers, (std::vector<float>{2.f, 1.f}));
  EXPECT_EQ(build("counters_per_class=0,50\n")->class_multipliers, (std::vector<float>{50.f, 1.f}));
  // The statistics line names the box loss.
  l = build("iou_loss=giou\n");
  l->resize(1, dn::Shape{14, 4, 4});
  std::vector<float> x(l->output.size(), 0.f);
  l->compute_loss(x.data(), {{{1, Box{.4f, .4f, .3f, .3f}}}}, 64, 64);
  EXPECT_NE(l->stats_line().find("v3 (box=giou, obj=bce, cls=bce"), std::string::npos) << l->stats_line();
}

TEST(YoloAlexeyABKeys, AcceptedWithoutEffectOrWarning) {
  testing::internal::CaptureStderr();
  build("show_details=0\nresize=1\ndelta_normalizer=1\nobjectness_smooth=0\niou_thresh=0.3\niou_thresh_kind=iou\n");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "");
  testing::internal::CaptureStderr();
  build("iou_thresh_kind=iou\n");
  const std::string err2 = testing::internal::GetCapturedStderr();
  EXPECT_NE(err2.find("t.cfg:8: warning: [yolo] iou_thresh_kind has no effect without iou_thresh < 1"),
            std::string::npos)
      << err2;
}

TEST(YoloAlexeyABKeys, RefusedByNameWithFileAndLine) {
  for (const char* k : {"embedding_layer=-2", "track_history_size=5", "sim_thresh=0.8", "dets_for_track=1",
                        "dets_for_show=1", "track_ciou_norm=0.01"}) {
    const std::string kv = k;
    expect_refused(kv + "\n", kv.substr(0, kv.find('=')), "tracking");
  }
  expect_refused("map=data/coco9k.map\n", "map=", "remap the classes");
  expect_refused("objectness_smooth=1\n", "objectness_smooth", "set objectness_smooth=0");
  for (const char* kind : {"giou", "diou", "ciou"})
    expect_refused(std::string("iou_thresh=0.2\niou_thresh_kind=") + kind + "\n", "iou_thresh_kind",
                   "set iou_thresh_kind=iou", 9);
  expect_refused("iou_thresh_kind=xiou\n", "iou_thresh_kind", "unknown");
  expect_refused("delta_normalizer=2\n", "delta_normalizer", "multiply iou_normalizer");
  expect_refused("resize=1.5\n", "resize", "set resize=1");
  expect_refused("iou_loss=ciuo\n", "iou_loss", "known: mse, iou, giou, diou, ciou");
  expect_refused("jitter=.3\ncounters_per_class=1,2,3\n", "counters_per_class", "one count per class", 9);
  expect_refused("counters_per_class=1,-2\n", "counters_per_class", ">= 0");
  expect_refused("counters_per_class=1,x\n", "counters_per_class", "bad list item");
  expect_refused("max_delta=0\n", "max_delta", "positive");
  expect_refused("iou_thresh=-1\n", "iou_thresh", ">= 0");
}

// Every key of AlexeyAB's parse_yolo, with values this layer takes, is read (no unused key).
TEST(YoloAlexeyABKeys, EveryKeyOfAlexeyABIsRead) {
  testing::internal::CaptureStderr();
  auto l = build(
      "num=3\nmax=200\nshow_details=1\nmax_delta=10\ncounters_per_class=5,7\nlabel_smooth_eps=0.1\nscale_x_y=1.05\n"
      "objectness_smooth=0\nnew_coords=0\niou_normalizer=0.07\nobj_normalizer=1\ncls_normalizer=1\n"
      "delta_normalizer=1\niou_loss=ciou\niou_thresh_kind=iou\nbeta_nms=0.6\nnms_kind=greedynms\njitter=.3\n"
      "resize=1\nfocal_loss=0\nignore_thresh=.7\ntruth_thresh=1\niou_thresh=0.213\nrandom=1\n");
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(l->iou_loss, YoloBoxLoss::ciou);
  EXPECT_FLOAT_EQ(l->label_smooth_eps, .1f);
}

// ---- the unchanged AlexeyAB-format cfg of a real model ---------------------------------------

TEST(YoloAlexeyABKeys, YoloFastestCfgLoadsAndTrains) {
  const std::string path = std::string(DN_SHARED_DIR) + "/models/yolo-fastest-1.1-xl/yolo-fastest-1.1-xl.cfg";
  dn::CfgFile cfg = dn::parse_cfg(path);
  int yolos = 0;
  dn::Rng rng(5);
  for (const dn::CfgSection& s : cfg.sections) {
    if (s.type != "yolo") continue;
    // 320 x 320 input: the first [yolo] (mask 3,4,5) at stride 32, the second at stride 16.
    const int grid = yolos == 0 ? 10 : 20;
    ++yolos;
    std::vector<std::unique_ptr<dn::Layer>> prev;
    std::vector<const dn::CfgSection*> prev_sections;
    dn::BuildInfo b;
    b.input = dn::Shape{85 * 3, grid, grid};
    b.net_w = b.net_h = 320;
    b.previous = &prev;
    b.previous_sections = &prev_sections;
    testing::internal::CaptureStderr();
    auto layer = dn::make_layer(s, b);
    const std::string err = testing::internal::GetCapturedStderr();
    for (const char* key : {"iou_loss", "iou_thresh", "iou_normalizer", "cls_normalizer", "scale_x_y"})
      EXPECT_EQ(err.find(key), std::string::npos) << err;
    for (const auto& o : s.options) EXPECT_TRUE(o.used) << path << ":" << o.line << " " << o.key;
    auto* y = dynamic_cast<YoloLayer*>(layer.get());
    ASSERT_NE(y, nullptr);
    y->resize(1, b.input);
    EXPECT_EQ(y->iou_loss, YoloBoxLoss::ciou);
    EXPECT_FLOAT_EQ(y->iou_normalizer, .07f);
    EXPECT_FLOAT_EQ(y->iou_thresh, .213f);
    EXPECT_EQ(y->nms_kind, dn::NmsKind::greedy_diou);
    // A training forward on random logits with a few truths: finite loss, gradient, statistics.
    y->index = 100 + yolos;
    std::vector<float> x(y->output.size());
    for (float& v : x) v = rng.uniform(-2.f, 2.f);
    std::vector<Truth> truths;
    for (int k = 0; k < 12; ++k)
      truths.push_back({static_cast<int>(rng.below(80)), Box{rng.uniform(.1f, .9f), rng.uniform(.1f, .9f),
                                                              rng.uniform(.02f, .8f), rng.uniform(.02f, .8f)}});
    y->set_training(true);
    const double loss = y->compute_loss(x.data(), {truths}, 320, 320);
    EXPECT_TRUE(std::isfinite(loss));
    EXPECT_GT(y->stats.box_loss, 0);
    EXPECT_GT(y->stats.count, 0);
    for (float g : y->loss_delta) ASSERT_TRUE(std::isfinite(g));
    EXPECT_NE(y->stats_line().find("box=ciou"), std::string::npos) << y->stats_line();
  }
  EXPECT_EQ(yolos, 2);
}

}  // namespace
