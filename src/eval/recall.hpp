#pragma once
// Statistics of Darknet's `detector recall`: class-agnostic, how many truths are covered by some
// proposal, running totals printed after every image.
#include <string>
#include <vector>

#include "eval/map.hpp"

namespace dn {

struct RecallOptions {
  float thresh = .001f;    // a detection is a proposal when score > thresh (Darknet: objectness)
  float iou_thresh = .5f;  // a truth is found when its best proposal IoU > iou_thresh
};

// Running totals after image `image` (0-based), as Darknet prints them.
struct RecallLine {
  int image = 0;
  int correct = 0;    // truths so far whose best proposal IoU > iou_thresh
  int total = 0;      // truths so far
  int proposals = 0;  // detections so far with score > thresh
  double rps_per_image = 0;  // proposals / (image + 1)
  double avg_iou = 0;        // mean over truths so far of the best proposal IoU, FRACTION
  double recall = 0;         // correct / total, FRACTION (0 when total is 0)
};

// One line per image 0..num_images-1. Classes are ignored; pass one detection per box with its
// objectness as the score (a box listed once per class counts once per class). A truth's best
// IoU is over all proposals of its image, with no one-to-one matching, as in Darknet.
std::vector<RecallLine> recall_statistics(const std::vector<EvalDetection>& dets,
                                          const std::vector<EvalTruth>& truths, int num_images,
                                          const RecallOptions& opts);

// "%5d %5d %5d\tRPs/Img: %.2f\tIOU: %.2f%%\tRecall:%.2f%%" (image, correct, total, ...; the IoU
// and recall in percent), without the newline.
std::string format_recall_line(const RecallLine& line);

}  // namespace dn
