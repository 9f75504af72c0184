// The [yolo] layer in training: target assignment on hand-made grids, finite-difference checks of
// each loss term and of the whole layer w.r.t. its input (the logits), the pluggable losses against
// dn::Loss directly, statistics on a hand-computed case, and the cfg keys.
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
#include "layers/convolutional.hpp"
#include "layers/registry.hpp"
#include "layers/yolo.hpp"
#include "layers/yolo_assign.hpp"
#include "layers/yolo_targets.hpp"
#include "layers/yolo_terms.hpp"
#include "losses/loss.hpp"
#include "yolo_fixtures.hpp"

namespace {

using dn::Box;
using dn::Truth;
using dn::YoloLayer;
using dn::YoloTargets;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::unique_ptr<YoloLayer> make_yolo(int classes, std::vector<int> mask, std::vector<float> anchors, int w, int h,
                                     int batch = 1) {
  const int c = (5 + classes) * static_cast<int>(mask.size());
  auto l = std::make_unique<YoloLayer>(classes, std::move(mask), std::move(anchors));
  l->resize(batch, dn::Shape{c, h, w});
  return l;
}

// Sets entry `e` of anchor n at cell (i, j) of image b.
void set(std::vector<float>& x, const YoloLayer& l, int n, int e, int i, int j, float v, int b = 0) {
  x[l.entry_index(b, n, e, j * l.out.w + i)] = v;
}

int slot(const YoloLayer& l, int n, int i, int j) { return n * l.out.w * l.out.h + j * l.out.w + i; }

// ---- target assignment ----------------------------------------------------------------------

// Grid 4x4 over a 64x64 input (stride 16).
constexpr int kNet = 64;

TEST(YoloTargets, BestAnchorByShapeOfAllAnchors) {
  auto l = make_yolo(2, {0, 1}, {10, 14, 23, 27, 37, 58}, 4, 4);
  EXPECT_EQ(dn::yolo_best_anchor(*l, 10.f / kNet, 14.f / kNet, kNet, kNet), 0);
  EXPECT_EQ(dn::yolo_best_anchor(*l, 23.f / kNet, 27.f / kNet, kNet, kNet), 1);
  EXPECT_EQ(dn::yolo_best_anchor(*l, 37.f / kNet, 58.f / kNet, kNet, kNet), 2);  // not in this mask
  EXPECT_EQ(dn::yolo_best_anchor(*l, 0.9f, 0.9f, kNet, kNet), 2);
  // 20x24: IoU .29 with anchor 0, .77 with anchor 1, .22 with anchor 2.
  EXPECT_EQ(dn::yolo_best_anchor(*l, 20.f / kNet, 24.f / kNet, kNet, kNet), 1);
}

TEST(YoloTargets, ResponsibleCellAndAnchorAcrossLayers) {
  const std::vector<float> anchors = {10, 14, 23, 27, 37, 58};
  auto a = make_yolo(2, {0, 1}, anchors, 4, 4);
  auto b = make_yolo(2, {2}, anchors, 4, 4);
  std::vector<float> xa(a->output.size(), 0.f), xb(b->output.size(), 0.f);
  const std::vector<Truth> truths = {
      {1, Box{0.40f, 0.65f, 37.f / kNet, 58.f / kNet}},  // anchor 2, cell (1, 2): layer b
      {0, Box{0.80f, 0.10f, 23.f / kNet, 27.f / kNet}},  // anchor 1, cell (3, 0): layer a
  };
  YoloTargets ta = dn::assign_targets(*a, xa.data(), truths, kNet, kNet);
  YoloTargets tb = dn::assign_targets(*b, xb.data(), truths, kNet, kNet);

  ASSERT_EQ(ta.assigned.size(), 1u);
  EXPECT_EQ(ta.assigned[0].truth, 1);
  EXPECT_EQ(ta.assigned[0].n, 1);
  EXPECT_EQ(ta.assigned[0].loc, 0 * 4 + 3);
  ASSERT_EQ(ta.positives.size(), 1u);
  EXPECT_EQ(ta.positives[0].labels, std::vector<int>{0});
  EXPECT_EQ(ta.positives[0].box_truth, 1);

  ASSERT_EQ(tb.assigned.size(), 1u);
  EXPECT_EQ(tb.assigned[0].truth, 0);
  EXPECT_EQ(tb.assigned[0].n, 0);
  EXPECT_EQ(tb.assigned[0].loc, 2 * 4 + 1);

  // Objectness targets: exactly the responsible slots; truth 0's cell in layer a is a negative.
  for (int s = 0; s < 32; ++s) EXPECT_EQ(ta.obj_target[s], s == slot(*a, 1, 3, 0) ? 1.f : 0.f) << s;
  for (int s = 0; s < 16; ++s) EXPECT_EQ(tb.obj_target[s], s == slot(*b, 0, 1, 2) ? 1.f : 0.f) << s;
  EXPECT_EQ(ta.positive_of[slot(*a, 0, 1, 2)], -1);
  EXPECT_EQ(ta.positive_of[slot(*a, 1, 1, 2)], -1);
}

TEST(YoloTargets, CentreOnTheLastEdgeStaysInTheGrid) {
  auto l = make_yolo(1, {0}, {16, 16}, 4, 4);
  std::vector<float> x(l->output.size(), 0.f);
  YoloTargets t = dn::assign_targets(*l, x.data(), {{0, Box{1.f, 1.f, .25f, .25f}}}, kNet, kNet);
  ASSERT_EQ(t.assigned.size(), 1u);
  EXPECT_EQ(t.assigned[0].loc, 15);
}

TEST(YoloTargets, ClassOutOfRangeIsAnError) {
  auto l = make_yolo(2, {0}, {16, 16}, 4, 4);
  std::vector<float> x(l->output.size(), 0.f);
  EXPECT_THROW(dn::assign_targets(*l, x.data(), {{2, Box{.5f, .5f, .2f, .2f}}}, kNet, kNet), dn::Error);
}

// Zero logits: every prediction sits at its cell's centre with its anchor's size. The truth is
// 20x20 at the centre of cell (1, 2): anchor 0 (20x20) is responsible, anchor 1 (24x24) has IoU
// 400/576 = .694 with it, anchor 2 (60x60) 400/3600 = .111.
struct IgnoreCase {
  std::unique_ptr<YoloLayer> l = make_yolo(2, {0, 1, 2}, {20, 20, 24, 24, 60, 60}, 4, 4);
  std::vector<float> x = std::vector<float>(l->output.size(), 0.f);
  std::vector<Truth> truths = {{1, Box{1.5f / 4, 2.5f / 4, 20.f / kNet, 20.f / kNet}}};
  YoloTargets assign() { return dn::assign_targets(*l, x.data(), truths, kNet, kNet); }
};

TEST(YoloTargets, IgnoreThreshold) {
  IgnoreCase c;
  YoloTargets t = c.assign();
  const int s0 = slot(*c.l, 0, 1, 2), s1 = slot(*c.l, 1, 1, 2), s2 = slot(*c.l, 2, 1, 2);
  EXPECT_NEAR(t.best_iou[s0], 1.f, 1e-6);
  EXPECT_NEAR(t.best_iou[s1], 400.f / 576.f, 1e-5);
  EXPECT_NEAR(t.best_iou[s2], 400.f / 3600.f, 1e-5);
  EXPECT_EQ(t.obj_target[s0], 1.f);  // responsible: counted although its IoU is above the threshold
  EXPECT_EQ(t.obj_weight[s0], 1.f);
  EXPECT_EQ(t.obj_target[s1], 0.f);  // ignored: no objectness loss
  EXPECT_EQ(t.obj_weight[s1], 0.f);
  EXPECT_EQ(t.obj_weight[s2], 1.f);  // a negative
  int ignored = 0;
  for (float w : t.obj_weight) ignored += w == 0.f;
  EXPECT_EQ(ignored, 1);

  c.l->ignore_thresh = .7f;
  t = c.assign();
  EXPECT_EQ(t.obj_weight[s1], 1.f);
  EXPECT_EQ(t.obj_target[s1], 0.f);

  // The ignored prediction gets no objectness gradient, the others p - t.
  c.l->ignore_thresh = .5f;
  t = c.assign();
  std::vector<float> g(c.x.size(), 0.f);
  dn::yolo_objectness_term(*c.l, c.x.data(), t, g.data());
  EXPECT_EQ(g[c.l->entry_index(0, 1, 4, 9)], 0.f);
  EXPECT_FLOAT_EQ(g[c.l->entry_index(0, 2, 4, 9)], .5f);
  EXPECT_FLOAT_EQ(g[c.l->entry_index(0, 0, 4, 9)], -.5f);
}

TEST(YoloTargets, TruthThresholdMakesExtraPositives) {
  IgnoreCase c;
  c.l->truth_thresh = .6f;
  YoloTargets t = c.assign();
  const int s1 = slot(*c.l, 1, 1, 2);
  EXPECT_EQ(t.obj_target[s1], 1.f);
  EXPECT_EQ(t.obj_weight[s1], 1.f);
  ASSERT_GE(t.positive_of[s1], 0);
  EXPECT_EQ(t.positives[t.positive_of[s1]].labels, std::vector<int>{1});
  EXPECT_EQ(t.positives[t.positive_of[s1]].box_truth, 0);
  EXPECT_EQ(t.positives.size(), 2u);
  EXPECT_EQ(t.assigned.size(), 1u);  // statistics count responsible truths only
}

TEST(YoloTargets, TwoTruthsOnOneAnchorAreMultiLabel) {
  IgnoreCase c;
  c.truths.push_back({0, Box{1.4f / 4, 2.6f / 4, 21.f / kNet, 19.f / kNet}});  // same cell, same anchor
  YoloTargets t = c.assign();
  ASSERT_EQ(t.positives.size(), 1u);
  const dn::YoloPositive& p = t.positives[0];
  EXPECT_EQ(p.labels, (std::vector<int>{1, 0}));
  EXPECT_EQ(p.box_truth, 1);  // the later truth's box, as Darknet
  ASSERT_EQ(t.assigned.size(), 2u);
  EXPECT_EQ(t.assigned[0].loc, t.assigned[1].loc);

  // Both classes have target 1 (bce gradient p - 1 = -.5 at logit 0).
  std::vector<float> g(c.x.size(), 0.f);
  dn::yolo_class_term(*c.l, c.x.data(), t, g.data());
  EXPECT_FLOAT_EQ(g[c.l->entry_index(0, 0, 5, 9)], -.5f);
  EXPECT_FLOAT_EQ(g[c.l->entry_index(0, 0, 6, 9)], -.5f);
}

// The CUDA kernels assign targets one prediction at a time (layers/yolo_assign.hpp's
// yolo_responsible_cells, yolo_slot_targets, yolo_slot_new_label, yolo_slot_has_label): evaluated
// here on the host, they must give assign_targets' targets, box truths, labels in order, and
// responsible pairs, class multipliers, on random logits and truths, with and without iou_thresh
// and truth_thresh.
TEST(YoloTargets, TheKernelsPerSlotAssignmentIsAssignTargets) {
  struct Setting {
    float ignore, truth, iou;
  };
  int step1_seen = 0, extra_anchor_seen = 0, multi_label_seen = 0, ignored_seen = 0;
  for (const Setting st : {Setting{.7f, 1.f, 1.f}, Setting{.3f, .35f, 1.f}, Setting{.5f, 1.f, .2f},
                           Setting{.2f, .3f, .15f}})
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      auto l = make_yolo(3, {0, 1}, {10, 14, 23, 27, 37, 58}, 4, 4);
      l->ignore_thresh = st.ignore;
      l->truth_thresh = st.truth;
      l->iou_thresh = st.iou;
      dn::Rng rng(seed);
      std::vector<float> x(l->in.size());
      for (float& v : x) v = rng.normal();
      std::vector<Truth> truths;
      for (int k = 0; k < 7; ++k)
        truths.push_back({static_cast<int>(rng.uniform() * 3) % 3,
                          Box{rng.uniform(.05f, .95f), rng.uniform(.05f, .95f), rng.uniform(.1f, .8f),
                              rng.uniform(.1f, .8f)}});
      truths.push_back({1, Box{truths[0].box.x, truths[0].box.y, truths[0].box.w, truths[0].box.h}});  // a twin
      truths.push_back({2, Box{.5f, .5f, 0.f, .3f}});  // unusable
      const YoloTargets t = dn::assign_targets(*l, x.data(), truths, kNet, kNet);

      std::vector<dn::YoloTruth> yt;
      for (const Truth& tr : truths) yt.push_back({tr.cls, tr.box.x, tr.box.y, tr.box.w, tr.box.h});
      const int num = l->mask_size(), hw = l->out.w * l->out.h, count = static_cast<int>(yt.size());
      l->class_multipliers = {1.f, rng.uniform(1.f, 4.f), rng.uniform(1.f, 4.f)};
      const dn::YoloGeometry g{.batch = 1, .num = num, .classes = l->classes, .w = l->out.w, .h = l->out.h,
                               .net_w = kNet, .net_h = kNet, .mask = l->mask.data(), .anchors = l->anchors.data(),
                               .total_anchors = static_cast<int>(l->anchors.size() / 2), .softmax_classes = false,
                               .ignore_thresh = l->ignore_thresh, .truth_thresh = l->truth_thresh,
                               .iou_thresh = l->iou_thresh, .iou_normalizer = 1, .obj_normalizer = 1,
                               .cls_normalizer = 1, .label_smooth_eps = 0, .decoding = {},
                               .iou_loss = dn::YoloBoxLoss::mse, .max_delta = 1,
                               .class_multipliers = l->class_multipliers.data()};
      std::vector<int> cells(static_cast<size_t>(count) * num);
      for (int k = 0; k < count; ++k) dn::yolo_responsible_cells(g, yt[k], cells.data() + static_cast<size_t>(k) * num);
      size_t pairs = 0;
      for (int c : cells) pairs += c >= 0;
      ASSERT_EQ(pairs, t.assigned.size());
      for (const dn::YoloAssignment& a : t.assigned) EXPECT_EQ(cells[static_cast<size_t>(a.truth) * num + a.n], a.loc);
      for (int k = 0; k < count; ++k)  // a truth with two responsible anchors (iou_thresh)
        extra_anchor_seen += cells[static_cast<size_t>(k) * num] >= 0 && cells[static_cast<size_t>(k) * num + 1] >= 0;

      for (int n = 0; n < num; ++n)
        for (int loc = 0; loc < hw; ++loc) {
          const int s = n * hw + loc;
          const Box pred = dn::yolo_predicted_box(*l, x.data(), n, loc, kNet, kNet);
          const dn::YoloSlotTargets r = dn::yolo_slot_targets(g, pred, yt.data(), count, cells.data(), n, loc);
          SCOPED_TRACE("seed " + std::to_string(seed) + " slot " + std::to_string(s));
          EXPECT_EQ(r.obj_target, t.obj_target[s]);
          EXPECT_EQ(r.obj_weight, t.obj_weight[s]);
          ignored_seen += r.obj_weight == 0;
          const int p = t.positive_of[s];
          if (p < 0) {
            EXPECT_EQ(r.box_truth, -1);
            continue;
          }
          EXPECT_EQ(r.box_truth, t.positives[p].box_truth);
          step1_seen += r.step1 >= 0;
          std::vector<int> labels;
          if (r.step1 >= 0) labels.push_back(yt[r.step1].cls);
          for (int k = 0; k < count; ++k)
            if (dn::yolo_slot_new_label(yt.data(), cells.data(), num, n, loc, r, k)) labels.push_back(yt[k].cls);
          EXPECT_EQ(labels, t.positives[p].labels);
          multi_label_seen += labels.size() > 1;
          for (int c = 0; c < l->classes; ++c)
            EXPECT_EQ(dn::yolo_slot_has_label(yt.data(), count, cells.data(), num, n, loc, r, c),
                      std::count(labels.begin(), labels.end(), c) == 1);
          EXPECT_EQ(dn::yolo_slot_multiplier(g, yt.data(), count, cells.data(), n, loc, r),
                    dn::yolo_positive_weight(*l, t.positives[p]));
        }
    }
  // The cases reached every branch.
  EXPECT_GT(step1_seen, 0);
  EXPECT_GT(extra_anchor_seen, 0);
  EXPECT_GT(multi_label_seen, 0);
  EXPECT_GT(ignored_seen, 0);
}

