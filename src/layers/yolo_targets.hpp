#pragma once
// Target assignment of a [yolo] layer, for one image (docs/yolo_layer.md, "Target assignment").
//
// Shapes: `logits` is one image's input of the layer, [num][5+classes][h][w]; the per-prediction
// arrays below are [num][h][w] (slot = n*h*w + y*w + x).
#include <vector>

#include "core/box.hpp"
#include "layers/layer.hpp"

namespace dn {

class YoloLayer;

// A prediction with objectness target 1: responsible for a truth, or past truth_thresh.
struct YoloPositive {
  int n = 0, loc = 0;       // anchor (index into the mask) and cell (y*w + x)
  int box_truth = -1;       // the truth whose box is the box target (the last one assigned)
  std::vector<int> labels;  // classes with target 1 (several when truths share the anchor)
};

// One truth's responsible prediction in this layer.
struct YoloAssignment {
  int truth = 0;  // index into the image's truths
  int n = 0, loc = 0;
};

struct YoloTargets {
  std::vector<float> obj_target;  // [num][h][w]: 1 for positives, else 0
  std::vector<float> obj_weight;  // [num][h][w]: 0 = ignored (no objectness loss), else 1
  std::vector<float> best_iou;    // [num][h][w]: best IoU of the predicted box with any truth
  std::vector<int> positive_of;   // [num][h][w]: index into positives, or -1
  std::vector<YoloPositive> positives;
  // In truth order (per truth: its best anchor, then the iou_thresh anchors); truths of other
  // layers are absent.
  std::vector<YoloAssignment> assigned;
};

// The box of anchor n (an index into l.mask) at cell loc decoded from the logits, relative to
// the network input.
Box yolo_predicted_box(const YoloLayer& l, const float* logits, int n, int loc, int net_w, int net_h);

// The best of ALL anchors (index into l.anchors) for a truth of relative size w x h, by the IoU
// of the shapes alone (both boxes centred on the same point); the first wins a tie.
int yolo_best_anchor(const YoloLayer& l, float w, float h, int net_w, int net_h);

// Throws dn::Error when a usable truth's class is outside [0, l.classes) (both backends check).
void yolo_check_truth_classes(const YoloLayer& l, const std::vector<Truth>& truths);

// Darknet's assignment, in its order:
//  1. every prediction whose best IoU with a truth is > ignore_thresh is ignored (weight 0);
//     one whose best IoU is > truth_thresh becomes a positive for that truth;
//  2. every truth makes the best anchor (of all anchors, by shape) at the cell holding its centre
//     responsible, if that anchor is in this layer's mask: objectness target 1, weight 1, its
//     class added to the labels, its box the box target (a later truth replaces the box).
//     With iou_thresh < 1 every other anchor of the mask whose shape IoU with the truth exceeds
//     iou_thresh is made responsible the same way at the same cell (and listed in `assigned`).
// Truths with w or h <= 0 (or not finite) are skipped. Throws dn::Error for a class outside
// [0, classes).
YoloTargets assign_targets(const YoloLayer& l, const float* logits, const std::vector<Truth>& truths, int net_w,
                           int net_h);

}  // namespace dn
