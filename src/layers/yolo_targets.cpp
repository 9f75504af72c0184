#include "layers/yolo_targets.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "layers/yolo.hpp"
#include "layers/yolo_assign.hpp"

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
  const int a = l.mask[n];
  auto t = [&](int e) { return logits[l.entry_index(0, n, e, loc)]; };
  return yolo_decode_box(t(0), t(1), t(2), t(3), loc % l.out.w, loc / l.out.w, l.out.w, l.out.h, l.anchors[2 * a],
                         l.anchors[2 * a + 1], net_w, net_h, l.decoding());
}

int yolo_best_anchor(const YoloLayer& l, float w, float h, int net_w, int net_h) {
  return yolo_best_anchor_of(l.anchors.data(), static_cast<int>(l.anchors.size() / 2), w, h, net_w, net_h);
}

void yolo_check_truth_classes(const YoloLayer& l, const std::vector<Truth>& truths) {
  for (const Truth& tr : truths)
    if (usable(tr) && (tr.cls < 0 || tr.cls >= l.classes))
      fail("[yolo] layer " + std::to_string(l.index) + ": truth class " + std::to_string(tr.cls) +
           " is outside 0.." + std::to_string(l.classes - 1) + " (labels made for another .names file?)");
}

YoloTargets assign_targets(const YoloLayer& l, const float* logits, const std::vector<Truth>& truths, int net_w,
                           int net_h) {
  if (net_w <= 0 || net_h <= 0) fail("[yolo] assign_targets: the network input size is not set");
  const int w = l.out.w, h = l.out.h, hw = w * h, num = l.mask_size();
  yolo_check_truth_classes(l, truths);

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
      YoloBestTruth best;
      for (size_t k = 0; k < truths.size(); ++k) yolo_best_truth_add(best, pred, truths[k].box, static_cast<int>(k));
      t.best_iou[slot] = best.iou;
      t.obj_weight[slot] = yolo_step1_obj_weight(best, l.ignore_thresh);
      const int k = yolo_step1_positive(best, l.truth_thresh);
      if (k >= 0) make_positive(t, slot, n, loc, k, truths[k].cls);
    }

  // 2. Each truth's responsible anchors of this layer at the cell of its centre: its best anchor
  // (of all) first, then (iou_thresh) the others in mask order.
  for (size_t k = 0; k < truths.size(); ++k) {
    const Truth& tr = truths[k];
    if (!usable(tr)) continue;
    const int loc = yolo_truth_cell(tr.box, w, h);
    const int best = yolo_best_anchor(l, tr.box.w, tr.box.h, net_w, net_h);
    auto assign = [&](int n) {
      make_positive(t, n * hw + loc, n, loc, static_cast<int>(k), tr.cls);
      t.assigned.push_back({static_cast<int>(k), n, loc});
    };
    const auto it = std::find(l.mask.begin(), l.mask.end(), best);
    if (it != l.mask.end()) assign(static_cast<int>(it - l.mask.begin()));
    for (int n = 0; n < num; ++n)
      if (l.mask[n] != best &&
          yolo_anchor_responsible(l.anchors.data(), l.mask[n], best, tr.box, l.iou_thresh, net_w, net_h))
        assign(n);
  }
  return t;
}

}  // namespace dn