// ---- a random tiny case for the gradient checks --------------------------------------------------

// Grid 4 x 3 over a 64 x 48 input, 3 classes, mask {1, 2} of 3 anchors. Truths: two sharing anchor
// 1 at cell (1, 1) (multi-label), one for anchor 2 at cell (3, 0), one for anchor 0 (another
// layer's), and batch 2 with a second image.
struct TinyCase {
  static constexpr int W = 64, H = 48;
  std::unique_ptr<YoloLayer> l;
  std::vector<float> x;
  std::vector<std::vector<Truth>> truths;

  explicit TinyCase(int batch = 1, uint64_t seed = 25) {
    l = make_yolo(3, {1, 2}, {10, 14, 23, 27, 37, 58}, 4, 3, batch);
    l->index = 5;
    dn::Rng rng(seed);
    x.resize(l->output.size());
    for (int b = 0; b < batch; ++b)
      for (int n = 0; n < l->mask_size(); ++n)
        for (int e = 0; e < 5 + l->classes; ++e)
          for (int loc = 0; loc < 12; ++loc) {
            float v = e < 2 ? rng.uniform(-1.5f, 1.5f) : e < 4 ? rng.uniform(-.7f, .7f) : rng.uniform(-3.f, 3.f);
            x[l->entry_index(b, n, e, loc)] = v;
          }
    truths.push_back({{0, Box{.40f, .55f, 23.f / W, 27.f / H}},
                      {2, Box{.42f, .60f, 24.f / W, 26.f / H}},
                      {1, Box{.80f, .20f, 36.f / W, 60.f / H}},
                      {1, Box{.10f, .90f, 9.f / W, 13.f / H}}});
    if (batch > 1) truths.push_back({{2, Box{.6f, .5f, 30.f / W, 40.f / H}}});
  }
  const float* image(int b) const { return x.data() + b * l->out.size(); }
  YoloTargets assign(int b = 0) const { return dn::assign_targets(*l, image(b), truths[b], W, H); }
};

