#include "layers/yolo.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "layers/convolutional.hpp"
#include "layers/yolo_targets.hpp"
#include "layers/yolo_terms.hpp"

namespace dn {

YoloLayer::YoloLayer(int c, std::vector<int> m, std::vector<float> a)
    : classes(c), mask(std::move(m)), anchors(std::move(a)) {
  set_losses("bce", default_loss_params("bce"), "bce", default_loss_params("bce"));
}

void YoloLayer::resize(int b, Shape s) {
  batch = b;
  in = s;
  out = s;
  allocate_outputs();
  loss_delta.clear();
}

void YoloLayer::set_losses(const std::string& obj_name, const LossParams& obj_params, const std::string& cls_name,
                           const LossParams& cls_params) {
  // Build everything first, so that a throw leaves the layer as it was.
  std::unique_ptr<Loss> obj = make_loss(obj_name, obj_params);
  std::unique_ptr<Loss> cls;
  std::unique_ptr<SoftmaxLoss> cls_softmax;
  if (is_softmax_loss(cls_name))
    cls_softmax = make_softmax_loss(cls_name, cls_params);
  else
    cls = make_loss(cls_name, cls_params);
  obj_loss_ = std::move(obj);
  cls_loss_ = std::move(cls);
  cls_softmax_ = std::move(cls_softmax);
  obj_params_ = obj_params;
  cls_params_ = cls_params;
}

std::string YoloLayer::loss_summary() const {
  return std::string("box=") + yolo_box_loss_name(iou_loss) + ", obj=" + obj_loss_->describe() + ", cls=" + (cls_loss_ ? cls_loss_->describe() : cls_softmax_->describe());
}

std::string YoloLayer::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "yolo       %d classes, %d anchors, %d x %d; ", classes, mask_size(), out.w, out.h);
  std::string s = buf + loss_summary();
  if (iou_normalizer != 1 || obj_normalizer != 1 || cls_normalizer != 1) {
    std::snprintf(buf, sizeof buf, "; normalizer iou %g, obj %g, cls %g", iou_normalizer, obj_normalizer, cls_normalizer);
    s += buf;
  }
  if (label_smooth_eps > 0) {
    std::snprintf(buf, sizeof buf, "; label_smooth_eps %g", label_smooth_eps);
    s += buf;
  }
  if (bias_prior > 0) {
    std::snprintf(buf, sizeof buf, "; bias_prior %g", bias_prior);
    s += buf;
  }
  if (iou_thresh < 1) {
    std::snprintf(buf, sizeof buf, "; iou_thresh %g", iou_thresh);
    s += buf;
  }
  if (std::isfinite(max_delta)) {
    std::snprintf(buf, sizeof buf, "; max_delta %g", max_delta);
    s += buf;
  }
  if (!class_multipliers.empty()) {
    const auto [lo, hi] = std::minmax_element(class_multipliers.begin(), class_multipliers.end());
    std::snprintf(buf, sizeof buf, "; class multipliers %g..%g", *lo, *hi);
    s += buf;
  }
  return s;
}

void YoloLayer::forward(RunContext& ctx, const float* input) {
  std::memcpy(output.data(), input, output.size() * sizeof(float));
  const int hw = out.h * out.w;
  const YoloDecoding& d = decoding_;
  for (int b = 0; b < batch; ++b)
    for (int n = 0; n < mask_size(); ++n) {
      // every entry but softmax classes through its output function
      for (int e = 0; e < (cls_softmax_ ? 5 : 5 + classes); ++e) {
        float* p = output.data() + entry_index(b, n, e, 0);
        for (int i = 0; i < hw; ++i) p[i] = yolo_entry_output(e, p[i], d);
      }
      if (cls_softmax_)
        for (int loc = 0; loc < hw; ++loc) {
          float* c = output.data() + entry_index(b, n, 5, loc);
          yolo_softmax(c, c, hw, classes);
        }
    }
  if (ctx.train && ctx.truths) {
    compute_loss(input, *ctx.truths, ctx.net_w, ctx.net_h);
  } else {
    loss_delta.clear();
  }
}

void YoloLayer::check_trainable() const {
  if (decoding_.new_coords)
    fail("[yolo] layer " + std::to_string(index) + ": new_coords=1 is supported for detection only; training with it "
         "is not implemented (its losses would act on probabilities, not logits)");
  if (!class_multipliers.empty() && static_cast<int>(class_multipliers.size()) != classes)
    fail("[yolo] layer " + std::to_string(index) + ": " + std::to_string(class_multipliers.size()) +
         " class multipliers for " + std::to_string(classes) + " classes");
}

