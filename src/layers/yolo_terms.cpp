#include "layers/yolo_terms.hpp"

#include <cmath>

#include "layers/yolo.hpp"
#include "layers/yolo_targets.hpp"

namespace dn {

double yolo_box_term(const YoloLayer& l, const float* logits, const YoloTargets& t, const std::vector<Truth>& truths,
                     int net_w, int net_h, float* grad) {
  const int w = l.out.w, h = l.out.h;
  double total = 0;
  for (const YoloPositive& p : t.positives) {
    if (p.box_truth < 0) continue;
    const Box& tb = truths[p.box_truth].box;
    const int i = p.loc % w, j = p.loc / w;
    const int a = l.mask[p.n];
    const double scale = static_cast<double>(l.iou_normalizer) * (2.0 - static_cast<double>(tb.w) * tb.h);
    const double target[4] = {static_cast<double>(tb.x) * w - i, static_cast<double>(tb.y) * h - j,
                               std::log(static_cast<double>(tb.w) * net_w / l.anchors[2 * a]),
                               std::log(static_cast<double>(tb.h) * net_h / l.anchors[2 * a + 1])};
    for (int e = 0; e < 4; ++e) {
      const size_t idx = l.entry_index(0, p.n, e, p.loc);
      const double x = logits[idx];
      if (e < 2) {
        const double s = 1.0 / (1.0 + std::exp(-x));  // x, y: squared error after the logistic
        const double diff = s - target[e];
        total += 0.5 * scale * diff * diff;
        grad[idx] += static_cast<float>(scale * diff * s * (1.0 - s));
      } else {  // w, h: squared error on the raw logit
        const double diff = x - target[e];
        total += 0.5 * scale * diff * diff;
        grad[idx] += static_cast<float>(scale * diff);
      }
    }
  }
  return total;
}

double yolo_objectness_term(const YoloLayer& l, const float* logits, const YoloTargets& t, float* grad) {
  const int hw = l.out.h * l.out.w;
  std::vector<float> weights(hw), g(hw);
  double total = 0;
  for (int n = 0; n < l.num(); ++n) {
    const size_t base = l.entry_index(0, n, 4, 0);
    for (int k = 0; k < hw; ++k) weights[k] = t.obj_weight[n * hw + k] * l.obj_normalizer;
    total += l.objectness_loss().compute(logits + base, t.obj_target.data() + n * hw, weights.data(), hw, g.data());
    for (int k = 0; k < hw; ++k) grad[base + k] += g[k];
  }
  return total;
}

double yolo_class_term(const YoloLayer& l, const float* logits, const YoloTargets& t, float* grad) {
  const int hw = l.out.h * l.out.w, C = l.classes;
  std::vector<float> z(C), y(C), weights(C, l.cls_normalizer), g(C);
  const float eps = l.label_smooth_eps;
  double total = 0;
  for (const YoloPositive& p : t.positives) {
    if (p.labels.empty()) continue;
    const size_t base = l.entry_index(0, p.n, 5, p.loc);
    for (int c = 0; c < C; ++c) z[c] = logits[base + static_cast<size_t>(c) * hw];
    if (const Loss* loss = l.class_loss()) {
      for (int c = 0; c < C; ++c) y[c] = .5f * eps;
      for (int c : p.labels) y[c] = 1.f - .5f * eps;
      total += loss->compute(z.data(), y.data(), weights.data(), C, g.data());
      for (int c = 0; c < C; ++c) grad[base + static_cast<size_t>(c) * hw] += g[c];
    } else {
      const float weight = l.cls_normalizer / static_cast<float>(p.labels.size());
      for (int label : p.labels) {
        total += l.class_softmax_loss()->compute(z.data(), C, label, weight, g.data());
        for (int c = 0; c < C; ++c) grad[base + static_cast<size_t>(c) * hw] += g[c];
      }
    }
  }
  return total;
}

}  // namespace dn
