#pragma once
// Statistics of a [yolo] layer in training: what Darknet prints per layer and iteration (Avg IOU,
// Class, Obj, No Obj, .5R, .75R, count) plus the real loss of each term.
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace dn {

class YoloLayer;
struct YoloTargets;

// One training forward of one layer, over the whole mini-batch. The averages are over the
// truths this layer is responsible for (0 when count is 0), except avg_no_obj.
struct YoloStats {
  int count = 0;            // (truth, responsible anchor) pairs in this layer
  long long anchors = 0;    // predictions: batch * num * h * w
  float avg_iou = 0;        // IoU of the responsible anchor's predicted box with its truth
  float avg_class = 0;      // probability of the truth's class at the responsible anchor
  float avg_obj = 0;        // objectness at the responsible anchor
  float avg_no_obj = 0;     // objectness averaged over every prediction
  float recall50 = 0;       // fraction of the count with IoU > .5
  float recall75 = 0;       // fraction of the count with IoU > .75
  double box_loss = 0;      // each term's loss (normalizer included), summed over the mini-batch
  double obj_loss = 0;
  double cls_loss = 0;
  double total_loss() const { return box_loss + obj_loss + cls_loss; }
};

// Sums over the images of a mini-batch, turned into YoloStats by finish().
class YoloStatsAccumulator {
 public:
  // logits: image's input [num][5+classes][h][w]; t: its targets; truths: its truths.
  void add_image(const YoloLayer& l, const float* logits, const YoloTargets& t, const std::vector<Truth>& truths,
                 int net_w, int net_h);
  YoloStats finish(double box_loss, double obj_loss, double cls_loss) const;

 private:
  double iou_ = 0, cls_ = 0, obj_ = 0, no_obj_ = 0;
  int count_ = 0, recall50_ = 0, recall75_ = 0;
  long long anchors_ = 0;
};

// "v3 (box=mse, obj=bce, cls=bce; normalizer iou: 1.00, obj: 1.00, cls: 1.00) Region 82 Avg IOU:
// 0.331200, Class: ..., Obj: ..., No Obj: ..., .5R: ..., .75R: ..., count: 8, box_loss = ...,
// obj_loss = ..., cls_loss = ..., total_loss = ..."
std::string format_yolo_stats(const YoloLayer& l, const YoloStats& s);

}  // namespace dn