double YoloLayer::compute_loss(const float* input, const std::vector<std::vector<Truth>>& truths, int net_w,
                               int net_h) {
  check_trainable();
  if (static_cast<int>(truths.size()) != batch)
    fail("[yolo] layer " + std::to_string(index) + ": " + std::to_string(truths.size()) +
         " images of truths for a mini-batch of " + std::to_string(batch));
  loss_delta.assign(output.size(), 0.f);
  double box = 0, obj = 0, cls = 0;
  YoloStatsAccumulator acc;
  for (int b = 0; b < batch; ++b) {
    const float* logits = input + static_cast<size_t>(b) * out.size();
    float* grad = loss_delta.data() + static_cast<size_t>(b) * out.size();
    const YoloTargets t = assign_targets(*this, logits, truths[b], net_w, net_h);
    box += yolo_box_term(*this, logits, t, truths[b], net_w, net_h, grad);
    obj += yolo_objectness_term(*this, logits, t, grad);
    cls += yolo_class_term(*this, logits, t, grad);
    acc.add_image(*this, logits, t, truths[b], net_w, net_h);
  }
  stats = acc.finish(box, obj, cls);
  return stats.total_loss();
}

std::string YoloLayer::stats_line() const { return format_yolo_stats(*this, stats); }

void YoloLayer::backward(RunContext&, const float* input, float* input_delta) {
  if (!input_delta) return;
  // Whatever later layers sent into delta (normally nothing), chained through the output functions.
  if (!delta.empty() && std::any_of(delta.begin(), delta.end(), [](float v) { return v != 0.f; })) {
    const int hw = out.h * out.w;
    for (int b = 0; b < batch; ++b)
      for (int n = 0; n < mask_size(); ++n) {
        for (int e = 0; e < 5 + classes; ++e) {
          if (e >= 5 && cls_softmax_) continue;
          const size_t base = entry_index(b, n, e, 0);
          for (int loc = 0; loc < hw; ++loc)
            input_delta[base + loc] +=
                delta[base + loc] * yolo_entry_slope(e, input[base + loc], output[base + loc], decoding_);
        }
        if (cls_softmax_)
          for (int loc = 0; loc < hw; ++loc) {
            const size_t base = entry_index(b, n, 5, loc);
            yolo_softmax_backward(output.data() + base, delta.data() + base, input_delta + base, hw, classes);
          }
      }
  }
  if (loss_delta.size() == output.size())
    for (size_t i = 0; i < loss_delta.size(); ++i) input_delta[i] += loss_delta[i];
}

bool YoloLayer::apply_bias_prior(ConvolutionalLayer& conv) const {
  if (bias_prior <= 0) return false;
  if (!(bias_prior < 1)) fail("[yolo] bias_prior must be in (0, 1), got " + std::to_string(bias_prior));
  const int per_anchor = 5 + classes;
  if (conv.filters != mask_size() * per_anchor || static_cast<int>(conv.biases.size()) != conv.filters)
    fail("[yolo] layer " + std::to_string(index) + ": bias_prior needs the convolution before it to have " +
         std::to_string(mask_size() * per_anchor) + " filters (with biases allocated), it has " +
         std::to_string(conv.filters));
  const float bias = -std::log((1.f - bias_prior) / bias_prior);
  for (int n = 0; n < mask_size(); ++n)
    for (int e = 4; e < per_anchor; ++e) conv.biases[n * per_anchor + e] = bias;
  conv.params_changed();
  return true;
}

Box YoloLayer::get_box(int b, int n, int i, int j, int net_w, int net_h) const {
  const int loc = j * out.w + i;
  const int a = mask[n];
  Box box;
  box.x = yolo_center(i, output[entry_index(b, n, 0, loc)], out.w);
  box.y = yolo_center(j, output[entry_index(b, n, 1, loc)], out.h);
  box.w = yolo_wh(output[entry_index(b, n, 2, loc)], anchors[2 * a], net_w, decoding_);
  box.h = yolo_wh(output[entry_index(b, n, 3, loc)], anchors[2 * a + 1], net_h, decoding_);
  return box;
}

}  // namespace dn
