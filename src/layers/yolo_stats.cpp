#include "layers/yolo_stats.hpp"

#include <cmath>
#include <cstdio>

#include "layers/yolo.hpp"
#include "layers/yolo_assign.hpp"
#include "layers/yolo_targets.hpp"

namespace dn {

namespace {
inline double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

void YoloStatsAccumulator::add_image(const YoloLayer& l, const float* logits, const YoloTargets& t,
                                     const std::vector<Truth>& truths, int net_w, int net_h) {
  const int hw = l.out.h * l.out.w, C = l.classes;
  for (int n = 0; n < l.mask_size(); ++n)
    for (int loc = 0; loc < hw; ++loc) no_obj_ += logistic(logits[l.entry_index(0, n, 4, loc)]);
  anchors_ += static_cast<long long>(l.mask_size()) * hw;
  for (const YoloAssignment& a : t.assigned) {
    const Truth& tr = truths[a.truth];
    const float iou = box_iou(yolo_predicted_box(l, logits, a.n, a.loc, net_w, net_h), tr.box);
    iou_ += iou;
    recall50_ += iou > .5f;
    recall75_ += iou > .75f;
    obj_ += logistic(logits[l.entry_index(0, a.n, 4, a.loc)]);
    cls_ += yolo_class_probability(logits + l.entry_index(0, a.n, 5, a.loc), hw, C, tr.cls,
                                   l.class_softmax_loss() != nullptr);
    ++count_;
  }
}

YoloStats YoloStatsAccumulator::finish(double box_loss, double obj_loss, double cls_loss) const {
  YoloStats s;
  s.count = count_;
  s.anchors = anchors_;
  if (count_ > 0) {
    s.avg_iou = static_cast<float>(iou_ / count_);
    s.avg_class = static_cast<float>(cls_ / count_);
    s.avg_obj = static_cast<float>(obj_ / count_);
    s.recall50 = static_cast<float>(static_cast<double>(recall50_) / count_);
    s.recall75 = static_cast<float>(static_cast<double>(recall75_) / count_);
  }
  if (anchors_ > 0) s.avg_no_obj = static_cast<float>(no_obj_ / static_cast<double>(anchors_));
  s.box_loss = box_loss;
  s.obj_loss = obj_loss;
  s.cls_loss = cls_loss;
  return s;
}

std::string format_yolo_stats(const YoloLayer& l, const YoloStats& s) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "; normalizer iou: %.2f, obj: %.2f, cls: %.2f) Region %d Avg IOU: %f, Class: %f, Obj: %f, "
                "No Obj: %f, .5R: %f, .75R: %f, count: %d, box_loss = %.6g, obj_loss = %.6g, cls_loss = %.6g, "
                "total_loss = %.6g",
                l.iou_normalizer, l.obj_normalizer, l.cls_normalizer, l.index, s.avg_iou, s.avg_class, s.avg_obj,
                s.avg_no_obj, s.recall50, s.recall75, s.count, s.box_loss, s.obj_loss, s.cls_loss, s.total_loss());
  return "v3 (" + l.loss_summary() + buf;
}

}  // namespace dn