using Term = double (*)(const YoloLayer&, const float*, const YoloTargets&, const std::vector<Truth>&, float*);

double box_term(const YoloLayer& l, const float* x, const YoloTargets& t, const std::vector<Truth>& tr, float* g) {
  return dn::yolo_box_term(l, x, t, tr, TinyCase::W, TinyCase::H, g);
}
double obj_term(const YoloLayer& l, const float* x, const YoloTargets& t, const std::vector<Truth>&, float* g) {
  return dn::yolo_objectness_term(l, x, t, g);
}
double cls_term(const YoloLayer& l, const float* x, const YoloTargets& t, const std::vector<Truth>&, float* g) {
  return dn::yolo_class_term(l, x, t, g);
}

// Checks a term against finite differences with the targets of the starting point held fixed.
void check_term(const TinyCase& c, Term term, const std::string& what) {
  const YoloTargets t = c.assign();
  std::vector<float> x0(c.image(0), c.image(0) + c.l->out.size());
  std::vector<float> grad(x0.size(), 0.f), scratch(x0.size());
  const double loss = term(*c.l, x0.data(), t, c.truths[0], grad.data());
  EXPECT_GT(loss, 0) << what;
  int nonzero = 0;
  for (float g : grad) nonzero += g != 0.f;
  EXPECT_GT(nonzero, 0) << what;
  auto f = [&](std::span<const float> x) {
    std::fill(scratch.begin(), scratch.end(), 0.f);
    return term(*c.l, x.data(), t, c.truths[0], scratch.data());
  };
  auto r = dn::testing::check_gradient(f, x0, grad);
  EXPECT_LT(r.max_error, 2e-3) << what << " at " << r.worst_index << ": numeric " << r.numeric << ", analytic "
                               << r.analytic;
}

