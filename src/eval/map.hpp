#pragma once
// Detection evaluation: greedy matching of detections to truths, average precision per class,
// mAP at one IoU threshold and COCO-style mAP@0.50:0.95, precision/recall/F1 at a confidence
// threshold, and expected calibration error. Pure functions on plain vectors; no network code.
// The exact definitions (tie order, comparisons, empty cases) are in docs/evaluation.md.
#include <string>
#include <vector>

#include "core/box.hpp"

namespace dn {

// One scored box of one class. `image` indexes the evaluated images (0..n-1); the box is in the
// same coordinates as the truths (relative 0..1 or pixels).
struct EvalDetection {
  int image = 0;
  int cls = 0;
  float score = 0;
  Box box;
};

struct EvalTruth {
  int image = 0;
  int cls = 0;
  Box box;
};

struct MapOptions {
  float thresh = .25f;     // confidence threshold (score > thresh) for TP/FP, P, R, F1, avg IoU
  float iou_thresh = .5f;  // a detection matches a truth when IoU > iou_thresh (Darknet's rule)
  int points = 0;          // 0 = area under the monotone precision envelope (all points),
                           // 11 = VOC2007 interpolation, 101 = COCO-style; any N >= 2 works
  int num_images = 0;      // only reported; 0 = 1 + the largest image index seen
};

struct ClassResult {
  int cls = 0;
  std::string name;
  double ap = 0;   // fraction (0..1); 0 for a class without truths
  int tp = 0, fp = 0;  // among this class's detections with score > thresh
  int truths = 0;
};

// One of the 10 equal-width confidence bins used for the ECE.
struct CalibrationBin {
  int count = 0;
  double confidence = 0;  // mean score of the detections in the bin (0 when empty)
  double accuracy = 0;    // fraction of them that matched a truth (0 when empty)
};

struct MapResult {
  std::vector<ClassResult> classes;
  double map50 = 0;     // mAP at opts.iou_thresh with opts.points, Darknet's matching rule
                        // (the name is historical)
  double map_coco = 0;  // mean of map_per_iou: mAP@0.50:0.95, COCO's rule, 101-point interpolation
  std::vector<double> map_per_iou;  // 10 entries: IoU .50, .55, ..., .95 (101 points each)
  double precision = 0, recall = 0, f1 = 0;  // at opts.thresh, all classes together
  int tp = 0, fp = 0, fn = 0;                // at opts.thresh; fn = truths - tp
  double avg_iou = 0;  // mean IoU of the TP detections at opts.thresh, as a FRACTION (0..1);
                       // print_map prints it times 100 like Darknet
  double ece = 0;      // expected calibration error over all detections passed in
  std::vector<CalibrationBin> calibration;  // the 10 ECE bins
  int num_images = 0;
  int detections = 0;  // number of detections passed in
  int truths = 0;      // number of truths passed in
};

// Result of matching one detection (see match_detections).
struct DetectionMatch {
  int truth = -1;   // index into the truths vector, -1 = false positive
  float iou = 0;    // IoU with that truth (0 when unmatched)
};

// Which truth a detection may take (docs/evaluation.md, "Matching").
enum class MatchRule {
  // Darknet's validate_detector_map and the VOC devkit: the truth of its class and image with the
  // highest IoU, if that IoU > iou_thresh; a false positive when that truth was already taken.
  darknet,
  // COCO's: among the still unmatched truths of its class and image, the one with the highest
  // IoU, if that IoU >= iou_thresh.
  coco,
};

// Greedy matching. Detections are visited by score descending; equal scores keep their input
// order (stable sort), and each takes a truth by `rule`; otherwise it is a false positive (so a
// second detection of an already matched truth is a FP; under the COCO rule unless it also
// overlaps another free truth enough). Returns one entry per detection, in input order.
std::vector<DetectionMatch> match_detections(const std::vector<EvalDetection>& dets,
                                             const std::vector<EvalTruth>& truths,
                                             float iou_thresh, MatchRule rule = MatchRule::darknet);

// Average precision of one class from its detections' TP flags in rank order (score
// descending). points = 0: area under the precision envelope p_env(k) = max_{j>=k} p(j), summed
// over ranks as sum_k (r_k - r_{k-1}) p_env(k). points = N >= 2: mean over t = i/(N-1),
// i = 0..N-1, of the largest precision at any rank with recall >= t (0 if none).
// truths == 0 gives 0. Throws dn::Error for points 1 or negative.
double average_precision(const std::vector<bool>& tp_in_rank_order, int truths, int points);

// Expected calibration error: 10 bins [b/10, (b+1)/10) (the last includes 1; scores are clamped
// to [0,1]), ECE = sum_b (n_b/N) |acc_b - conf_b| over all detections; `correct` is per
// detection. 0 when there are no detections. Fills `bins` (10 entries) when given.
double expected_calibration_error(const std::vector<EvalDetection>& dets,
                                  const std::vector<bool>& correct,
                                  std::vector<CalibrationBin>* bins = nullptr);

// The whole evaluation. `names` may be empty (classes are then named by number); otherwise it
// needs at least num_classes entries. Throws dn::Error for a class or image index out of range,
// a NaN score or invalid options.
MapResult evaluate_map(const std::vector<EvalDetection>& dets,
                       const std::vector<EvalTruth>& truths, int num_classes,
                       const std::vector<std::string>& names, const MapOptions& opts);

}  // namespace dn
