// The pluggable losses on the device against src/losses (the reference), element by element, and
// the [yolo] layer's whole loss on the device (targets, box/objectness/class terms, statistics)
// against YoloLayer::compute_loss, for every loss and the layer's options.
//
// Tolerances: both sides compute the losses in double from float logits, so values agree to
// rounding: loss sums 1e-9 relative, gradients (rounded to float) 1e-5 relative per element.
// The [yolo] layer: gradients 1e-5 of the largest |gradient|, statistics 1e-5 relative, losses
// 1e-6 relative, the count of assigned truths exactly (assignments are discrete: the device
// computes the IoUs with the CPU's float rounding; see yolo_kernels.cu).
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "cuda/gpu_loss.hpp"
#include "cuda/gpu_network.hpp"
#include "cuda/kernels.hpp"
#include "gpu/gpu_test_util.hpp"
#include "layers/yolo.hpp"
#include "losses/loss.hpp"
#include "network/network.hpp"

namespace dn {
namespace {

struct Named {
  std::string name;
  LossParams params;
};

std::vector<Named> elementwise_cases() {
  std::vector<Named> v;
  for (const std::string& n : loss_names())
    if (!is_softmax_loss(n)) v.push_back({n, default_loss_params(n)});
  LossParams p = default_loss_params("focal");
  p.gamma = 1.5f;
  p.alpha = .4f;
  v.push_back({"focal", p});
  p = default_loss_params("focal");
  p.gamma = 0;
  v.push_back({"focal", p});
  p = default_loss_params("focal_star");
  p.gamma = 3;
  p.beta = 1;
  v.push_back({"focal_star", p});
  p = default_loss_params("poly1");
  p.gamma = 3;
  p.poly_eps = -.5f;
  v.push_back({"poly1", p});
  p = default_loss_params("mfocal");
  p.floor_pos = .8f;
  p.floor_neg = .1f;
  p.gamma = 2.5f;
  v.push_back({"mfocal", p});
  p = default_loss_params("balanced");
  p.alpha = .9f;
  v.push_back({"balanced", p});
  return v;
}

TEST(LossesOnGpu, ElementwiseEqualsCpu) {
  DN_REQUIRE_GPU();
  // Logits from far negative to far positive, hard and soft targets, weights including 0.
  std::vector<float> logits, targets, weights;
  Rng rng(1);
  const float fixed[] = {-80, -30, -17.5f, -5, -1, -.1f, 0, .1f, 1, 5, 17.5f, 30, 80};
  const float ys[] = {0, 1, .3f, .85f};
  const float ws[] = {1, 0, .5f, 2};
  for (float x : fixed)
    for (float y : ys)
      for (float w : ws) {
        logits.push_back(x);
        targets.push_back(y);
        weights.push_back(w);
      }
  for (int i = 0; i < 2000; ++i) {
    logits.push_back(rng.uniform(-12, 12));
    targets.push_back(ys[rng.below(4)]);
    weights.push_back(ws[rng.below(4)]);
  }
  for (const Named& c : elementwise_cases()) {
    auto cpu = make_loss(c.name, c.params);
    SCOPED_TRACE(cpu->describe());
    for (bool with_weights : {true, false}) {
      const std::vector<float> w = with_weights ? weights : std::vector<float>{};
      std::vector<float> cpu_grad(logits.size()), gpu_grad;
      const double cpu_loss =
          cpu->compute(logits.data(), targets.data(), with_weights ? w.data() : nullptr, static_cast<int>(logits.size()),
                       cpu_grad.data());
      const double gpu_loss = cuda::loss_on_device(c.name, c.params, logits, targets, w, gpu_grad);
      EXPECT_TRUE(testing::close_to(gpu_loss, cpu_loss, 1e-9)) << "loss";
      ASSERT_EQ(gpu_grad.size(), cpu_grad.size());
      for (size_t i = 0; i < cpu_grad.size(); ++i)
        ASSERT_LE(std::fabs(gpu_grad[i] - cpu_grad[i]), 1e-5 * std::fabs(cpu_grad[i]) + 1e-37)
            << "gradient at logit " << logits[i] << ", target " << targets[i] << ": gpu " << gpu_grad[i] << ", cpu "
            << cpu_grad[i];
    }
  }
}

TEST(LossesOnGpu, SoftmaxEqualsCpu) {
  DN_REQUIRE_GPU();
  for (float gamma : {0.f, .5f, 2.f, 3.f})
    for (int classes : {1, 3, 80}) {
      LossParams p = default_loss_params("softmax_focal");
      p.gamma = gamma;
      p.alpha = gamma == 3 ? .6f : 1.f;
      auto cpu = make_softmax_loss("softmax_focal", p);
      SCOPED_TRACE(cpu->describe() + ", " + std::to_string(classes) + " classes");
      Rng rng(7 + classes);
      const int rows = 300;
      std::vector<float> logits(static_cast<size_t>(rows) * classes), weight(rows);
      std::vector<int> target(rows);
      for (int r = 0; r < rows; ++r) {
        const float spread = r % 3 == 0 ? 40.f : 6.f;  // some rows saturated
        for (int j = 0; j < classes; ++j) logits[r * classes + j] = rng.uniform(-spread, spread);
        target[r] = static_cast<int>(rng.below(classes));
        weight[r] = r % 5 == 0 ? .25f : 1.f;
      }
      std::vector<float> gpu_grad;
      const std::vector<double> gpu_loss =
          cuda::softmax_loss_on_device("softmax_focal", p, logits, classes, target, weight, gpu_grad);
      std::vector<float> g(classes);
      for (int r = 0; r < rows; ++r) {
        const double l = cpu->compute(logits.data() + r * classes, classes, target[r], weight[r], g.data());
        ASSERT_TRUE(testing::close_to(gpu_loss[r], l, 1e-9)) << "row " << r;
        for (int j = 0; j < classes; ++j)
          ASSERT_LE(std::fabs(gpu_grad[r * classes + j] - g[j]), 1e-5 * std::fabs(g[j]) + 1e-37)
              << "row " << r << " class " << j;
      }
    }
}

// ---- the [yolo] layer ---------------------------------------------------------------------------

// A [yolo] layer of 3 of 6 anchors on a 16x16 grid of a 64x64 network, 4 classes; the maxpool in
// front (size 1, stride 4) just hands the input over, so that its delta receives the loss gradient.
std::string yolo_cfg() {
  const int classes = 4;
  return "[net]\nbatch=1\nwidth=64\nheight=64\nchannels=" + std::to_string(3 * (5 + classes)) +
         "\n[maxpool]\nsize=1\nstride=4\n"
         "[yolo]\nmask=0,1,2\nanchors=4,5, 8,10, 12,9, 16,20, 24,30, 40,36\nclasses=4\nnum=6\n"
         "ignore_thresh=.5\ntruth_thresh=1\nrandom=0\n";
}

struct YoloSetup {
  std::string obj = "bce", cls = "bce";
  LossParams obj_params = default_loss_params("bce"), cls_params = default_loss_params("bce");
  float label_smooth_eps = 0, iou_n = 1, obj_n = 1, cls_n = 1, ignore = .5f, truth = 1, iou_thresh = 1;
  YoloBoxLoss iou_loss = YoloBoxLoss::mse;
  float max_delta = std::numeric_limits<float>::infinity(), scale_x_y = 1;
  std::vector<float> class_multipliers;  // counters_per_class
};

void configure(YoloLayer& y, const YoloSetup& s) {
  y.set_losses(s.obj, s.obj_params, s.cls, s.cls_params);
  y.label_smooth_eps = s.label_smooth_eps;
  y.iou_normalizer = s.iou_n;
  y.obj_normalizer = s.obj_n;
  y.cls_normalizer = s.cls_n;
  y.ignore_thresh = s.ignore;
  y.truth_thresh = s.truth;
  y.iou_thresh = s.iou_thresh;
  y.iou_loss = s.iou_loss;
  y.max_delta = s.max_delta;
  y.class_multipliers = s.class_multipliers;
  YoloDecoding d;
  d.scale_x_y = s.scale_x_y;
  y.set_decoding(d);
}

// Three images: several boxes, two truths of different classes on the same cell and shape
// (multi-label), one of another layer's anchors, unusable ones (w = 0, NaN), and an image without
// truths.
std::vector<std::vector<Truth>> yolo_truths() {
  Rng rng(9);
  std::vector<std::vector<Truth>> t(3);
  for (int k = 0; k < 7; ++k) {
    const float w = rng.uniform(.04f, .3f), h = rng.uniform(.04f, .3f);
    t[0].push_back({static_cast<int>(rng.below(4)), {rng.uniform(.1f, .9f), rng.uniform(.1f, .9f), w, h}});
  }
  t[0].push_back({1, {.40f, .40f, .10f, .12f}});
  t[0].push_back({3, {.41f, .405f, .10f, .12f}});  // same cell and best anchor: labels {1, 3}
  t[0].push_back({2, {.7f, .2f, .6f, .55f}});      // large: a 24/40 anchor, not this layer's
  t[0].push_back({0, {.5f, .5f, 0.f, .1f}});       // unusable
  t[0].push_back({0, {NAN, .5f, .1f, .1f}});       // unusable
  for (int k = 0; k < 12; ++k) {
    const float w = rng.uniform(.03f, .2f), h = rng.uniform(.03f, .2f);
    t[2].push_back({static_cast<int>(rng.below(4)), {rng.uniform(.05f, .95f), rng.uniform(.05f, .95f), w, h}});
  }
  return t;
}

void compare_yolo(const YoloSetup& s, const std::string& what) {
  SCOPED_TRACE(what);
  auto cpu = build_network(parse_cfg_text(yolo_cfg(), "yolo.cfg"), 3);
  auto host = build_network(parse_cfg_text(yolo_cfg(), "yolo.cfg"), 3);  // receives the GPU's stats
  auto& cy = static_cast<YoloLayer&>(*cpu->layers[1]);
  auto& gy = static_cast<YoloLayer&>(*host->layers[1]);
  configure(cy, s);
  configure(gy, s);
  cuda::GpuOptions o;
  o.batch = 3;
  cuda::GpuNetwork gpu(*host, o);

  // Logits: box offsets and scores spread, sizes near the anchors, so that predictions overlap
  // truths at every IoU (ignored ones, truth_thresh positives).
  Rng rng(4);
  std::vector<float> x(3 * cpu->input_size());
  const int hw = 64 * 64;
  for (size_t i = 0; i < x.size(); ++i) {
    const int entry = static_cast<int>((i / hw) % 9);
    x[i] = entry == 2 || entry == 3 ? .6f * rng.normal() : 1.5f * rng.normal();
  }
  const auto truths = yolo_truths();
  cpu->forward_backward(x.data(), truths);
  gpu.forward_training(x.data(), &truths);
  std::vector<float> dx;
  gpu.backward(&dx);

  EXPECT_TRUE(testing::close_to(gpu.output(1), cy.output, 1e-6)) << "yolo output";
  EXPECT_TRUE(testing::close_to(gpu.delta(0), cpu->layers[0]->delta, 1e-5)) << "dLoss/dlogits";
  const YoloStats& a = gy.stats;
  const YoloStats& b = cy.stats;
  EXPECT_GT(b.count, 5);
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.anchors, b.anchors);
  EXPECT_TRUE(testing::close_to(a.avg_iou, b.avg_iou, 1e-5)) << "avg IoU";
  EXPECT_TRUE(testing::close_to(a.avg_class, b.avg_class, 1e-5)) << "avg class";
  EXPECT_TRUE(testing::close_to(a.avg_obj, b.avg_obj, 1e-5)) << "avg obj";
  EXPECT_TRUE(testing::close_to(a.avg_no_obj, b.avg_no_obj, 1e-5)) << "avg no obj";
  EXPECT_TRUE(testing::close_to(a.recall50, b.recall50, 1e-6)) << ".5R";
  EXPECT_TRUE(testing::close_to(a.recall75, b.recall75, 1e-6)) << ".75R";
  EXPECT_TRUE(testing::close_to(a.box_loss, b.box_loss, 1e-6)) << "box loss";
  EXPECT_TRUE(testing::close_to(a.obj_loss, b.obj_loss, 1e-6)) << "objectness loss";
  EXPECT_TRUE(testing::close_to(a.cls_loss, b.cls_loss, 1e-6)) << "class loss";
}

TEST(YoloOnGpu, StockBce) {
  DN_REQUIRE_GPU();
  compare_yolo({}, "bce");
}

TEST(YoloOnGpu, EveryElementwiseLoss) {
  DN_REQUIRE_GPU();
  for (const Named& c : elementwise_cases()) {
    YoloSetup s;
    s.obj = s.cls = c.name;
    s.obj_params = s.cls_params = c.params;
    compare_yolo(s, make_loss(c.name, c.params)->describe());
  }
}

TEST(YoloOnGpu, SoftmaxClasses) {
  DN_REQUIRE_GPU();
  for (float gamma : {2.f, .5f}) {
    YoloSetup s;
    s.cls = "softmax_focal";
    s.cls_params = default_loss_params("softmax_focal");
    s.cls_params.gamma = gamma;
    compare_yolo(s, "softmax_focal gamma " + std::to_string(gamma));
  }
}

TEST(YoloOnGpu, NormalizersSmoothingAndThresholds) {
  DN_REQUIRE_GPU();
  YoloSetup s;
  s.label_smooth_eps = .1f;
  s.iou_n = .5f;
  s.obj_n = 2.f;
  s.cls_n = .7f;
  compare_yolo(s, "normalizers and label smoothing");
  YoloSetup t;
  t.ignore = .4f;
  t.truth = .6f;  // truth_thresh positives
  t.obj = t.cls = "focal";
  t.obj_params = t.cls_params = default_loss_params("focal");
  compare_yolo(t, "ignore .4, truth_thresh .6");
  YoloSetup u;
  u.iou_thresh = .2f;  // several responsible anchors per truth (AlexeyAB)
  u.truth = .7f;
  u.cls = "softmax_focal";
  u.cls_params = default_loss_params("softmax_focal");
  compare_yolo(u, "iou_thresh .2, truth_thresh .7, softmax classes");
}

// AlexeyAB's training keys: IoU-type box losses with the max_delta clip, counters_per_class
// multipliers, scale_x_y decoding.
TEST(YoloOnGpu, IouLossesMaxDeltaMultipliersAndScaleXY) {
  DN_REQUIRE_GPU();
  for (YoloBoxLoss k : {YoloBoxLoss::iou, YoloBoxLoss::giou, YoloBoxLoss::diou, YoloBoxLoss::ciou}) {
    YoloSetup s;
    s.iou_loss = k;
    s.iou_n = .07f;
    s.max_delta = k == YoloBoxLoss::ciou ? .01f : 5.f;  // ciou: small enough to clip
    compare_yolo(s, std::string("iou_loss=") + yolo_box_loss_name(k));
  }
  YoloSetup m;
  m.class_multipliers = {1.f, 3.5f, 2.f, 7.f};
  m.obj = m.cls = "focal";
  m.obj_params = m.cls_params = default_loss_params("focal");
  compare_yolo(m, "counters_per_class multipliers, focal");
  YoloSetup x;
  x.scale_x_y = 1.2f;
  x.iou_thresh = .25f;
  compare_yolo(x, "scale_x_y 1.2, iou_thresh .25");
  x.iou_loss = YoloBoxLoss::ciou;
  compare_yolo(x, "scale_x_y 1.2, ciou");
}

// Detection outputs with AlexeyAB's decodings: scale_x_y, new_coords (no logistic), softmax classes.
TEST(YoloOnGpu, OutputsWithScaleXYAndNewCoords) {
  DN_REQUIRE_GPU();
  for (const std::string keys : {"scale_x_y=1.2\n", "new_coords=1\nscale_x_y=2\n", "cls_loss=softmax_focal\n"}) {
    SCOPED_TRACE(keys);
    auto net = build_network(parse_cfg_text(yolo_cfg() + keys, "yolo.cfg"), 3);
    Rng rng(5);
    std::vector<float> x(3 * net->input_size());
    for (float& v : x) v = rng.uniform(-.5f, 1.5f);
    cuda::GpuOptions o;
    o.batch = 3;
    cuda::GpuNetwork gpu(*net, o);
    gpu.forward(x.data());
    net->forward(x.data());
    EXPECT_TRUE(testing::close_to(gpu.output(1), net->layers[1]->output, 1e-6));
  }
}

// What the layer cannot train is refused by the CPU's own check when training starts.
TEST(YoloOnGpu, NewCoordsTrainingIsRefused) {
  DN_REQUIRE_GPU();
  auto host = build_network(parse_cfg_text(yolo_cfg() + "new_coords=1\n", "yolo.cfg"), 3);
  cuda::GpuOptions o;
  o.batch = 3;
  cuda::GpuNetwork gpu(*host, o);
  std::vector<float> x(3 * host->input_size(), .5f);
  const auto truths = yolo_truths();
  std::string e = "(no error)";
  try {
    gpu.forward_training(x.data(), &truths);
  } catch (const Error& err) {
    e = err.what();
  }
  EXPECT_NE(e.find("new_coords=1 is supported for detection only"), std::string::npos) << e;
}

}  // namespace
}  // namespace dn
