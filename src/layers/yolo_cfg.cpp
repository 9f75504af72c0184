// The [yolo] keys of training and of the losses (docs/yolo_layer.md, "Keys").
#include <algorithm>
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
  if (v < 0) s.fail(key, key + " must be >= 0, got " + quote_input(s.get_string(key, "")));
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

void read_yolo_detection_keys(YoloLayer& l, const CfgSection& s) {
  YoloDecoding d;
  d.scale_x_y = finite_float(s, "scale_x_y", 1.f);
  if (!(d.scale_x_y > 0 && d.scale_x_y <= 4))
    s.fail("scale_x_y", "scale_x_y must be in (0, 4] (AlexeyAB's cfgs use 1.05 to 2), got " + quote_input(s.get_string("scale_x_y", "")));
  if (s.has("new_coords")) {
    const int nc = s.get_int("new_coords", 0);
    if (nc != 0 && nc != 1) s.fail("new_coords", "new_coords must be 0 or 1");
    d.new_coords = nc == 1;
  }
  l.set_decoding(d);
  const std::string kind = s.get_string("nms_kind", "default");
  if (kind == "default")
    l.nms_kind = NmsKind::iou;
  else if (kind == "greedynms")
    l.nms_kind = NmsKind::greedy_diou;
  else if (kind == "diounms")
    l.nms_kind = NmsKind::diou;
  else if (kind == "cornersnms")
    s.fail("nms_kind", "nms_kind=cornersnms (AlexeyAB's Gaussian-YOLO corner NMS) is not supported: use default, greedynms or diounms");
  else
    s.fail("nms_kind", "unknown nms_kind " + quote_input(kind) + " (known: default, greedynms, diounms)");
  l.beta_nms = finite_float(s, "beta_nms", .6f);
  if (!(l.beta_nms > 0)) s.fail("beta_nms", "beta_nms (the DIoU power of diounms) must be positive");
}

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
        s.fail("focal_loss", "focal_loss=1 (= cls_loss=focal) and cls_loss=" + quote_input(cls) + " both set the class loss; keep one");
      cls = "focal";  // AlexeyAB's focal_loss=1: class loss focal, gamma 2, alpha .25 unless given
      cls_key = "focal_loss";
    }
  }
  if (is_softmax_loss(obj))
    s.fail(obj_key, "loss " + quote_input(obj) + " is a softmax (multiclass) loss: it can only be the class loss (cls_loss=" + obj + ")");
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
  if (l.decoding().new_coords && l.class_softmax_loss())
    s.fail(cls_key, "cls_loss=" + cls + " (a softmax over the classes) cannot be used with new_coords=1, whose class "
                    "outputs come already through the logistic of the convolution before [yolo]");
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

  // ---- AlexeyAB's training keys (docs/yolo_layer.md, "AlexeyAB's keys") ----
  if (s.has("iou_loss")) {
    const std::string v = s.get_string("iou_loss", "mse");
    bool known = false;
    for (YoloBoxLoss k : {YoloBoxLoss::mse, YoloBoxLoss::iou, YoloBoxLoss::giou, YoloBoxLoss::diou, YoloBoxLoss::ciou})
      if (v == yolo_box_loss_name(k)) {
        l.iou_loss = k;
        known = true;
      }
    if (!known) s.fail("iou_loss", "unknown iou_loss " + quote_input(v) + " (known: mse, iou, giou, diou, ciou)");
  }
  l.iou_thresh = non_negative(s, "iou_thresh", 1.f);
  if (s.has("iou_thresh_kind")) {
    const std::string v = s.get_string("iou_thresh_kind", "iou");
    if (v == "giou" || v == "diou" || v == "ciou")
      s.fail("iou_thresh_kind", "iou_thresh_kind=" + v + " is not implemented: anchors are compared with a truth "
                                "by plain IoU; remove the key or set iou_thresh_kind=iou");
    if (v != "iou") s.fail("iou_thresh_kind", "unknown iou_thresh_kind " + quote_input(v) + " (only iou is implemented)");
    if (l.iou_thresh >= 1)
      warn_at(s.file, s.line_of("iou_thresh_kind"), "[yolo] iou_thresh_kind has no effect without iou_thresh < 1");
  }
  if (s.has("max_delta")) {
    l.max_delta = finite_float(s, "max_delta", 0.f);
    if (!(l.max_delta > 0)) s.fail("max_delta", "max_delta (the clip of the loss gradient) must be positive");
  }
  if (s.has("counters_per_class")) {
    const std::vector<int> counts = s.get_ints("counters_per_class");
    if (static_cast<int>(counts.size()) != l.classes)
      s.fail("counters_per_class", "counters_per_class has " + std::to_string(counts.size()) + " values for classes=" +
                                       std::to_string(l.classes) + ": give one count per class");
    int max_count = 1;
    for (int c : counts) {
      if (c < 0) s.fail("counters_per_class", "counters_per_class: counts must be >= 0, got " + std::to_string(c));
      max_count = std::max(max_count, c);
    }
    // AlexeyAB's rule: m_c = max_count / max(count_c, 1), capped at max_delta.
    l.class_multipliers.clear();
    for (int c : counts)
      l.class_multipliers.push_back(std::min(static_cast<float>(max_count) / static_cast<float>(std::max(c, 1)), l.max_delta));
  }
  if (s.has("show_details")) s.get_int("show_details", 1);  // AlexeyAB's display switch: no effect on training

  // ---- keys refused by name ----
  for (const char* k : {"embedding_layer", "track_history_size", "sim_thresh", "dets_for_track", "dets_for_show",
                        "track_ciou_norm"})
    if (s.has(k))
      s.fail(k, std::string(k) + " belongs to AlexeyAB's object tracking (embeddings in detector demo), which is not "
                                 "implemented: remove the key");
  if (s.has("map"))
    s.fail("map", "map= (a file mapping label classes to the layer's classes) is not implemented: remap the classes "
                  "in the label files instead and remove the key");
  if (s.has("objectness_smooth") && s.get_int("objectness_smooth", 0) != 0)
    s.fail("objectness_smooth", "objectness_smooth=1 (AlexeyAB's IoU-valued objectness targets) is not implemented: "
                                "remove the key or set objectness_smooth=0");
  if (s.has("delta_normalizer") && finite_float(s, "delta_normalizer", 1.f) != 1.f)
    s.fail("delta_normalizer", "delta_normalizer other than 1 (AlexeyAB scales the layer's whole gradient by it, in "
                               "its GPU build only) is not implemented: remove the key and multiply iou_normalizer, "
                               "obj_normalizer and cls_normalizer by it instead");
  if (s.has("resize") && finite_float(s, "resize", 1.f) != 1.f)
    s.fail("resize", "resize other than 1 (AlexeyAB's random resize of the training images) is not implemented: "
                     "remove the key or set resize=1 (jitter= and random=1 give crop jitter and multi-scale training)");
}

}  // namespace dn
