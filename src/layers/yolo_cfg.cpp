// The [yolo] keys of training and of the losses (docs/yolo_layer.md, "Keys").
#include <cmath>
#include <string>

#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "layers/yolo.hpp"

namespace dn {

namespace {

// The parameter keys, in LossParams order.
const char* const kParamKeys[] = {"focal_gamma", "focal_alpha", "focal_beta", "poly_eps", "mfocal_floor_pos",
                                  "mfocal_floor_neg"};

// Which parameter keys a loss reads (docs/losses.md), for the "has no effect" warning. A loss
// missing from this table is assumed to read them all, so it never draws a wrong warning.
bool loss_reads(const std::string& loss, const std::string& key) {
  struct Row {
    const char* loss;
    std::vector<const char*> keys;
  };
  static const Row rows[] = {
      {"bce", {}},
      {"balanced", {"focal_alpha"}},
      {"focal", {"focal_gamma", "focal_alpha"}},
      {"focal_star", {"focal_gamma", "focal_beta"}},
      {"poly1", {"focal_gamma", "focal_alpha", "poly_eps"}},
      {"mfocal", {"focal_gamma", "focal_alpha", "mfocal_floor_pos", "mfocal_floor_neg"}},
      {"softmax_focal", {"focal_gamma", "focal_alpha"}},
  };
  for (const Row& r : rows)
    if (loss == r.loss) {
      for (const char* k : r.keys)
        if (key == k) return true;
      return false;
    }
  return true;
}

float finite_float(const CfgSection& s, const std::string& key, float def) {
  float v = s.get_float(key, def);
  if (!std::isfinite(v)) s.fail(key, key + " must be a finite number");
  return v;
}

float non_negative(const CfgSection& s, const std::string& key, float def) {
  float v = finite_float(s, key, def);
  if (v < 0) s.fail(key, key + " must be >= 0, got " + s.get_string(key, ""));
  return v;
}

// The loss's own defaults, overridden by the parameter keys present.
LossParams loss_params(const CfgSection& s, const std::string& loss, const std::string& loss_key) {
  LossParams p;
  try {
    p = default_loss_params(loss);
  } catch (const Error& e) {
    s.fail(loss_key, loss_key + "=" + loss + ": " + e.what());
  }
  float LossParams::*fields[] = {&LossParams::gamma,    &LossParams::alpha,     &LossParams::beta,
                                 &LossParams::poly_eps, &LossParams::floor_pos, &LossParams::floor_neg};
  for (int i = 0; i < 6; ++i)
    if (s.has(kParamKeys[i])) p.*fields[i] = s.get_float(kParamKeys[i], 0.f);
  return p;
}

}  // namespace

void read_yolo_training_keys(YoloLayer& l, const CfgSection& s) {
  // ---- YOLOv3's keys ----
  l.ignore_thresh = finite_float(s, "ignore_thresh", .5f);
  l.truth_thresh = finite_float(s, "truth_thresh", 1.f);
  l.jitter = non_negative(s, "jitter", .3f);
  l.random = s.get_float("random", 0.f) != 0.f ? 1 : 0;  // later forks allow random=1.4 etc.
  if (s.has("max")) {
    if (s.get_int("max", 90) <= 0) s.fail("max", "max must be positive");
    warn_at(s.file, s.line_of("max"), "[yolo] 'max' (boxes per image) has no effect: every truth of an image is used");
  }

  // ---- losses ----
  const std::string base = s.get_string("loss", "bce");
  const std::string base_key = s.has("loss") ? "loss" : "";
  std::string obj = s.get_string("obj_loss", base);
  std::string obj_key = s.has("obj_loss") ? "obj_loss" : base_key;
  std::string cls = s.get_string("cls_loss", base);
  std::string cls_key = s.has("cls_loss") ? "cls_loss" : base_key;
  if (s.has("focal_loss")) {
    int f = s.get_int("focal_loss", 0);
    if (f != 0 && f != 1) s.fail("focal_loss", "focal_loss must be 0 or 1");
    if (f == 1) {
      if (s.has("cls_loss"))
        s.fail("focal_loss", "focal_loss=1 (= cls_loss=focal) and cls_loss=" + cls + " both set the class loss; keep one");
      cls = "focal";  // AlexeyAB's focal_loss=1: class loss focal, gamma 2, alpha .25 unless given
      cls_key = "focal_loss";
    }
  }
  if (is_softmax_loss(obj))
    s.fail(obj_key, "loss '" + obj + "' is a softmax (multiclass) loss: it can only be the class loss (cls_loss=" + obj + ")");
  const LossParams obj_params = loss_params(s, obj, obj_key);
  const LossParams cls_params = loss_params(s, cls, cls_key);
  // Build each loss once here to point an error at its key: the parameter the message names when
  // it was given, else the loss key.
  auto check = [&](const std::string& loss_key, auto&& make) {
    try {
      make();
    } catch (const Error& e) {
      const std::string msg = e.what();
      for (const char* k : kParamKeys)
        if (msg.find(k) != std::string::npos && s.has(k)) s.fail(k, msg);
      s.fail(loss_key, msg);
    }
  };
  check(obj_key, [&] { make_loss(obj, obj_params); });
  check(cls_key, [&] {
    if (is_softmax_loss(cls))
      make_softmax_loss(cls, cls_params);
    else
      make_loss(cls, cls_params);
  });
  l.set_losses(obj, obj_params, cls, cls_params);
  for (const char* k : kParamKeys)
    if (s.has(k) && !loss_reads(obj, k) && !loss_reads(cls, k))
      warn_at(s.file, s.line_of(k),
              "[yolo] " + std::string(k) + " has no effect with obj_loss=" + obj + ", cls_loss=" + cls);

  // ---- normalisation, prior, smoothing ----
  l.iou_normalizer = non_negative(s, "iou_normalizer", 1.f);
  l.obj_normalizer = non_negative(s, "obj_normalizer", 1.f);
  l.cls_normalizer = non_negative(s, "cls_normalizer", 1.f);
  if (s.has("bias_prior")) {
    float pi = s.get_float("bias_prior", 0.f);
    if (!(pi > 0 && pi < 1)) s.fail("bias_prior", "bias_prior (the prior probability pi) must be in (0, 1)");
    l.bias_prior = pi;
  }
  if (s.has("label_smooth_eps")) {
    float eps = s.get_float("label_smooth_eps", 0.f);
    if (!(eps >= 0 && eps < 1)) s.fail("label_smooth_eps", "label_smooth_eps must be in [0, 1)");
    if (eps > 0 && l.class_softmax_loss()) {
      warn_at(s.file, s.line_of("label_smooth_eps"),
              "[yolo] label_smooth_eps has no effect with cls_loss=" + cls + " (a softmax loss takes a class index)");
      eps = 0;
    } else if (eps > 0 && !l.class_loss()->allows_soft_targets()) {
      warn_at(s.file, s.line_of("label_smooth_eps"),
              "[yolo] cls_loss=" + cls + " is not meant for soft targets: with label_smooth_eps its minimum moves far "
              "from the smoothed target (see docs/losses.md, soft targets)");
    }
    l.label_smooth_eps = eps;
  }

  // ---- keys of later forks ----
  if (s.has("scale_x_y") && s.get_float("scale_x_y", 1.f) != 1.f)
    s.fail("scale_x_y", "scale_x_y other than 1 (grid sensitivity) is not implemented");
  if (s.has("iou_loss") && s.get_string("iou_loss", "mse") != "mse")
    s.fail("iou_loss", "iou_loss=" + s.get_string("iou_loss", "") +
                           " is not implemented: the box term is Darknet's squared error (iou_loss=mse)");
  if (s.has("new_coords") && s.get_int("new_coords", 0) != 0)
    s.fail("new_coords", "new_coords=1 (the scaled-YOLOv4 box decoding) is not implemented");
  if (s.has("objectness_smooth") && s.get_int("objectness_smooth", 0) != 0)
    s.fail("objectness_smooth", "objectness_smooth=1 is not implemented");
  if (s.has("iou_thresh") && s.get_float("iou_thresh", 1.f) < 1.f)
    s.fail("iou_thresh", "iou_thresh < 1 (several responsible anchors per truth) is not implemented");
  for (const char* k : {"counters_per_class", "max_delta", "nms_kind", "beta_nms", "iou_thresh_kind", "resize"})
    if (s.has(k)) warn_at(s.file, s.line_of(k), "[yolo] " + std::string(k) + " is accepted but has no effect here");
}

}  // namespace dn
