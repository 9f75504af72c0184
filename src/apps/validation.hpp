#pragma once
// Running a detector over a list of images with known labels: the shared part of
// `detector map`, `valid`, `recall` and training with -map.
#include <string>
#include <vector>

#include "detect/detector.hpp"
#include "eval/map.hpp"
#include "eval/results_io.hpp"

namespace dn {

struct ValidationData {
  std::vector<std::string> paths;
  std::vector<ImageInfo> images;      // id and size of each image
  std::vector<EvalTruth> truths;      // relative boxes
  std::vector<EvalDetection> dets;    // relative boxes, one entry per (box, class) with prob > 0
  std::vector<EvalDetection> boxes;   // one entry per box, score = objectness (for recall)
};

// The images of a list file (paths relative to the list's folder), their labels, and the
// detector's detections at `thresh` after NMS at `nms`. Unreadable images are reported and skipped.
ValidationData run_validation(Detector& det, const std::string& list_path, int classes, float thresh, float nms,
                              bool quiet = false);

// Copies every layer's weights from one network into another of the same cfg.
void copy_weights(const Network& from, Network& to);

}  // namespace dn
