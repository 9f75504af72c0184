#include "layers/yolo_terms.hpp"

#include <algorithm>
#include <cmath>

#include "layers/yolo.hpp"
#include "layers/yolo_assign.hpp"
#include "layers/yolo_targets.hpp"

namespace dn {

float yolo_positive_weight(const YoloLayer& l, const YoloPositive& p) {
  if (l.class_multipliers.empty()) return 1.f;
  float m = 0.f;
  for (int c : p.labels) m = std::max(m, l.class_multipliers[c]);
  return p.labels.empty() ? 1.f : m;
}

double yolo_box_term(const YoloLayer& l, const float* logits, const YoloTargets& t, const std::vector<Truth>& truths,
                     int net_w, int net_h, float* grad) {
  const int w = l.out.w, h = l.out.h;
  const double sxy = l.decoding().scale_x_y;
  double total = 0;
  for (const YoloPositive& p : t.positives) {
    if (p.box_truth < 0) continue;
    const int a = l.mask[p.n];
    double x[4];
    for (int e = 0; e < 4; ++e) x[e] = logits[l.entry_index(0, p.n, e, p.loc)];
    const YoloBoxTerm r =
        yolo_positive_box_term(l.iou_loss, x, p.loc % w, p.loc / w, w, h, l.anchors[2 * a], l.anchors[2 * a + 1],
                               net_w, net_h, sxy, truths[p.box_truth].box, l.iou_normalizer,
                               yolo_positive_weight(l, p), l.max_delta);
    total += r.loss;
    for (int e = 0; e < 4; ++e) grad[l.entry_index(0, p.n, e, p.loc)] += r.grad[e];
  }
  return total;
}

double yolo_objectness_term(const YoloLayer& l, const float* logits, const YoloTargets& t, float* grad) {
  const int hw = l.out.h * l.out.w;
  std::vector<float> weights(hw), g(hw);
  double total = 0;
  for (int n = 0; n < l.mask_size(); ++n) {
    const size_t base = l.entry_index(0, n, 4, 0);
    for (int k = 0; k < hw; ++k) weights[k] = t.obj_weight[n * hw + k] * l.obj_normalizer;
    if (!l.class_multipliers.empty())  // counters_per_class: the positives' objectness weighted by m
      for (int k = 0; k < hw; ++k)
        if (t.positive_of[n * hw + k] >= 0) weights[k] *= yolo_positive_weight(l, t.positives[t.positive_of[n * hw + k]]);
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
    const float m = yolo_positive_weight(l, p);  // counters_per_class (1 without)
    if (const Loss* loss = l.class_loss()) {
      std::fill(weights.begin(), weights.end(), l.cls_normalizer * m);
      for (int c = 0; c < C; ++c) y[c] = yolo_class_target(false, eps);
      for (int c : p.labels) y[c] = yolo_class_target(true, eps);
      total += loss->compute(z.data(), y.data(), weights.data(), C, g.data());
      for (int c = 0; c < C; ++c) grad[base + static_cast<size_t>(c) * hw] += g[c];
    } else {
      const float weight = l.cls_normalizer * m / static_cast<float>(p.labels.size());
      for (int label : p.labels) {
        total += l.class_softmax_loss()->compute(z.data(), C, label, weight, g.data());
        for (int c = 0; c < C; ++c) grad[base + static_cast<size_t>(c) * hw] += g[c];
      }
    }
  }
  return total;
}

}  // namespace dn
