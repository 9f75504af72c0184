#pragma once
// The target assignment of a [yolo] layer as functions of one prediction or one truth, written
// once for the CPU layer (yolo_targets.cpp, yolo_stats.cpp) and the CUDA kernels
// (yolo_kernels.cu), so that the CPU tests check what the GPU runs. The CPU walks truths and
// writes their slots; a kernel takes one slot and reads the truths: both decide through these.
// docs/yolo_layer.md, "Target assignment".
#include <math.h>
#include <stddef.h>

#include "core/box.hpp"
#include "core/hd.hpp"
#include "layers/yolo_box.hpp"
#include "layers/yolo_iou_loss.hpp"

namespace dn {

// One training truth (relative to the network input), as the kernels read it.
struct YoloTruth {
  int cls;
  float x, y, w, h;
};
DN_HD inline Box yolo_truth_box(const YoloTruth& t) { return Box{t.x, t.y, t.w, t.h}; }

// The geometry and settings of one [yolo] layer, as the kernels read it (mask and anchors point to
// memory of the device that runs the function: the GPU's in the kernels, the host's in tests).
struct YoloGeometry {
  int batch, num, classes, w, h;  // num = anchors of this layer (mask size)
  int net_w, net_h;
  const int* mask;        // [num]
  const float* anchors;   // [total_anchors][2]
  int total_anchors;
  bool softmax_classes;   // classes through a softmax (class loss is a softmax loss)
  float ignore_thresh, truth_thresh, iou_thresh;
  float iou_normalizer, obj_normalizer, cls_normalizer, label_smooth_eps;
  YoloDecoding decoding;
  YoloBoxLoss iou_loss;
  float max_delta;
  const float* class_multipliers;  // [classes] (counters_per_class), or null
};

// The box (relative to the net_w x net_h input) of the anchor anchor_w x anchor_h (pixels) at cell
// (i, j) of a grid_w x grid_h grid, from its logits t_x, t_y, t_w, t_h.
DN_HD inline Box yolo_decode_box(float tx, float ty, float tw, float th, int i, int j, int grid_w, int grid_h,
                                 float anchor_w, float anchor_h, int net_w, int net_h, const YoloDecoding& d) {
  Box b;
  b.x = yolo_center(i, yolo_xy_output(tx, d), grid_w);
  b.y = yolo_center(j, yolo_xy_output(ty, d), grid_h);
  b.w = yolo_wh(tw, anchor_w, net_w, d);
  b.h = yolo_wh(th, anchor_h, net_h, d);
  return b;
}

// Step 1, for one prediction: the truth its box overlaps most (the first on ties; truth -1, iou 0
// while none overlaps). Fold every truth k in order through yolo_best_truth_add.
struct YoloBestTruth {
  float iou = 0;
  int truth = -1;
};
DN_HD inline void yolo_best_truth_add(YoloBestTruth& best, const Box& pred, const Box& truth, int k) {
  if (!yolo_usable_truth(truth)) return;
  const float iou = box_iou(pred, truth);
  if (iou > best.iou) {
    best.iou = iou;
    best.truth = k;
  }
}
// Step 1's decisions: the objectness weight (0 = ignored, past ignore_thresh), and the truth the
// prediction is a positive of through truth_thresh (-1 if none).
DN_HD inline float yolo_step1_obj_weight(const YoloBestTruth& best, float ignore_thresh) {
  return best.iou > ignore_thresh ? 0.f : 1.f;
}
DN_HD inline int yolo_step1_positive(const YoloBestTruth& best, float truth_thresh) {
  return best.truth >= 0 && best.iou > truth_thresh ? best.truth : -1;
}

// Step 2, for one truth: the cell (y*grid_w + x) holding its centre...
DN_HD inline int yolo_truth_cell(const Box& truth, int grid_w, int grid_h) {
  int i = static_cast<int>(truth.x * grid_w), j = static_cast<int>(truth.y * grid_h);
  i = i < 0 ? 0 : (i > grid_w - 1 ? grid_w - 1 : i);
  j = j < 0 ? 0 : (j > grid_h - 1 ? grid_h - 1 : j);
  return j * grid_w + i;
}
// ... and whether anchor a (an index into anchors, one of the layer's mask) is responsible for
// it there: a is the truth's best anchor of all (yolo_best_anchor_of), or, with iou_thresh < 1
// (AlexeyAB), another anchor whose shape IoU with the truth exceeds iou_thresh.
DN_HD inline bool yolo_anchor_responsible(const float* anchors, int a, int best, const Box& truth, float iou_thresh,
                                          int net_w, int net_h) {
  if (a == best) return true;
  if (!(iou_thresh < 1.f)) return false;
  const Box anchor{0, 0, anchors[2 * a] / net_w, anchors[2 * a + 1] / net_h};
  return box_iou(anchor, Box{0, 0, truth.w, truth.h}) > iou_thresh;
}

// ---- the same, one prediction at a time (the CUDA kernels; the CPU tests check it against
// assign_targets) ----------------------------------------------------------------------------------

// Step 2 for truth t: cell_of[n], for each anchor n of the mask, the cell where n is responsible
// for t, or -1 (also for an unusable truth).
DN_HD inline void yolo_responsible_cells(const YoloGeometry& g, const YoloTruth& t, int* cell_of) {
  for (int n = 0; n < g.num; ++n) cell_of[n] = -1;
  const Box tb = yolo_truth_box(t);
  if (!yolo_usable_truth(tb)) return;
  const int loc = yolo_truth_cell(tb, g.w, g.h);
  const int best = yolo_best_anchor_of(g.anchors, g.total_anchors, tb.w, tb.h, g.net_w, g.net_h);
  for (int n = 0; n < g.num; ++n)
    if (yolo_anchor_responsible(g.anchors, g.mask[n], best, tb, g.iou_thresh, g.net_w, g.net_h)) cell_of[n] = loc;
}

// The targets of the prediction of mask anchor n at cell loc with decoded box pred, given the
// image's truths[count] and their cells[count][num] (yolo_responsible_cells). As assign_targets:
// objectness target 1 for a positive (step 1's truth_thresh truth, or responsible for a truth),
// weight 0 when ignored; the box target is the last responsible truth, else step 1's.
struct YoloSlotTargets {
  float obj_target = 0, obj_weight = 1;
  int step1 = -1;      // the truth_thresh truth, or -1
  int box_truth = -1;  // the truth of the box target, or -1 (not a positive)
};
DN_HD inline bool yolo_slot_responsible(const int* cells, int num, int k, int n, int loc) {
  return cells[static_cast<size_t>(k) * num + n] == loc;
}
DN_HD inline YoloSlotTargets yolo_slot_targets(const YoloGeometry& g, const Box& pred, const YoloTruth* truths,
                                               int count, const int* cells, int n, int loc) {
  YoloBestTruth best;
  for (int k = 0; k < count; ++k) yolo_best_truth_add(best, pred, yolo_truth_box(truths[k]), k);
  YoloSlotTargets t;
  t.obj_weight = yolo_step1_obj_weight(best, g.ignore_thresh);
  t.step1 = t.box_truth = yolo_step1_positive(best, g.truth_thresh);
  if (t.step1 >= 0) t.obj_target = t.obj_weight = 1;
  for (int k = 0; k < count; ++k)
    if (yolo_slot_responsible(cells, g.num, k, n, loc)) {
      t.obj_target = t.obj_weight = 1;
      t.box_truth = k;
    }
  return t;
}
// The positive's labels in assign_targets' order: step 1's truth's class, then each responsible
// truth's class not seen before. Whether truth k adds one:
DN_HD inline bool yolo_slot_new_label(const YoloTruth* truths, const int* cells, int num, int n, int loc,
                                      const YoloSlotTargets& t, int k) {
  if (!yolo_slot_responsible(cells, num, k, n, loc)) return false;
  const int c = truths[k].cls;
  if (t.step1 >= 0 && truths[t.step1].cls == c) return false;
  for (int q = 0; q < k; ++q)
    if (yolo_slot_responsible(cells, num, q, n, loc) && truths[q].cls == c) return false;
  return true;
}
// Whether class c is one of its labels.
DN_HD inline bool yolo_slot_has_label(const YoloTruth* truths, int count, const int* cells, int num, int n, int loc,
                                      const YoloSlotTargets& t, int c) {
  if (t.step1 >= 0 && truths[t.step1].cls == c) return true;
  for (int k = 0; k < count; ++k)
    if (yolo_slot_responsible(cells, num, k, n, loc) && truths[k].cls == c) return true;
  return false;
}

// The positive's class multiplier (counters_per_class): the largest of its labels' (1 without
// multipliers), as yolo_positive_weight.
DN_HD inline float yolo_slot_multiplier(const YoloGeometry& g, const YoloTruth* truths, int count, const int* cells,
                                        int n, int loc, const YoloSlotTargets& t) {
  if (!g.class_multipliers) return 1.f;
  float m = 0.f;
  bool any = false;
  for (int c = 0; c < g.classes; ++c)
    if (yolo_slot_has_label(truths, count, cells, g.num, n, loc, t, c)) {
      m = m < g.class_multipliers[c] ? g.class_multipliers[c] : m;  // std::max's order
      any = true;
    }
  return any ? m : 1.f;
}

// The target of a class logit of a positive (element-wise class loss): 1 for its labels, 0 for
// the others, moved to 1 - eps/2 and eps/2 by label_smooth_eps.
DN_HD inline float yolo_class_target(bool label, float eps) { return label ? 1.f - .5f * eps : .5f * eps; }

// The probability of class c as the detector reports it, for the statistics: the logistic of its
// logit, or the softmax over the classes' logits z[k * stride], k < classes.
DN_HD inline double yolo_class_probability(const float* z, size_t stride, int classes, int c, bool softmax) {
  if (!softmax) return 1.0 / (1.0 + exp(-static_cast<double>(z[static_cast<size_t>(c) * stride])));
  double mx = z[0];
  for (int k = 1; k < classes; ++k) mx = fmax(mx, static_cast<double>(z[static_cast<size_t>(k) * stride]));
  double sum = 0;
  for (int k = 0; k < classes; ++k) sum += exp(z[static_cast<size_t>(k) * stride] - mx);
  return exp(z[static_cast<size_t>(c) * stride] - mx) / sum;
}

}  // namespace dn