TEST(YoloTerms, TinyCaseHasWhatTheChecksNeed) {
  TinyCase c;
  YoloTargets t = c.assign();
  ASSERT_EQ(t.assigned.size(), 3u);  // truth 3 belongs to anchor 0, not in the mask
  ASSERT_EQ(t.positives.size(), 2u);
  EXPECT_EQ(t.positives[0].labels, (std::vector<int>{0, 2}));
  int ignored = 0;
  for (size_t s = 0; s < t.best_iou.size(); ++s) {
    ignored += t.obj_weight[s] == 0.f;
    // Away from the ignore boundary, so that finite differences do not cross it.
    EXPECT_GT(std::fabs(t.best_iou[s] - c.l->ignore_thresh), .02f) << s;
  }
  EXPECT_GE(ignored, 1);  // the checks cover ignored predictions too
}

TEST(YoloTerms, BoxGradientMatchesFiniteDifferences) {
  TinyCase c;
  check_term(c, box_term, "box");
  c.l->iou_normalizer = .3f;
  check_term(c, box_term, "box, iou_normalizer .3");
}

TEST(YoloTerms, BoxTermByHand) {
  // One truth at cell (1, 1) of a 4x4 grid, 16x16 anchor; logits tx = ty = 0, tw = ln 1.5, th = 0.
  auto l = make_yolo(1, {0}, {16, 16}, 4, 4);
  std::vector<float> x(l->output.size(), 0.f), g(x.size(), 0.f);
  set(x, *l, 0, 0, 1, 1, 0.3f);
  set(x, *l, 0, 2, 1, 1, std::log(1.5f));
  const std::vector<Truth> truths = {{0, Box{.375f, .375f, .25f, .25f}}};
  YoloTargets t = dn::assign_targets(*l, x.data(), truths, kNet, kNet);
  const double s = 2 - .25 * .25;
  const double dx = sigmoid(.3) - .5, dw = std::log(1.5);
  EXPECT_NEAR(dn::yolo_box_term(*l, x.data(), t, truths, kNet, kNet, g.data()), .5 * s * (dx * dx + dw * dw), 1e-6);
  EXPECT_NEAR(g[l->entry_index(0, 0, 0, 5)], s * dx * sigmoid(.3) * (1 - sigmoid(.3)), 1e-6);
  EXPECT_NEAR(g[l->entry_index(0, 0, 1, 5)], 0, 1e-7);
  EXPECT_NEAR(g[l->entry_index(0, 0, 2, 5)], s * dw, 1e-6);
  EXPECT_NEAR(g[l->entry_index(0, 0, 3, 5)], 0, 1e-7);
}

struct LossCase {
  std::string obj, cls;
  dn::LossParams params;
};

std::vector<LossCase> loss_cases() {
  std::vector<LossCase> v;
  for (std::string name : {"bce", "balanced", "focal", "focal_star", "poly1", "mfocal"})
    v.push_back({name, name, dn::default_loss_params(name)});
  dn::LossParams p = dn::default_loss_params("mfocal");
  p.floor_pos = .25f;
  p.gamma = 1.5f;
  v.push_back({"mfocal", "focal", p});
  v.push_back({"bce", "softmax_focal", dn::default_loss_params("softmax_focal")});
  p = dn::default_loss_params("softmax_focal");
  p.gamma = 0.5f;
  p.alpha = .5f;
  v.push_back({"focal", "softmax_focal", p});
  return v;
}

TEST(YoloTerms, ObjectnessAndClassGradientsMatchFiniteDifferences) {
  for (const LossCase& lc : loss_cases()) {
    TinyCase c;
    c.l->set_losses(lc.obj, lc.params, lc.cls, lc.params);
    const std::string what = "obj=" + lc.obj + " cls=" + lc.cls;
    check_term(c, obj_term, "objectness, " + what);
    check_term(c, cls_term, "class, " + what);
    c.l->obj_normalizer = 2.5f;
    c.l->cls_normalizer = .4f;
    check_term(c, obj_term, "objectness (normalizer 2.5), " + what);
    check_term(c, cls_term, "class (normalizer .4), " + what);
  }
  TinyCase c;
  c.l->label_smooth_eps = .1f;
  check_term(c, cls_term, "class, bce, label_smooth_eps .1");
}

// The whole layer: forward (assignment included) + backward against finite differences of the
// mini-batch loss, batch 2, with a gradient arriving from later layers too.
TEST(YoloLayerTraining, WholeLayerGradientMatchesFiniteDifferences) {
  for (const LossCase& lc : loss_cases()) {
    TinyCase c(2);
    c.l->set_losses(lc.obj, lc.params, lc.cls, lc.params);
    c.l->set_training(true);
    for (int b = 0; b < 2; ++b) {
      YoloTargets t = c.assign(b);
      for (float iou : t.best_iou) ASSERT_GT(std::fabs(iou - c.l->ignore_thresh), .02f);
    }
    dn::RunContext ctx;
    ctx.train = true;
    ctx.net_w = TinyCase::W;
    ctx.net_h = TinyCase::H;
    ctx.truths = &c.truths;
    // A fixed downstream gradient g on the output adds sum(g * output) to the objective.
    std::vector<float> down(c.x.size());
    dn::Rng rng(3);
    for (float& v : down) v = rng.uniform(-.5f, .5f);
    auto objective = [&](std::span<const float> x) {
      c.l->forward(ctx, x.data());
      double s = c.l->stats.total_loss();
      for (size_t i = 0; i < down.size(); ++i) s += static_cast<double>(down[i]) * c.l->output[i];
      return s;
    };
    objective(c.x);  // forward at the starting point, for backward
    EXPECT_GT(c.l->stats.count, 0);
    std::vector<float> grad(c.x.size(), 0.f);
    c.l->delta = down;
    c.l->backward(ctx, c.x.data(), grad.data());
    // The objective adds float outputs: judge gradients below 1e-2 absolutely (to ~2e-5), as the
    // rounding of the outputs makes their finite differences noisy at that level.
    auto r = dn::testing::check_gradient(objective, c.x, grad, 1e-3, 1e-2);
    EXPECT_LT(r.max_error, 2e-3) << "obj=" << lc.obj << " cls=" << lc.cls << " at " << r.worst_index << ": numeric "
                                 << r.numeric << ", analytic " << r.analytic;
  }
}

