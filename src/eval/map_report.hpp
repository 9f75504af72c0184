#pragma once
// Printing an evaluation the way Darknet's `detector map` does, plus our extra lines, and the
// same numbers as JSON (for `-out map.json`; write it with write_text_file_atomic).
#include <cstdio>
#include <string>

#include "eval/map.hpp"

namespace dn {

// The text print_map writes:
//   " detections_count = D, unique_truth_count = U  "
//   "class_id = 0, name = RBC, ap = 75.43%   \t (TP = 123, FP = 45) "   (one per class)
//   " for conf_thresh = 0.25, precision = 0.80, recall = 0.70, F1-score = 0.75 "
//   " for conf_thresh = 0.25, TP = 3, FP = 2, FN = 0, average IoU = 61.23 % "
//   " IoU threshold = 50 %, used Area-Under-Curve for each unique Recall "
//        (or "used 11 Recall-points ")
//   " mean average precision (mAP@0.50) = 0.754321, or 75.43 % "
//   " mean average precision (mAP@0.50:0.95) = 0.512345, or 51.23 % "
//   " expected calibration error (ECE, 10 bins) = 0.123456 "
std::string format_map(const MapResult& r, const MapOptions& opts);
void print_map(std::FILE* out, const MapResult& r, const MapOptions& opts);

// Every printed number, unrounded, plus the per-IoU mAPs and the calibration bins. Fractions
// stay fractions (ap, precision, avg_iou ...); nothing is in percent.
std::string map_to_json(const MapResult& r, const MapOptions& opts);

}  // namespace dn
