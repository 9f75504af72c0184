#include "layers/yolo_targets.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "layers/yolo.hpp"

namespace dn {

namespace {

bool usable(const Truth& t) { return yolo_usable_truth(t.box); }

// Makes slot a positive for truth k (or adds k to it): objectness target 1, counted, k's class
// among the labels, k's box the box target.
void make_positive(YoloTargets& t, int slot, int n, int loc, int k, int cls) {
  t.obj_target[slot] = 1.f;
  t.obj_weight[slot] = 1.f;
  if (t.positive_of[slot] < 0) {
    t.positive_of[slot] = static_cast<int>(t.positives.size());
    YoloPositive p;
    p.n = n;
    p.loc = loc;
    t.positives.push_back(p);
  }
  YoloPositive& p = t.positives[t.positive_of[slot]];
  p.box_truth = k;
  if (std::find(p.labels.begin(), p.labels.end(), cls) == p.labels.end()) p.labels.push_back(cls);
}

}  // namespace

Box yolo_predicted_box(const YoloLayer& l, const float* logits, int n, int loc, int net_w, int net_h) {
  const int i = loc % l.out.w, j = loc / l.out.w;
  const int a = l.mask[n];
  const YoloDecoding& d = l.decoding();
  Box b;
  b.x = yolo_center(i, yolo_xy_output(logits[l.entry_index(0, n, 0, loc)], d), l.out.w);
  b.y = yolo_center(j, yolo_xy_output(logits[l.entry_index(0, n, 1, loc)], d), l.out.h);
  b.w = yolo_wh(logits[l.entry_index(0, n, 2, loc)], l.anchors[2 * a], net_w, d);
  b.h = yolo_wh(logits[l.entry_index(0, n, 3, loc)], l.anchors[2 * a + 1], net_h, d);
  return b;
}

int yolo_best_anchor(const YoloLayer& l, float w, float h, int net_w, int net_h) {
  return yolo_best_anchor_of(l.anchors.data(), static_cast<int>(l.anchors.size() / 2), w, h, net_w, net_h);
}

YoloTargets assign_targets(const YoloLayer& l, const float* logits, const std::vector<Truth>& truths, int net_w,
                           int net_h) {
  if (net_w <= 0 || net_h <= 0) fail("[yolo] assign_targets: the network input size is not set");
  const int w = l.out.w, h = l.out.h, hw = w * h, num = l.mask_size();
  for (const Truth& tr : truths)
    if (usable(tr) && (tr.cls < 0 || tr.cls >= l.classes))
      fail("[yolo] layer " + std::to_string(l.index) + ": truth class " + std::to_string(tr.cls) +
           " is outside 0.." + std::to_string(l.classes - 1) + " (labels made for another .names file?)");

  YoloTargets t;
  t.obj_target.assign(static_cast<size_t>(num) * hw, 0.f);
  t.obj_weight.assign(static_cast<size_t>(num) * hw, 1.f);
  t.best_iou.assign(static_cast<size_t>(num) * hw, 0.f);
  t.positive_of.assign(static_cast<size_t>(num) * hw, -1);

  // 1. Every prediction against every truth: ignore, and truth_thresh positives.
  for (int n = 0; n < num; ++n)
    for (int loc = 0; loc < hw; ++loc) {
      const int slot = n * hw + loc;
      const Box pred = yolo_predicted_box(l, logits, n, loc, net_w, net_h);
      float best = 0;
      int best_k = -1;
      for (size_t k = 0; k < truths.size(); ++k) {
        if (!usable(truths[k])) continue;
        const float iou = box_iou(pred, truths[k].box);
        if (iou > best) {
          best = iou;
          best_k = static_cast<int>(k);
        }
      }
      t.best_iou[slot] = best;
      if (best > l.ignore_thresh) t.obj_weight[slot] = 0.f;
      if (best_k >= 0 && best > l.truth_thresh) make_positive(t, slot, n, loc, best_k, truths[best_k].cls);
    }

  // 2. Each truth's responsible anchor, if it is one of this layer's.
  for (size_t k = 0; k < truths.size(); ++k) {
    const Truth& tr = truths[k];
    if (!usable(tr)) continue;
    const int i = std::clamp(static_cast<int>(tr.box.x * w), 0, w - 1);
    const int j = std::clamp(static_cast<int>(tr.box.y * h), 0, h - 1);
    const int best = yolo_best_anchor(l, tr.box.w, tr.box.h, net_w, net_h);
    const int loc = j * w + i;
    const auto it = std::find(l.mask.begin(), l.mask.end(), best);
    if (it != l.mask.end()) {
      const int n = static_cast<int>(it - l.mask.begin());
      make_positive(t, n * hw + loc, n, loc, static_cast<int>(k), tr.cls);
      t.assigned.push_back({static_cast<int>(k), n, loc});
    }
    // iou_thresh (AlexeyAB): every other anchor of this mask whose shape IoU with the truth
    // exceeds it is responsible too, at the same cell (whether or not the best anchor is ours).
    if (l.iou_thresh < 1.f)
      for (int n = 0; n < num; ++n) {
        const int a = l.mask[n];
        if (a == best) continue;
        const Box anchor{0, 0, l.anchors[2 * a] / net_w, l.anchors[2 * a + 1] / net_h};
        if (box_iou(anchor, Box{0, 0, tr.box.w, tr.box.h}) > l.iou_thresh) {
          make_positive(t, n * hw + loc, n, loc, static_cast<int>(k), tr.cls);
          t.assigned.push_back({static_cast<int>(k), n, loc});
        }
      }
  }
  return t;
}

}  // namespace dn