TEST(YoloLayerTraining, LossIsTheSumOverTheMiniBatch) {
  TinyCase c(2);
  const double both = c.l->compute_loss(c.x.data(), c.truths, TinyCase::W, TinyCase::H);
  const std::vector<float> grad_both = c.l->loss_delta;
  const int count_both = c.l->stats.count;
  double parts = 0;
  int count_parts = 0;
  for (int b = 0; b < 2; ++b) {
    auto one = make_yolo(3, {1, 2}, {10, 14, 23, 27, 37, 58}, 4, 3, 1);
    std::vector<float> x(c.image(b), c.image(b) + one->out.size());
    parts += one->compute_loss(x.data(), {c.truths[b]}, TinyCase::W, TinyCase::H);
    count_parts += one->stats.count;
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(one->loss_delta[i], grad_both[b * one->out.size() + i]);
  }
  EXPECT_NEAR(both, parts, 1e-9 * std::fabs(parts));
  EXPECT_EQ(count_both, count_parts);
  EXPECT_EQ(count_both, 4);
}

// ---- the pluggable losses -------------------------------------------------------------------

// The gradient of every objectness logit, and of every class logit of the positives, as the loss
// interface gives it for the targets of the assignment.
struct Expected {
  std::vector<float> grad;  // output's shape; NaN where not checked
};

Expected expected_obj_cls(const YoloLayer& l, const float* x, const YoloTargets& t, const dn::Loss& obj,
                          const dn::Loss* cls, const dn::SoftmaxLoss* cls_softmax) {
  const int hw = l.out.w * l.out.h, C = l.classes;
  Expected e;
  e.grad.assign(l.out.size(), 0.f);
  for (int n = 0; n < l.mask_size(); ++n)
    for (int loc = 0; loc < hw; ++loc) {
      const int s = n * hw + loc;
      float logit = x[l.entry_index(0, n, 4, loc)], g;
      obj.compute(&logit, &t.obj_target[s], &t.obj_weight[s], 1, &g);
      e.grad[l.entry_index(0, n, 4, loc)] = g;
    }
  for (const dn::YoloPositive& p : t.positives) {
    std::vector<float> z(C), y(C, 0.f), g(C);
    for (int k = 0; k < C; ++k) z[k] = x[l.entry_index(0, p.n, 5 + k, p.loc)];
    if (cls) {
      for (int k : p.labels) y[k] = 1;
      cls->compute(z.data(), y.data(), nullptr, C, g.data());
      for (int k = 0; k < C; ++k) e.grad[l.entry_index(0, p.n, 5 + k, p.loc)] += g[k];
    } else if (cls_softmax) {
      for (int k : p.labels) {
        cls_softmax->compute(z.data(), C, k, 1.f / p.labels.size(), g.data());
        for (int j = 0; j < C; ++j) e.grad[l.entry_index(0, p.n, 5 + j, p.loc)] += g[j];
      }
    }
  }
  return e;
}

TEST(YoloLosses, FocalChangesObjectnessAndClassesOnly) {
  TinyCase bce, focal;
  const dn::LossParams fp = dn::default_loss_params("focal");
  focal.l->set_losses("focal", fp, "focal", fp);
  bce.l->compute_loss(bce.x.data(), bce.truths, TinyCase::W, TinyCase::H);
  focal.l->compute_loss(focal.x.data(), focal.truths, TinyCase::W, TinyCase::H);
  const YoloLayer& l = *focal.l;
  const int hw = 12;
  for (int n = 0; n < l.mask_size(); ++n)
    for (int e = 0; e < 4; ++e)
      for (int loc = 0; loc < hw; ++loc) {
        const size_t i = l.entry_index(0, n, e, loc);
        EXPECT_EQ(focal.l->loss_delta[i], bce.l->loss_delta[i]) << "box entry " << e;
      }
  EXPECT_EQ(focal.l->stats.box_loss, bce.l->stats.box_loss);

  const YoloTargets t = focal.assign();
  auto loss = dn::make_loss("focal", fp);
  Expected ex = expected_obj_cls(l, focal.x.data(), t, *loss, loss.get(), nullptr);
  for (int n = 0; n < l.mask_size(); ++n)
    for (int e = 4; e < 5 + l.classes; ++e)
      for (int loc = 0; loc < hw; ++loc) {
        const size_t i = l.entry_index(0, n, e, loc);
        EXPECT_NEAR(focal.l->loss_delta[i], ex.grad[i], 1e-7) << "entry " << e << " n " << n << " loc " << loc;
      }
  // And it is not the bce gradient.
  double diff = 0;
  for (size_t i = 0; i < ex.grad.size(); ++i) diff += std::fabs(focal.l->loss_delta[i] - bce.l->loss_delta[i]);
  EXPECT_GT(diff, .1);
  EXPECT_NE(focal.l->stats.obj_loss, bce.l->stats.obj_loss);
}

TEST(YoloLosses, DefaultIsBceWithGradientPMinusTarget) {
  TinyCase c;
  EXPECT_EQ(c.l->objectness_loss().name(), "bce");
  ASSERT_NE(c.l->class_loss(), nullptr);
  EXPECT_EQ(c.l->class_loss()->name(), "bce");
  c.l->compute_loss(c.x.data(), c.truths, TinyCase::W, TinyCase::H);
  const YoloLayer& l = *c.l;
  const YoloTargets t = c.assign();
  const int hw = 12;
  double obj_loss = 0, cls_loss = 0;
  for (int n = 0; n < l.mask_size(); ++n)
    for (int loc = 0; loc < hw; ++loc) {
      const int s = n * hw + loc;
      const size_t i = l.entry_index(0, n, 4, loc);
      const double p = sigmoid(c.x[i]), y = t.obj_target[s];
      EXPECT_NEAR(l.loss_delta[i], t.obj_weight[s] * (p - y), 1e-7);
      if (t.obj_weight[s] > 0) obj_loss -= y > 0 ? std::log(p) : std::log(1 - p);
      const int pi = t.positive_of[s];
      for (int k = 0; k < l.classes; ++k) {
        const size_t ci = l.entry_index(0, n, 5 + k, loc);
        if (pi < 0) {
          EXPECT_EQ(l.loss_delta[ci], 0.f);
          continue;
        }
        const auto& labels = t.positives[pi].labels;
        const double pk = sigmoid(c.x[ci]), yk = std::find(labels.begin(), labels.end(), k) != labels.end();
        EXPECT_NEAR(l.loss_delta[ci], pk - yk, 1e-7);
        cls_loss -= yk > 0 ? std::log(pk) : std::log(1 - pk);
      }
    }
  EXPECT_NEAR(l.stats.obj_loss, obj_loss, 1e-9 * obj_loss);
  EXPECT_NEAR(l.stats.cls_loss, cls_loss, 1e-9 * cls_loss);
}

