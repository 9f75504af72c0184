// The loss family against docs/losses.md: test vectors, finite-difference gradients, numerical
// range, identities between losses, and parameter checks.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "gradcheck.hpp"
#include "losses/list.hpp"
#include "losses/loss.hpp"

namespace {

using dn::Loss;
using dn::LossParams;

struct Eval {
  double loss;
  double grad;
};

// One element: loss and dL/dx at logit x and target y.
Eval eval1(const Loss& loss, double x, double y) {
  float xf = static_cast<float>(x), yf = static_cast<float>(y), g = 0;
  double l = loss.compute(&xf, &yf, nullptr, 1, &g);
  return {l, g};
}

LossParams params(float gamma, float alpha) {
  LossParams p;
  p.gamma = gamma;
  p.alpha = alpha;
  return p;
}

double logit(double p) { return std::log(p / (1 - p)); }

void expect_rel(double actual, double expected, double rel, const std::string& what) {
  EXPECT_NEAR(actual, expected, rel * std::fabs(expected)) << what;
}

// ---- test vectors (positive side, alpha = 1), losses.md -------------------------------------

struct VectorRow {
  double p_t;
  double bce_l, bce_g, focal_l, focal_g, star_l, star_g, poly_l, poly_g, mfocal_l, mfocal_g;
};
const VectorRow kVectors[] = {
    {0.10, 2.303, -0.9, 1.865, -1.102, 1.714, -0.9675, 2.594, -1.321, 1.974, -1.052},
    {0.25, 1.386, -0.75, 0.7798, -0.8118, 0.7306, -0.768, 1.202, -1.128, 0.9314, -0.7963},
    {0.50, 0.6931, -0.5, 0.1733, -0.2983, 0.1566, -0.2689, 0.2983, -0.4858, 0.3033, -0.3487},
    {0.75, 0.2877, -0.25, 0.01798, -0.0426, 0.02003, -0.03927, 0.03361, -0.07775, 0.08541,
     -0.09445},
    {0.90, 0.1054, -0.1, 0.001054, -0.002896, 0.002266, -0.004521, 0.002054, -0.005596, 0.02713,
     -0.02717},
    {0.99, 0.01005, -0.01, 1.005e-6, -2.99e-6, 1.877e-5, -3.753e-5, 2.005e-6, -5.96e-6, 0.002513,
     -0.002502},
};

struct VectorLoss {
  std::string label;
  std::string name;
  LossParams pos;  // parameters giving alpha_t = 1 on positives
  LossParams neg;  // the same with alpha_t = 1 on negatives (alpha = 0)
  double VectorRow::*loss;
  double VectorRow::*grad;
};

std::vector<VectorLoss> vector_losses() {
  std::vector<VectorLoss> v;
  auto add = [&](std::string label, std::string name, LossParams p, double VectorRow::*l,
                 double VectorRow::*g) {
    LossParams n = p;
    p.alpha = 1;
    n.alpha = 0;
    // mfocal's floor is per side: the vector's l = .25 goes on whichever side is tested.
    if (name == "mfocal") n.floor_neg = p.floor_pos;
    v.push_back({label, name, p, n, l, g});
  };
  add("bce", "bce", LossParams{}, &VectorRow::bce_l, &VectorRow::bce_g);
  add("focal g=2", "focal", params(2, 1), &VectorRow::focal_l, &VectorRow::focal_g);
  LossParams star = params(2, 1);
  star.beta = 1;
  add("focal_star g=2 b=1", "focal_star", star, &VectorRow::star_l, &VectorRow::star_g);
  LossParams poly = params(2, 1);
  poly.poly_eps = 1;
  add("poly1 g=2 eps=1", "poly1", poly, &VectorRow::poly_l, &VectorRow::poly_g);
  LossParams mf = params(2, 1);
  mf.floor_pos = 0.25f;
  mf.floor_neg = 0.25f;
  add("mfocal g=2 l=.25", "mfocal", mf, &VectorRow::mfocal_l, &VectorRow::mfocal_g);
  return v;
}

TEST(LossVectors, PositiveSideMatchesDoc) {
  for (const auto& vl : vector_losses()) {
    auto loss = dn::make_loss(vl.name, vl.pos);
    for (const auto& row : kVectors) {
      Eval e = eval1(*loss, logit(row.p_t), 1.0);
      std::string what = vl.label + " at p_t=" + std::to_string(row.p_t);
      expect_rel(e.loss, row.*vl.loss, 1e-3, what + " loss");
      expect_rel(e.grad, row.*vl.grad, 1e-3, what + " grad");  // dL/dx = dL/dx_t on positives
    }
  }
}

TEST(LossVectors, NegativeSideIsTheMirror) {
  // A negative at x = -x_t has the same p_t: same loss, dL/dx = -dL/dx_t.
  for (const auto& vl : vector_losses()) {
    auto loss = dn::make_loss(vl.name, vl.neg);
    for (const auto& row : kVectors) {
      Eval e = eval1(*loss, -logit(row.p_t), 0.0);
      std::string what = vl.label + " negative at p_t=" + std::to_string(row.p_t);
      expect_rel(e.loss, row.*vl.loss, 1e-3, what + " loss");
      expect_rel(e.grad, -(row.*vl.grad), 1e-3, what + " grad");
    }
  }
}

TEST(LossVectors, SoftmaxFocal) {
  auto loss = dn::make_softmax_loss("softmax_focal", params(2, 1));
  const float z[3] = {2, 1, 0};
  float g[3];
  double l = loss->compute(z, 3, 0, 1.0f, g);
  expect_rel(l, 0.0456778, 1e-4, "loss");
  expect_rel(g[0], -0.0982878, 1e-4, "grad 0");
  expect_rel(g[1], 0.0718541, 1e-4, "grad 1");
  expect_rel(g[2], 0.0264337, 1e-4, "grad 2");
  // The weight scales loss and gradient.
  float g2[3];
  expect_rel(loss->compute(z, 3, 0, 0.5f, g2), 0.5 * 0.0456778, 1e-4, "weighted loss");
  expect_rel(g2[1], 0.5 * 0.0718541, 1e-4, "weighted grad");
}

// ---- the losses under test, with their default and edge parameters ---------------------------

struct Case {
  std::string name;
  LossParams p;
};

std::vector<Case> all_cases() {
  std::vector<Case> c;
  c.push_back({"bce", LossParams{}});
  c.push_back({"balanced", params(2, 0.25f)});
  c.push_back({"balanced", params(2, 0.75f)});
  for (float g : {0.0f, 0.5f, 1.0f, 2.0f, 5.0f}) c.push_back({"focal", params(g, 0.25f)});
  for (float b : {-1.0f, 0.0f, 1.0f}) {
    LossParams p = params(2, 0.25f);
    p.beta = b;
    c.push_back({"focal_star", p});
  }
  c.push_back({"focal_star", params(0.5f, 0.25f)});
  for (float eps : {-1.0f, 1.0f, 3.0f}) {
    LossParams p = params(2, 0.25f);
    p.poly_eps = eps;
    c.push_back({"poly1", p});
  }
  c.push_back({"poly1", params(0, 0.5f)});
  c.push_back({"mfocal", LossParams{}});
  for (float lp : {0.0f, 0.25f, 1.0f}) {
    LossParams p = params(0.5f, 0.4f);
    p.floor_pos = lp;
    p.floor_neg = 0.1f;
    c.push_back({"mfocal", p});
  }
  return c;
}

// Logits across [-30, 30], denser near 0 where the curvature is.
std::vector<float> grid_logits() {
  std::vector<float> x;
  for (int i = -60; i <= 60; ++i) x.push_back(0.5f * static_cast<float>(i));
  for (int i = -20; i <= 20; ++i) x.push_back(0.1f * static_cast<float>(i) + 0.013f);
  return x;
}

TEST(LossGradient, FiniteDifferencesAcrossLogits) {
  std::vector<float> x = grid_logits();
  const size_t n = x.size();
  std::vector<float> weights(n);
  for (size_t i = 0; i < n; ++i) weights[i] = 0.5f + 0.25f * static_cast<float>(i % 5);
  for (const auto& c : all_cases()) {
    auto loss = dn::make_loss(c.name, c.p);
    // Hard targets for every loss; soft ones where the loss allows them (and, since every loss
    // defines the interpolation, for the others too: the gradient must match either way).
    std::vector<std::pair<std::string, std::vector<float>>> target_sets = {
        {"all 0", std::vector<float>(n, 0.0f)}, {"all 1", std::vector<float>(n, 1.0f)}};
    std::vector<float> soft(n);
    for (size_t i = 0; i < n; ++i) soft[i] = 0.1f + 0.2f * static_cast<float>(i % 5);  // .1 .. .9
    target_sets.push_back({"soft", soft});
    for (const auto& [tname, t] : target_sets) {
      for (bool weighted : {false, true}) {
        const float* w = weighted ? weights.data() : nullptr;
        std::vector<float> grad(n);
        loss->compute(x.data(), t.data(), w, static_cast<int>(n), grad.data());
        auto f = [&](std::span<const float> xs) {
          std::vector<float> scratch(n);
          return loss->compute(xs.data(), t.data(), w, static_cast<int>(n), scratch.data());
        };
        auto r = dn::testing::check_gradient(f, x, grad);
        EXPECT_LT(r.max_error, 2e-3)
            << loss->describe() << " targets " << tname << (weighted ? " weighted" : "")
            << ": worst at x=" << x[r.worst_index] << " numeric " << r.numeric << " analytic "
            << r.analytic;
      }
    }
  }
}

TEST(LossGradient, SoftmaxFocalFiniteDifferences) {
  const std::vector<std::vector<float>> logit_sets = {
      {2, 1, 0}, {0.3f, -1.2f, 2.5f, 0.1f, -0.4f}, {8, -3, 1, 0.5f}, {-6, 4, 3.9f, 0, -1, 2}, {0.7f}};
  for (float g : {0.0f, 0.5f, 1.0f, 2.0f, 5.0f}) {
    auto loss = dn::make_softmax_loss("softmax_focal", params(g, 0.6f));
    for (const auto& z : logit_sets) {
      int n = static_cast<int>(z.size());
      for (int c = 0; c < n; ++c) {
        std::vector<float> grad(n);
        loss->compute(z.data(), n, c, 1.5f, grad.data());
        auto f = [&](std::span<const float> zs) {
          std::vector<float> scratch(n);
          return loss->compute(zs.data(), n, c, 1.5f, scratch.data());
        };
        auto r = dn::testing::check_gradient(f, z, grad);
        EXPECT_LT(r.max_error, 2e-3) << loss->describe() << " n=" << n << " c=" << c
                                     << " worst index " << r.worst_index << " numeric "
                                     << r.numeric << " analytic " << r.analytic;
      }
    }
  }
}

// ---- numerical range ------------------------------------------------------------------------

TEST(LossRange, FiniteAtLargeLogits) {
  const std::vector<float> x = {-1000, -100, -30, 30, 100, 1000};
  for (const auto& c : all_cases()) {
    auto loss = dn::make_loss(c.name, c.p);
    for (float y : {0.0f, 0.5f, 1.0f}) {
      std::vector<float> t(x.size(), y), grad(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        double l = loss->compute(&x[i], &t[i], nullptr, 1, &grad[i]);
        EXPECT_TRUE(std::isfinite(l)) << loss->describe() << " x=" << x[i] << " y=" << y;
        EXPECT_TRUE(std::isfinite(grad[i])) << loss->describe() << " x=" << x[i] << " y=" << y;
        EXPECT_GE(l, -1e-12) << loss->describe() << " x=" << x[i] << " y=" << y;
        EXPECT_LE(std::fabs(grad[i]), 1.0f) << loss->describe();
      }
    }
  }
  // Far on the wrong side the gradient is the full CE gradient for CE-like losses.
  auto bce = dn::make_loss("bce", {});
  Eval e = eval1(*bce, -100, 1);
  EXPECT_NEAR(e.loss, 100, 1e-9);
  EXPECT_NEAR(e.grad, -1, 1e-9);
}

TEST(LossRange, SoftmaxFiniteAtLargeLogits) {
  for (float g : {0.0f, 0.5f, 2.0f}) {
    auto loss = dn::make_softmax_loss("softmax_focal", params(g, 1));
    const std::vector<std::vector<float>> sets = {{100, -100, 0}, {-100, 100, 99}, {1000, -1000, -1000}};
    for (const auto& z : sets) {
      for (int c = 0; c < 3; ++c) {
        float grad[3];
        double l = loss->compute(z.data(), 3, c, 1.0f, grad);
        EXPECT_TRUE(std::isfinite(l)) << "g=" << g << " c=" << c;
        for (float gr : grad) EXPECT_TRUE(std::isfinite(gr)) << "g=" << g << " c=" << c;
      }
    }
  }
}

// ---- identities ------------------------------------------------------------------------------

// Same loss and gradient on a mixed batch (hard and soft targets, weights).
void expect_same(const Loss& a, const Loss& b, double scale_b = 1.0) {
  std::vector<float> x = grid_logits();
  const int n = static_cast<int>(x.size());
  std::vector<float> t(n), w(n), ga(n), gb(n);
  for (int i = 0; i < n; ++i) {
    t[i] = (i % 3 == 0) ? 0.0f : (i % 3 == 1) ? 1.0f : 0.35f;
    w[i] = 1.0f + 0.1f * static_cast<float>(i % 7);
  }
  double la = a.compute(x.data(), t.data(), w.data(), n, ga.data());
  double lb = scale_b * b.compute(x.data(), t.data(), w.data(), n, gb.data());
  EXPECT_NEAR(la, lb, 1e-9 * std::fabs(lb) + 1e-12) << a.describe() << " vs " << b.describe();
  for (int i = 0; i < n; ++i)
    EXPECT_NEAR(ga[i], scale_b * gb[i], 1e-6 * std::fabs(gb[i]) + 1e-12)
        << a.describe() << " vs " << b.describe() << " at x=" << x[i];
}

TEST(LossIdentities, FocalGammaZeroIsBalanced) {
  for (float a : {0.25f, 0.5f, 0.9f})
    expect_same(*dn::make_loss("focal", params(0, a)), *dn::make_loss("balanced", params(2, a)));
}

TEST(LossIdentities, MFocalFloorsOneIsCrossEntropy) {
  LossParams p = params(2, 0.25f);
  p.floor_pos = p.floor_neg = 1;
  expect_same(*dn::make_loss("mfocal", p), *dn::make_loss("balanced", params(2, 0.25f)));
  // With alpha = .5 both sides weigh 1/2: mfocal(floors 1) = bce / 2.
  p.alpha = 0.5f;
  expect_same(*dn::make_loss("mfocal", p), *dn::make_loss("bce", {}), 0.5);
}

TEST(LossIdentities, MFocalFloorsZeroIsFocal) {
  for (float g : {0.5f, 2.0f, 5.0f}) {
    LossParams p = params(g, 0.25f);
    p.floor_pos = p.floor_neg = 0;
    expect_same(*dn::make_loss("mfocal", p), *dn::make_loss("focal", params(g, 0.25f)));
  }
}

TEST(LossIdentities, FocalStarGammaOneBetaZeroIsBce) {
  LossParams p = params(1, 0.25f);
  p.beta = 0;
  expect_same(*dn::make_loss("focal_star", p), *dn::make_loss("bce", {}));
}

TEST(LossIdentities, Poly1EpsZeroIsFocal) {
  LossParams p = params(2, 0.25f);
  p.poly_eps = 0;
  expect_same(*dn::make_loss("poly1", p), *dn::make_loss("focal", params(2, 0.25f)));
}

TEST(LossIdentities, SoftmaxFocalTwoClassesGammaZeroIsBce) {
  // softmax over [0, z] is sigmoid(z): CE on class 1 is bce at logit z with target 1.
  auto sm = dn::make_softmax_loss("softmax_focal", params(0, 1));
  auto bce = dn::make_loss("bce", {});
  for (float z : {-5.0f, -0.3f, 0.0f, 2.0f, 30.0f}) {
    float logits[2] = {0, z}, g[2];
    double l = sm->compute(logits, 2, 1, 1.0f, g);
    Eval e = eval1(*bce, z, 1);
    EXPECT_NEAR(l, e.loss, 1e-6 * e.loss + 1e-12);
    EXPECT_NEAR(g[1], e.grad, 1e-6);
    EXPECT_NEAR(g[0], -e.grad, 1e-6);
  }
}

TEST(LossIdentities, BceSoftTargetIsCrossEntropy) {
  auto bce = dn::make_loss("bce", {});
  for (double y : {0.2, 0.5, 0.8}) {
    Eval e = eval1(*bce, 0.7, y);
    double p = 1 / (1 + std::exp(-0.7));
    EXPECT_NEAR(e.loss, -y * std::log(p) - (1 - y) * std::log(1 - p), 1e-6);
    EXPECT_NEAR(e.grad, p - y, 1e-6);
  }
}

// ---- the interface ---------------------------------------------------------------------------

TEST(LossInterface, WeightsScaleAndZeroWeightGivesZeroGradient) {
  auto loss = dn::make_loss("focal", {});
  const float x[3] = {0.5f, -2, 3}, t[3] = {1, 0, 1}, w[3] = {2, 0, 0.5f};
  float g1[3], gw[3] = {9, 9, 9};
  double l1 = loss->compute(x, t, nullptr, 3, g1);
  double lw = loss->compute(x, t, w, 3, gw);
  float single[3];
  double parts[3];
  for (int i = 0; i < 3; ++i) parts[i] = loss->compute(&x[i], &t[i], nullptr, 1, &single[i]);
  EXPECT_NEAR(l1, parts[0] + parts[1] + parts[2], 1e-12);
  EXPECT_NEAR(lw, 2 * parts[0] + 0.5 * parts[2], 1e-12);
  EXPECT_FLOAT_EQ(gw[0], 2 * g1[0]);
  EXPECT_EQ(gw[1], 0.0f);
  EXPECT_FLOAT_EQ(gw[2], 0.5f * g1[2]);
}

TEST(LossInterface, NamesDescriptionsAndSoftTargets) {
  std::vector<std::string> names = dn::loss_names();
  for (std::string n : {"bce", "balanced", "focal", "focal_star", "poly1", "mfocal", "softmax_focal"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  for (const auto& n : names) {
    if (dn::is_softmax_loss(n)) {
      auto l = dn::make_softmax_loss(n, dn::default_loss_params(n));
      EXPECT_EQ(l->name(), n);
    } else {
      auto l = dn::make_loss(n, dn::default_loss_params(n));
      EXPECT_EQ(l->name(), n);
      EXPECT_EQ(l->allows_soft_targets(), n == "bce" || n == "balanced") << n;
    }
  }
  EXPECT_EQ(dn::make_loss("focal", {})->describe(), "focal(gamma=2, alpha=0.25)");
  EXPECT_EQ(dn::make_loss("bce", {})->describe(), "bce");
  EXPECT_EQ(dn::make_loss("mfocal", {})->describe(),
            "mfocal(gamma=2, alpha=0.25, floor_pos=1, floor_neg=0)");
  EXPECT_EQ(dn::make_softmax_loss("softmax_focal", dn::default_loss_params("softmax_focal"))->describe(),
            "softmax_focal(gamma=2, alpha=1)");
}

// ---- bad parameters --------------------------------------------------------------------------

// make() must throw dn::Error whose message contains every fragment.
template <class F>
void expect_error(F make, std::vector<std::string> fragments) {
  try {
    make();
    ADD_FAILURE() << "no error; expected one mentioning " << fragments[0];
  } catch (const dn::Error& e) {
    std::string msg = e.what();
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  }
}

TEST(LossParamsCheck, BadParametersAreRejected) {
  auto with = [](auto set) {
    LossParams p;
    set(p);
    return p;
  };
  auto neg_gamma = with([](LossParams& p) { p.gamma = -1; });
  auto nan_gamma = with([](LossParams& p) { p.gamma = NAN; });
  auto big_alpha = with([](LossParams& p) { p.alpha = 1.5f; });
  auto neg_alpha = with([](LossParams& p) { p.alpha = -0.1f; });
  for (std::string n : {"focal", "poly1", "mfocal"}) {
    expect_error([&] { dn::make_loss(n, neg_gamma); }, {n, "focal_gamma", "-1"});
    expect_error([&] { dn::make_loss(n, nan_gamma); }, {n, "focal_gamma"});
    expect_error([&] { dn::make_loss(n, big_alpha); }, {n, "focal_alpha", "1.5"});
    expect_error([&] { dn::make_loss(n, neg_alpha); }, {n, "focal_alpha"});
  }
  expect_error([&] { dn::make_loss("balanced", big_alpha); }, {"balanced", "focal_alpha"});
  expect_error([&] { dn::make_softmax_loss("softmax_focal", neg_gamma); },
               {"softmax_focal", "focal_gamma"});
  expect_error([&] { dn::make_softmax_loss("softmax_focal", big_alpha); },
               {"softmax_focal", "focal_alpha"});
  expect_error([&] { dn::make_loss("focal_star", with([](LossParams& p) { p.gamma = 0; })); },
               {"focal_star", "focal_gamma", "> 0"});
  expect_error([&] { dn::make_loss("focal_star", with([](LossParams& p) { p.beta = INFINITY; })); },
               {"focal_star", "focal_beta"});
  expect_error([&] { dn::make_loss("poly1", with([](LossParams& p) { p.poly_eps = -2; })); },
               {"poly1", "poly_eps", "-1"});
  expect_error([&] { dn::make_loss("mfocal", with([](LossParams& p) { p.floor_pos = 1.1f; })); },
               {"mfocal", "mfocal_floor_pos"});
  expect_error([&] { dn::make_loss("mfocal", with([](LossParams& p) { p.floor_neg = -0.5f; })); },
               {"mfocal", "mfocal_floor_neg"});
  // Parameters a loss does not use are not its business (bce has no gamma).
  EXPECT_NO_THROW(dn::make_loss("bce", neg_gamma));
}

TEST(LossParamsCheck, UnknownOrMisusedNames) {
  expect_error([] { dn::make_loss("focall", {}); }, {"unknown loss 'focall'", "bce", "mfocal"});
  expect_error([] { dn::make_softmax_loss("nope", {}); }, {"unknown loss 'nope'"});
  expect_error([] { dn::make_loss("softmax_focal", {}); }, {"softmax_focal", "cls_loss"});
  expect_error([] { dn::make_softmax_loss("focal", {}); }, {"focal", "element-wise"});
  expect_error([] { dn::default_loss_params("x"); }, {"unknown loss 'x'"});
  auto sm = dn::make_softmax_loss("softmax_focal", {});
  const float z[2] = {0, 1};
  float g[2];
  expect_error([&] { sm->compute(z, 2, 2, 1.0f, g); }, {"target class 2", "[0, 2)"});
  expect_error([&] { sm->compute(z, 2, -1, 1.0f, g); }, {"target class -1"});
}

}  // namespace

// The device kernels take a loss as a LossSpec (losses/list.hpp) and evaluate it per element with
// loss_one / softmax_loss_one; here, on the host, that dispatch must give the values of the Loss
// objects the CPU trains with (gradients bit for bit), for every registered loss and non-default
// parameters.
TEST(LossSpecDispatch, EqualsTheCpuLossBitForBit) {
  std::vector<float> logits, targets, weights;
  for (int i = -40; i <= 40; ++i) {
    for (float y : {0.f, 1.f, .3f}) {
      logits.push_back(i * .37f);
      targets.push_back(y);
      weights.push_back(i % 7 == 0 ? 0.f : 1.f + .01f * i);
    }
  }
  const int n = static_cast<int>(logits.size());
  for (const std::string& name : dn::loss_names()) {
    LossParams p = dn::default_loss_params(name);
    p.gamma = 1.5f;
    p.alpha = .7f;
    p.beta = .2f;
    p.poly_eps = .5f;
    p.floor_pos = .6f;
    p.floor_neg = .1f;
    const dn::losses::LossSpec spec = dn::losses::loss_spec(name, p);
    EXPECT_EQ(dn::losses::is_softmax(spec), dn::is_softmax_loss(name)) << name;
    if (!dn::is_softmax_loss(name)) {
      std::vector<float> g_cpu(n), g_spec(n);
      const double l_cpu = dn::make_loss(name, p)->compute(logits.data(), targets.data(), weights.data(), n, g_cpu.data());
      double l_spec = 0;
      for (int i = 0; i < n; ++i) l_spec += dn::losses::loss_one(spec, logits[i], targets[i], weights[i], &g_spec[i]);
      // The sums may differ in the last bit where the compiler fuses the weight's multiply into
      // the caller's addition (FMA contraction) in one place and not the other.
      EXPECT_NEAR(l_cpu, l_spec, 1e-14 * std::fabs(l_cpu)) << name;
      EXPECT_EQ(g_cpu, g_spec) << name;
    } else {
      const int classes = 5;
      for (int c = 0; c < classes; ++c) {
        const float* z = logits.data() + 3 * c;  // any 5 logits
        std::vector<float> g_cpu(classes), g_spec(classes);
        const double l_cpu = dn::make_softmax_loss(name, p)->compute(z, classes, c, .8f, g_cpu.data());
        const double l_spec = dn::losses::softmax_loss_one(spec, z, 1, classes, c, .8f,
                                                           [&](int j, float v) { g_spec[j] = v; });
        EXPECT_EQ(l_cpu, l_spec) << name;
        EXPECT_EQ(g_cpu, g_spec) << name;
      }
    }
  }
  EXPECT_THROW(dn::losses::loss_spec("nope", LossParams{}), dn::Error);
  LossParams bad;
  bad.alpha = 2;
  EXPECT_THROW(dn::losses::loss_spec("focal", bad), dn::Error);
}
