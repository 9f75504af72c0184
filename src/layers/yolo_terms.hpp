#pragma once
// The three loss terms of a [yolo] layer for one image, given fixed targets
// (docs/yolo_layer.md, "The loss terms").
//
// Shapes: `logits` and `grad` are one image's input of the layer and its gradient,
// [num][5+classes][h][w]. Each term ADDS its dLoss/d(logit) into grad (only into its own entries)
// and returns its loss. The targets are piecewise constant in the logits; these functions treat
// them as constants, which is what the gradient checks rely on.
#include <vector>

#include "layers/layer.hpp"

namespace dn {

class YoloLayer;
struct YoloTargets;

// The counters_per_class weight of a positive: the largest class multiplier of its labels
// (l.class_multipliers; 1 when there are none). It weights the positive's box, objectness and
// class terms.
struct YoloPositive;
float yolo_positive_weight(const YoloLayer& l, const YoloPositive& p);

// Box, for every positive with truth T at cell (i, j) and anchor (aw, ah), m its
// yolo_positive_weight:
// - iou_loss=mse (Darknet's): weight s = iou_normalizer * (2 - T.w*T.h) * m, targets
//   tx* = T.x*w - i, ty* = T.y*h - j, tw* = ln(T.w*net_w/aw), th* = ln(T.h*net_h/ah), and with
//   o(t) = scale_x_y * sigmoid(t) - (scale_x_y - 1)/2 the decoded offset,
//   L = s/2 [(o(tx) - tx*)^2 + (o(ty) - ty*)^2 + (tw - tw*)^2 + (th - th*)^2],
//   so dL/d(pred) = s (pred - target), chained through o for x and y.
// - iou_loss=iou|giou|diou|ciou: L = iou_normalizer * m * (1 - IoU/GIoU/DIoU/CIoU) of the decoded
//   box against T (yolo_iou_loss.hpp), gradient chained to the logits (ciou: alpha constant) and
//   clipped to [-max_delta, max_delta].
// Both are yolo_positive_box_term (yolo_iou_loss.hpp), which the CUDA kernel calls too.
double yolo_box_term(const YoloLayer& l, const float* logits, const YoloTargets& t, const std::vector<Truth>& truths,
                     int net_w, int net_h, float* grad);

// Objectness: l.objectness_loss() on every objectness logit, target obj_target, weight
// obj_weight * obj_normalizer (ignored predictions have weight 0).
double yolo_objectness_term(const YoloLayer& l, const float* logits, const YoloTargets& t, float* grad);

// Classes, at the positives only. Element-wise loss: every class logit, target 1 for the
// positive's labels and 0 for the others (label_smooth_eps moves them to 1 - eps/2 and eps/2),
// weight cls_normalizer. Softmax loss: once per label, weight cls_normalizer / (number of labels).
double yolo_class_term(const YoloLayer& l, const float* logits, const YoloTargets& t, float* grad);

}  // namespace dn