TEST(YoloLosses, NormalizersScaleTheirTerm) {
  TinyCase a, b;
  b.l->iou_normalizer = .5f;
  b.l->obj_normalizer = 2.f;
  b.l->cls_normalizer = 3.f;
  a.l->compute_loss(a.x.data(), a.truths, TinyCase::W, TinyCase::H);
  b.l->compute_loss(b.x.data(), b.truths, TinyCase::W, TinyCase::H);
  EXPECT_NEAR(b.l->stats.box_loss, .5 * a.l->stats.box_loss, 1e-6);
  EXPECT_NEAR(b.l->stats.obj_loss, 2 * a.l->stats.obj_loss, 1e-6);
  EXPECT_NEAR(b.l->stats.cls_loss, 3 * a.l->stats.cls_loss, 1e-6);
  const YoloLayer& l = *a.l;
  for (int n = 0; n < l.mask_size(); ++n)
    for (int e = 0; e < 5 + l.classes; ++e)
      for (int loc = 0; loc < 12; ++loc) {
        const size_t i = l.entry_index(0, n, e, loc);
        const float k = e < 4 ? .5f : e == 4 ? 2.f : 3.f;
        EXPECT_NEAR(b.l->loss_delta[i], k * a.l->loss_delta[i], 1e-6);
      }
}

TEST(YoloLosses, LabelSmoothingMovesClassTargets) {
  TinyCase c;
  c.l->label_smooth_eps = .2f;
  const YoloTargets t = c.assign();
  std::vector<float> g(c.x.size(), 0.f);
  dn::yolo_class_term(*c.l, c.x.data(), t, g.data());
  const dn::YoloPositive& p = t.positives[0];  // labels {0, 2}
  for (int k = 0; k < 3; ++k) {
    const size_t i = c.l->entry_index(0, p.n, 5 + k, p.loc);
    const double y = k == 1 ? .1 : .9;
    EXPECT_NEAR(g[i], sigmoid(c.x[i]) - y, 1e-7);
  }
}

TEST(YoloLosses, SoftmaxFocalOnClasses) {
  TinyCase c;
  const dn::LossParams sp = dn::default_loss_params("softmax_focal");
  c.l->set_losses("bce", dn::default_loss_params("bce"), "softmax_focal", sp);
  EXPECT_EQ(c.l->class_loss(), nullptr);
  ASSERT_NE(c.l->class_softmax_loss(), nullptr);
  c.l->compute_loss(c.x.data(), c.truths, TinyCase::W, TinyCase::H);
  const YoloTargets t = c.assign();
  auto sm = dn::make_softmax_loss("softmax_focal", sp);
  auto bce = dn::make_loss("bce", dn::default_loss_params("bce"));
  Expected ex = expected_obj_cls(*c.l, c.x.data(), t, *bce, nullptr, sm.get());
  for (int n = 0; n < 2; ++n)
    for (int e = 4; e < 8; ++e)
      for (int loc = 0; loc < 12; ++loc) {
        const size_t i = c.l->entry_index(0, n, e, loc);
        EXPECT_NEAR(c.l->loss_delta[i], ex.grad[i], 1e-7) << e;
      }
  // The class outputs are softmax probabilities; objectness stays logistic.
  dn::RunContext ctx;
  c.l->forward(ctx, c.x.data());
  for (int n = 0; n < 2; ++n)
    for (int loc = 0; loc < 12; ++loc) {
      double sum = 0;
      for (int k = 0; k < 3; ++k) sum += c.l->output[c.l->entry_index(0, n, 5 + k, loc)];
      EXPECT_NEAR(sum, 1, 1e-6);
      const size_t o = c.l->entry_index(0, n, 4, loc);
      EXPECT_NEAR(c.l->output[o], sigmoid(c.x[o]), 1e-6);
    }
  EXPECT_NE(c.l->describe().find("cls=softmax_focal(gamma=2, alpha=1)"), std::string::npos) << c.l->describe();
}

// ---- statistics -----------------------------------------------------------------------------

