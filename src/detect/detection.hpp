#pragma once
// From YOLO layer outputs to detections on the original image: thresholding, undoing the
// letterbox/resize, per-class non-maximum suppression, drawing and reporting.
#include <string>
#include <vector>

#include "core/box.hpp"
#include "image/image.hpp"

namespace dn {

class Network;
class YoloLayer;

struct Detection {
  Box bbox;                 // relative to the original image (0..1)
  float objectness = 0;
  std::vector<float> prob;  // objectness * p(class), 0 where <= thresh
};

// Darknet's get_network_boxes for image b of the batch: every anchor of every [yolo] layer whose
// objectness > thresh, boxes mapped back from the network input to an img_w x img_h image that
// was letterboxed (letterbox=true) or stretched to the network size.
std::vector<Detection> get_network_detections(Network& net, int b, int img_w, int img_h, float thresh, bool letterbox);
std::vector<Detection> get_yolo_detections(const YoloLayer& l, int b, int net_w, int net_h, int img_w, int img_h,
                                           float thresh, bool letterbox);

// How detections are suppressed: the overlap measure of the network's last [yolo] layer
// (nms_kind, beta_nms) and the threshold (-nms, .45 by default; <= 0 skips NMS).
constexpr float kDefaultNmsThresh = .45f;
struct NmsOptions {
  float thresh = kDefaultNmsThresh;
  NmsKind kind = NmsKind::iou;
  float beta = .6f;  // the DIoU power of NmsKind::diou
};
// The options a network's cfg asks for, with the given threshold.
NmsOptions network_nms(Network& net, float thresh);

// Overlap of two boxes as NMS of `kind` measures it: IoU, or AlexeyAB's DIoU (box_diou_nms).
float nms_overlap(const Box& a, const Box& b, const NmsOptions& o);

// Darknet's do_nms_sort (and AlexeyAB's diounms_sort for the DIoU kinds): detections with zero
// objectness are dropped; then for each class, in the order of that class's probability
// (descending; ties keep their order), each box that still has the class takes it away from
// every later box that overlaps it by more than the threshold. A box that lost the class is
// skipped: it never suppresses anything.
void nms_sort(std::vector<Detection>& dets, int classes, const NmsOptions& o);

// Console lines as Darknet's test prints them ("name: NN%"; with ext_output the box in pixels).
void print_detections(FILE* f, const std::vector<Detection>& dets, const std::vector<std::string>& names, float thresh,
                      int img_w, int img_h, bool ext_output);
// Boxes and labels drawn on the image (labels: every class above thresh, comma separated).
void draw_detections(Image& im, const std::vector<Detection>& dets, const std::vector<std::string>& names, float thresh);
// One image's entry of the -out JSON array (compat.md).
std::string detections_json(int frame_id, const std::string& filename, const std::vector<Detection>& dets,
                            const std::vector<std::string>& names, float thresh);

}  // namespace dn