// 4x4 grid, anchors 16x16 and 32x32, 2 classes, all logits 0 except at the responsible slot
// (anchor 0, cell (1, 1)): tw = ln 1.5 (predicted box 24x16 px against the 16x16 truth, IoU 2/3),
// objectness ln 3 (p = .75), class 1 ln 4 (p = .8).
TEST(YoloStats, HandComputedCase) {
  auto l = make_yolo(2, {0, 1}, {16, 16, 32, 32}, 4, 4);
  l->index = 82;
  std::vector<float> x(l->output.size(), 0.f);
  set(x, *l, 0, 2, 1, 1, std::log(1.5f));
  set(x, *l, 0, 4, 1, 1, std::log(3.f));
  set(x, *l, 0, 6, 1, 1, std::log(4.f));
  const std::vector<std::vector<Truth>> truths = {{{1, Box{.375f, .375f, .25f, .25f}}}};
  const double total = l->compute_loss(x.data(), truths, kNet, kNet);
  const dn::YoloStats& s = l->stats;
  EXPECT_EQ(s.count, 1);
  EXPECT_EQ(s.anchors, 32);
  EXPECT_NEAR(s.avg_iou, 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(s.avg_class, .8, 1e-6);
  EXPECT_NEAR(s.avg_obj, .75, 1e-6);
  EXPECT_NEAR(s.avg_no_obj, (31 * .5 + .75) / 32, 1e-6);
  EXPECT_EQ(s.recall50, 1.f);
  EXPECT_EQ(s.recall75, 0.f);
  const double box = .5 * (2 - .0625) * std::log(1.5) * std::log(1.5);
  const double obj = -std::log(.75) + 31 * std::log(2.0);  // nothing else passes ignore_thresh
  const double cls = -std::log(.8) - std::log(.5);
  EXPECT_NEAR(s.box_loss, box, 1e-6);
  EXPECT_NEAR(s.obj_loss, obj, 1e-5);
  EXPECT_NEAR(s.cls_loss, cls, 1e-6);
  EXPECT_NEAR(total, box + obj + cls, 1e-5);
  EXPECT_EQ(l->loss(), s.total_loss());  // Layer::loss(), what the trainer sums
  EXPECT_NEAR(s.box_loss, 0.159264, 1e-6);
  EXPECT_NEAR(s.total_loss(), 22.85081, 1e-4);

  const std::string line = l->stats_line();
  for (const char* part : {"v3 (box=mse, obj=bce, cls=bce", "normalizer iou: 1.00, obj: 1.00, cls: 1.00",
                           "Region 82 Avg IOU: 0.666667", "Class: 0.800000", "Obj: 0.750000", "No Obj: 0.507812",
                           ".5R: 1.000000", ".75R: 0.000000", "count: 1", "box_loss = 0.159264",
                           "total_loss = 22.8508"})
    EXPECT_NE(line.find(part), std::string::npos) << part << " not in: " << line;

  // No truth in this layer: averages 0, count 0, only the objectness loss.
  l->compute_loss(x.data(), {{}}, kNet, kNet);
  EXPECT_EQ(l->stats.count, 0);
  EXPECT_EQ(l->stats.avg_iou, 0.f);
  EXPECT_EQ(l->stats.box_loss, 0);
  EXPECT_EQ(l->stats.cls_loss, 0);
  EXPECT_GT(l->stats.obj_loss, 0);
}

TEST(YoloStats, DescribeNamesTheLosses) {
  TinyCase c;
  EXPECT_NE(c.l->describe().find("box=mse, obj=bce, cls=bce"), std::string::npos) << c.l->describe();
  c.l->set_losses("focal", dn::default_loss_params("focal"), "bce", dn::default_loss_params("bce"));
  c.l->obj_normalizer = .5f;
  EXPECT_NE(c.l->describe().find("obj=focal(gamma=2, alpha=0.25), cls=bce"), std::string::npos) << c.l->describe();
  EXPECT_NE(c.l->describe().find("obj 0.5"), std::string::npos) << c.l->describe();
  c.l->compute_loss(c.x.data(), c.truths, TinyCase::W, TinyCase::H);
  EXPECT_NE(c.l->stats_line().find("obj=focal(gamma=2, alpha=0.25)"), std::string::npos);
  EXPECT_NE(c.l->stats_line().find("obj: 0.50"), std::string::npos);
}

// ---- forward / backward plumbing --------------------------------------------------------------

TEST(YoloLayerTraining, ForwardFillsLossDeltaOnlyInTraining) {
  TinyCase c;
  c.l->set_training(true);
  dn::RunContext ctx;
  ctx.net_w = TinyCase::W;
  ctx.net_h = TinyCase::H;
  ctx.truths = &c.truths;
  c.l->forward(ctx, c.x.data());
  EXPECT_TRUE(c.l->loss_delta.empty());
  ctx.train = true;
  c.l->forward(ctx, c.x.data());
  ASSERT_EQ(c.l->loss_delta.size(), c.x.size());
  std::vector<float> in_delta(c.x.size(), 1.f);
  std::fill(c.l->delta.begin(), c.l->delta.end(), 0.f);
  c.l->backward(ctx, c.x.data(), in_delta.data());
  for (size_t i = 0; i < in_delta.size(); ++i) EXPECT_FLOAT_EQ(in_delta[i], 1.f + c.l->loss_delta[i]);
  std::vector<std::vector<Truth>> wrong(2);
  ctx.truths = &wrong;
  EXPECT_THROW(c.l->forward(ctx, c.x.data()), dn::Error);
}

TEST(YoloLayerTraining, BiasPrior) {
  auto l = make_yolo(2, {0, 1}, {16, 16, 32, 32}, 4, 4);
  dn::ConvolutionalLayer conv(14, 1, 1, 0, 1, false, dn::Activation::Linear);
  conv.resize(1, dn::Shape{8, 4, 4});
  std::fill(conv.biases.begin(), conv.biases.end(), .5f);
  EXPECT_FALSE(l->apply_bias_prior(conv));  // unset
  EXPECT_EQ(conv.biases[4], .5f);
  l->bias_prior = .01f;
  EXPECT_TRUE(l->apply_bias_prior(conv));
  const float b = -std::log(99.f);
  for (int n = 0; n < 2; ++n)
    for (int e = 0; e < 7; ++e) EXPECT_FLOAT_EQ(conv.biases[n * 7 + e], e < 4 ? .5f : b) << n << " " << e;
  // With the prior, the initial objectness is pi.
  EXPECT_NEAR(sigmoid(conv.biases[4]), .01, 1e-6);
  dn::ConvolutionalLayer wrong(12, 1, 1, 0, 1, false, dn::Activation::Linear);
  wrong.resize(1, dn::Shape{8, 4, 4});
  EXPECT_THROW(l->apply_bias_prior(wrong), dn::Error);
}

// ---- cfg keys -------------------------------------------------------------------------------

std::unique_ptr<YoloLayer> build(const std::string& keys, bool expect_all_used = true) {
  return dn::testing::build_yolo(keys, expect_all_used);
}
std::string error_of(const std::string& keys) { return dn::testing::yolo_error_of(keys); }

void expect_error(const std::string& keys, const std::string& where, const std::string& text) {
  const std::string msg = error_of(keys);
  EXPECT_EQ(msg.rfind(where, 0), 0u) << keys << " -> " << msg;
  EXPECT_NE(msg.find(text), std::string::npos) << keys << " -> " << msg;
}

TEST(YoloCfg, DefaultsAreStockYolov3) {
  auto l = build("");
  EXPECT_EQ(l->objectness_loss().describe(), "bce");
  ASSERT_NE(l->class_loss(), nullptr);
  EXPECT_EQ(l->class_loss()->describe(), "bce");
  EXPECT_EQ(l->iou_normalizer, 1.f);
  EXPECT_EQ(l->obj_normalizer, 1.f);
  EXPECT_EQ(l->cls_normalizer, 1.f);
  EXPECT_EQ(l->bias_prior, 0.f);
  EXPECT_EQ(l->label_smooth_eps, 0.f);
  EXPECT_EQ(l->ignore_thresh, .5f);
  EXPECT_EQ(l->truth_thresh, 1.f);
}

TEST(YoloCfg, LossKeys) {
  auto l = build("loss=focal\nfocal_gamma=1.5\nfocal_alpha=0.4\n");
  EXPECT_EQ(l->objectness_loss().describe(), "focal(gamma=1.5, alpha=0.4)");
  EXPECT_EQ(l->class_loss()->describe(), "focal(gamma=1.5, alpha=0.4)");

  l = build("loss=mfocal\ncls_loss=bce\nmfocal_floor_pos=0.5\n");
  EXPECT_EQ(l->objectness_loss().name(), "mfocal");
  EXPECT_NE(l->objectness_loss().describe().find("0.5"), std::string::npos) << l->objectness_loss().describe();
  EXPECT_EQ(l->class_loss()->name(), "bce");

  l = build("obj_loss=focal_star\nfocal_gamma=2\nfocal_beta=1\n");
  EXPECT_EQ(l->objectness_loss().name(), "focal_star");
  EXPECT_EQ(l->class_loss()->name(), "bce");

  l = build("cls_loss=poly1\npoly_eps=-0.5\n");
  EXPECT_EQ(l->class_loss()->name(), "poly1");

  l = build("cls_loss=softmax_focal\n");  // alpha defaults to 1 for the softmax loss
  ASSERT_NE(l->class_softmax_loss(), nullptr);
  EXPECT_EQ(l->class_softmax_loss()->describe(), "softmax_focal(gamma=2, alpha=1)");
  EXPECT_EQ(l->objectness_loss().name(), "bce");

  l = build("iou_normalizer=0.07\nobj_normalizer=1.5\ncls_normalizer=0.5\nbias_prior=0.01\n");
  EXPECT_FLOAT_EQ(l->iou_normalizer, .07f);
  EXPECT_FLOAT_EQ(l->obj_normalizer, 1.5f);
  EXPECT_FLOAT_EQ(l->cls_normalizer, .5f);
  EXPECT_FLOAT_EQ(l->bias_prior, .01f);
}

TEST(YoloCfg, AlexeyABFocalLoss) {
  auto l = build("focal_loss=1\n");
  EXPECT_EQ(l->class_loss()->describe(), "focal(gamma=2, alpha=0.25)");
  EXPECT_EQ(l->objectness_loss().describe(), "bce");
  l = build("focal_loss=1\nfocal_alpha=0.5\n");
  EXPECT_EQ(l->class_loss()->describe(), "focal(gamma=2, alpha=0.5)");
  l = build("focal_loss=0\n");
  EXPECT_EQ(l->class_loss()->describe(), "bce");
  expect_error("focal_loss=1\ncls_loss=bce\n", "t.cfg:8:", "both set the class loss");
}

TEST(YoloCfg, ErrorsNameFileAndLine) {
  expect_error("loss=nope\n", "t.cfg:8:", "unknown loss 'nope'");
  expect_error("obj_loss=bce\ncls_loss=focall\n", "t.cfg:9:", "unknown loss 'focall'");
  expect_error("loss=focal\nfocal_gamma=-1\n", "t.cfg:9:", "focal_gamma");
  expect_error("cls_loss=focal\nfocal_alpha=1.5\n", "t.cfg:9:", "focal_alpha");
  expect_error("loss=mfocal\nmfocal_floor_pos=0.5\nmfocal_floor_neg=-0.1\n", "t.cfg:10:", "mfocal_floor_neg");
  expect_error("loss=mfocal\nmfocal_floor_pos=2\n", "t.cfg:9:", "mfocal_floor_pos");
  expect_error("obj_loss=softmax_focal\n", "t.cfg:8:", "softmax");
  expect_error("loss=softmax_focal\n", "t.cfg:8:", "softmax");
  expect_error("focal_gamma=x\n", "t.cfg:8:", "bad number");
  expect_error("obj_normalizer=-1\n", "t.cfg:8:", "obj_normalizer");
  expect_error("bias_prior=1\n", "t.cfg:8:", "bias_prior");
  expect_error("label_smooth_eps=1\n", "t.cfg:8:", "label_smooth_eps");
  expect_error("scale_x_y=5\n", "t.cfg:8:", "scale_x_y");
  expect_error("iou_loss=ciuo\n", "t.cfg:8:", "unknown iou_loss 'ciuo'");
  expect_error("focal_loss=2\n", "t.cfg:8:", "focal_loss");
}

TEST(YoloCfg, KeysOfLaterForks) {
  testing::internal::CaptureStderr();
  auto l = build(
      "scale_x_y=1\niou_loss=mse\nlabel_smooth_eps=0.1\ncounters_per_class=100,200\nmax_delta=5\n"
      "random=1.4\nfocal_gamma=3\n");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FLOAT_EQ(l->label_smooth_eps, .1f);
  EXPECT_EQ(l->random, 1);
  // counters_per_class and max_delta are implemented (tests/test_layers_yolo_box.cpp): no warning.
  EXPECT_EQ(l->class_multipliers, (std::vector<float>{2.f, 1.f}));
  EXPECT_EQ(l->max_delta, 5.f);
  EXPECT_EQ(err.find("counters_per_class"), std::string::npos) << err;
  EXPECT_EQ(err.find("max_delta"), std::string::npos) << err;
  EXPECT_NE(err.find("t.cfg:14: warning: [yolo] focal_gamma has no effect"), std::string::npos) << err;
  EXPECT_EQ(err.find("scale_x_y"), std::string::npos) << err;

  testing::internal::CaptureStderr();
  l = build("cls_loss=focal\nlabel_smooth_eps=0.1\n");
  const std::string err2 = testing::internal::GetCapturedStderr();
  EXPECT_NE(err2.find("not meant for soft targets"), std::string::npos) << err2;
}

// Every [yolo] section of the real cfgs is read with no unused key and stock losses.
TEST(YoloCfg, RealCfgs) {
  for (const char* name : {"yolov3.cfg", "yolov3-tiny.cfg", "yolov3-voc.cfg", "yolov3-openimages.cfg"}) {
    dn::CfgFile cfg = dn::parse_cfg(std::string(DN_SHARED_DIR) + "/darknet-cfg/" + name);
    int yolos = 0;
    for (const dn::CfgSection& s : cfg.sections) {
      if (s.type != "yolo") continue;
      ++yolos;
      const int classes = s.get_int("classes", 0);
      const int masks = static_cast<int>(s.get_ints("mask").size());
      std::vector<std::unique_ptr<dn::Layer>> prev;
      std::vector<const dn::CfgSection*> prev_sections;
      dn::BuildInfo b;
      b.input = dn::Shape{(classes + 5) * masks, 13, 13};
      b.net_w = b.net_h = 416;
      b.previous = &prev;
      b.previous_sections = &prev_sections;
      auto layer = dn::make_layer(s, b);
      auto* y = dynamic_cast<YoloLayer*>(layer.get());
      ASSERT_NE(y, nullptr);
      EXPECT_EQ(y->objectness_loss().name(), "bce");
      EXPECT_EQ(y->class_loss()->name(), "bce");
      EXPECT_EQ(y->ignore_thresh, s.get_float("ignore_thresh", -1)) << name;
      for (const auto& o : s.options) EXPECT_TRUE(o.used) << name << ":" << o.line << " " << o.key;
    }
    EXPECT_GE(yolos, 2) << name;
  }
}

}  // namespace
