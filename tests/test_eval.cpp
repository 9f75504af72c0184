// Evaluation tests: every expected number below is worked out by hand in the comments.
// Boxes are in pixels. Two 20x20 boxes whose centres differ by d horizontally overlap in a
// (20-d) x 20 rectangle, so IoU = 20(20-d) / (800 - 20(20-d)) = (20-d)/(20+d):
//   d=0 -> 1,  d=1 -> 19/21,  d=2 -> 9/11 = .818,  d=3 -> 17/23 = .739,  d=4 -> 2/3,  d=5 -> .6
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/fileio.hpp"
#include "eval/map.hpp"
#include "eval/map_report.hpp"
#include "eval/recall.hpp"
#include "eval/results_io.hpp"

namespace fs = std::filesystem;
using namespace dn;

namespace {

Box sq(float x, float y, float side = 20) { return {x, y, side, side}; }

EvalDetection det(int image, int cls, float score, Box b) { return {image, cls, score, b}; }
EvalTruth truth(int image, int cls, Box b) { return {image, cls, b}; }

MapOptions opts_with(int points = 0, float thresh = .25f) {
  MapOptions o;
  o.points = points;
  o.thresh = thresh;
  return o;
}

// A fresh, empty directory under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("dn_test_eval_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// The number after "key": in a JSON text (first occurrence).
double json_value(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\": ";
  size_t at = json.find(k);
  if (at == std::string::npos) ADD_FAILURE() << "key " << key << " missing in\n" << json;
  return at == std::string::npos ? NAN : std::strtod(json.c_str() + at + k.size(), nullptr);
}

// The basic case: one class, one image, three separate truths A, B, C and five detections
//   rank 1: .9 on A (TP)   rank 2: .8 on nothing (FP)   rank 3: .7 on B (TP)
//   rank 4: .6 on nothing (FP)   rank 5: .5 on C (TP)
// precision / recall per rank: 1 / 1/3, 1/2 / 1/3, 2/3 / 2/3, 2/4 / 2/3, 3/5 / 1.
// Envelope (max precision at this rank or later): 1, 2/3, 2/3, .6, .6.
struct BasicCase {
  std::vector<EvalTruth> truths = {truth(0, 0, sq(50, 50)), truth(0, 0, sq(150, 50)),
                                   truth(0, 0, sq(250, 50))};
  std::vector<EvalDetection> dets = {det(0, 0, .9f, sq(50, 50)), det(0, 0, .8f, sq(50, 250)),
                                     det(0, 0, .7f, sq(150, 50)), det(0, 0, .6f, sq(150, 250)),
                                     det(0, 0, .5f, sq(250, 50))};
};

}  // namespace

// ---------------------------------------------------------------- average precision

TEST(EvalAp, AllPointAreaUnderEnvelope) {
  // Recall steps: 0 -> 1/3 at rank 1 (envelope 1), 1/3 -> 2/3 at rank 3 (envelope 2/3),
  // 2/3 -> 1 at rank 5 (envelope .6):  AP = 1/3 + 2/9 + 1/5 = (15 + 10 + 9)/45 = 34/45.
  BasicCase c;
  MapResult r = evaluate_map(c.dets, c.truths, 1, {"RBC"}, opts_with(0));
  EXPECT_NEAR(r.classes[0].ap, 34.0 / 45, 1e-12);
  EXPECT_NEAR(r.map50, 34.0 / 45, 1e-12);
  EXPECT_NEAR(average_precision({true, false, true, false, true}, 3, 0), 34.0 / 45, 1e-12);
}

TEST(EvalAp, ElevenPointVoc2007) {
  // t = 0, .1, .2, .3 (recall 1/3 reached at rank 1): max precision 1        -> 4 x 1
  // t = .4, .5, .6 (recall 2/3 first at rank 3): max(2/3, .5, .6) = 2/3      -> 3 x 2/3
  // t = .7, .8, .9, 1 (only rank 5, recall 1): .6                            -> 4 x .6
  // AP = (4 + 2 + 2.4) / 11 = 8.4 / 11.
  BasicCase c;
  MapResult r = evaluate_map(c.dets, c.truths, 1, {}, opts_with(11));
  EXPECT_NEAR(r.classes[0].ap, 8.4 / 11, 1e-12);
  EXPECT_NEAR(average_precision({true, false, true, false, true}, 3, 11), 8.4 / 11, 1e-12);
}

TEST(EvalAp, HundredOnePointCoco) {
  // t = i/100. i = 0..33 (t <= 1/3): 1, 34 points; i = 34..66 (t <= 2/3): 2/3, 33 points;
  // i = 67..100: .6, 34 points.  AP = (34 + 22 + 20.4) / 101 = 76.4 / 101.
  BasicCase c;
  MapResult r = evaluate_map(c.dets, c.truths, 1, {}, opts_with(101));
  EXPECT_NEAR(r.classes[0].ap, 76.4 / 101, 1e-12);
}

TEST(EvalAp, EdgeCases) {
  EXPECT_EQ(average_precision({}, 3, 0), 0);            // no detections
  EXPECT_EQ(average_precision({true}, 0, 0), 0);        // no truths
  EXPECT_NEAR(average_precision({true}, 2, 0), .5, 1e-12);  // half the recall at precision 1
  // 11 points, recall .5 at precision 1: t = 0..0.5 -> 6 points of 1, the rest 0 -> 6/11.
  EXPECT_NEAR(average_precision({true}, 2, 11), 6.0 / 11, 1e-12);
  EXPECT_THROW(average_precision({true}, 1, 1), Error);
}

// ---------------------------------------------------------------- counts at thresh

TEST(EvalCounts, PrecisionRecallF1AtThresh) {
  BasicCase c;
  // thresh .25: all five count. TP 3, FP 2, FN 0; P = .6, R = 1, F1 = 2*.6/1.6 = .75.
  MapResult r = evaluate_map(c.dets, c.truths, 1, {}, opts_with(0, .25f));
  EXPECT_EQ(r.tp, 3);
  EXPECT_EQ(r.fp, 2);
  EXPECT_EQ(r.fn, 0);
  EXPECT_EQ(r.classes[0].tp, 3);
  EXPECT_EQ(r.classes[0].fp, 2);
  EXPECT_EQ(r.classes[0].truths, 3);
  EXPECT_NEAR(r.precision, .6, 1e-12);
  EXPECT_NEAR(r.recall, 1, 1e-12);
  EXPECT_NEAR(r.f1, .75, 1e-12);
  EXPECT_NEAR(r.avg_iou, 1, 1e-6);  // the TPs sit exactly on their truths
  // thresh .65: .9 (TP), .8 (FP), .7 (TP). TP 2, FP 1, FN 1; P = R = F1 = 2/3.
  // The AP does not depend on thresh: it still uses all five.
  r = evaluate_map(c.dets, c.truths, 1, {}, opts_with(0, .65f));
  EXPECT_EQ(r.tp, 2);
  EXPECT_EQ(r.fp, 1);
  EXPECT_EQ(r.fn, 1);
  EXPECT_NEAR(r.precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.recall, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.f1, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.map50, 34.0 / 45, 1e-12);
  // A detection exactly at thresh does not count (score > thresh, as Darknet's prob > thresh).
  r = evaluate_map(c.dets, c.truths, 1, {}, opts_with(0, .5f));
  EXPECT_EQ(r.tp + r.fp, 4);
}

// ---------------------------------------------------------------- matching

TEST(EvalMatching, TiedScoresKeepInputOrder) {
  // One truth, two detections with the same score .8: one on the truth, one elsewhere.
  const std::vector<EvalTruth> truths = {truth(0, 0, sq(50, 50))};
  const EvalDetection hit = det(0, 0, .8f, sq(50, 50)), miss = det(0, 0, .8f, sq(200, 200));
  // Miss first: rank 1 FP (P 0, R 0), rank 2 TP (P 1/2, R 1) -> AP = 1 * 1/2 = .5.
  MapResult r = evaluate_map({miss, hit}, truths, 1, {}, opts_with(0));
  EXPECT_NEAR(r.map50, .5, 1e-12);
  // Hit first: rank 1 TP (P 1, R 1) -> AP = 1.
  r = evaluate_map({hit, miss}, truths, 1, {}, opts_with(0));
  EXPECT_NEAR(r.map50, 1, 1e-12);
  // Either way the counts at thresh are the same.
  EXPECT_EQ(r.tp, 1);
  EXPECT_EQ(r.fp, 1);
}

TEST(EvalMatching, DuplicateDetectionsOfOneTruthAreFalsePositives) {
  // One truth at (50,50); detections .9 at d=5 (IoU .6), .8 exactly on it (IoU 1), .7 at d=2
  // (IoU 9/11). Greedy by score: .9 takes the truth although .8 overlaps it better; .8 and .7
  // find it taken -> FP. Ranks TP, FP, FP -> AP = 1 (recall 1 at precision 1).
  const std::vector<EvalTruth> truths = {truth(0, 0, sq(50, 50))};
  const std::vector<EvalDetection> dets = {det(0, 0, .9f, sq(55, 50)), det(0, 0, .8f, sq(50, 50)),
                                           det(0, 0, .7f, sq(52, 50))};
  MapResult r = evaluate_map(dets, truths, 1, {}, opts_with(0));
  EXPECT_NEAR(r.map50, 1, 1e-12);
  EXPECT_EQ(r.tp, 1);
  EXPECT_EQ(r.fp, 2);
  EXPECT_EQ(r.fn, 0);
  EXPECT_NEAR(r.precision, 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.avg_iou, .6, 1e-6);  // the IoU of the only TP
  auto m = match_detections(dets, truths, .5f);
  EXPECT_EQ(m[0].truth, 0);
  EXPECT_NEAR(m[0].iou, .6, 1e-6);
  EXPECT_EQ(m[1].truth, -1);
  EXPECT_EQ(m[2].truth, -1);
}

TEST(EvalMatching, DarknetTakesTheBestTruthCocoTheBestFreeOne) {
  // Truths T1 at (50,50) and T2 at (54,50). D1 (.9) at (51,50): IoU 19/21 with T1, 17/23 with
  // T2 -> takes T1 under both rules. D2 (.8) at (50,50): IoU 1 with T1 (taken), 2/3 with T2.
  // Darknet (and the VOC devkit): D2's best truth is T1, already taken -> FP; AP = 1/2.
  // COCO: D2 takes the best free truth, T2 -> TP; AP = 1.
  const std::vector<EvalTruth> truths = {truth(0, 0, sq(50, 50)), truth(0, 0, sq(54, 50))};
  const std::vector<EvalDetection> dets = {det(0, 0, .9f, sq(51, 50)), det(0, 0, .8f, sq(50, 50))};
  auto m = match_detections(dets, truths, .5f, MatchRule::coco);
  EXPECT_EQ(m[0].truth, 0);
  EXPECT_NEAR(m[0].iou, 19.0 / 21, 1e-6);
  EXPECT_EQ(m[1].truth, 1);
  EXPECT_NEAR(m[1].iou, 2.0 / 3, 1e-6);
  m = match_detections(dets, truths, .5f);  // Darknet's rule by default
  EXPECT_EQ(m[0].truth, 0);
  EXPECT_EQ(m[1].truth, -1);
  MapResult r = evaluate_map(dets, truths, 1, {}, opts_with(0));
  EXPECT_NEAR(r.map50, .5, 1e-12);
  EXPECT_EQ(r.tp, 1);
  EXPECT_EQ(r.fp, 1);
  EXPECT_NEAR(r.avg_iou, 19.0 / 21, 1e-6);
  // mAP@.5:.95 uses COCO's rule: at IoU .5 both are TPs (AP 1, 101 points).
  EXPECT_NEAR(r.map_per_iou[0], 1, 1e-12);
}

TEST(EvalMatching, DarknetNeedsIouAboveTheThresholdCocoAtLeastIt) {
  // A 6x6 detection 2 to the right of its 6x6 truth: intersection 4*6 = 24, union 72 - 24 = 48,
  // IoU .5 exactly. Darknet's IoU > .5 fails, COCO's IoU >= .5 holds.
  const std::vector<EvalTruth> truths = {truth(0, 0, Box{50, 50, 6, 6})};
  const std::vector<EvalDetection> dets = {det(0, 0, .9f, Box{52, 50, 6, 6})};
  ASSERT_EQ(box_iou(dets[0].box, truths[0].box), .5f);
  EXPECT_EQ(match_detections(dets, truths, .5f)[0].truth, -1);
  EXPECT_EQ(match_detections(dets, truths, .5f, MatchRule::coco)[0].truth, 0);
}

TEST(EvalMatching, WrongClassEmptyClassAndImageWithoutTruths) {
  // Classes a, b, c. One truth: image 0, class a, at A.
  //  - .99 class b on A in image 0: wrong class -> FP of class b (and does not use the truth);
  //  - .95 class a on A in image 1: image 1 has no truths -> FP of class a;
  //  - .90 class a on A in image 0: TP.
  // Class a ranks: FP (P 0, R 0), TP (P 1/2, R 1) -> AP .5. Class b has no truths -> AP 0;
  // class c has nothing -> AP 0. mAP = mean over all 3 classes = .5 / 3.
  const std::vector<EvalTruth> truths = {truth(0, 0, sq(50, 50))};
  const std::vector<EvalDetection> dets = {det(0, 1, .99f, sq(50, 50)), det(1, 0, .95f, sq(50, 50)),
                                           det(0, 0, .90f, sq(50, 50))};
  MapResult r = evaluate_map(dets, truths, 3, {"a", "b", "c"}, opts_with(0));
  ASSERT_EQ(r.classes.size(), 3u);
  EXPECT_NEAR(r.classes[0].ap, .5, 1e-12);
  EXPECT_EQ(r.classes[1].ap, 0);
  EXPECT_EQ(r.classes[2].ap, 0);
  EXPECT_NEAR(r.map50, .5 / 3, 1e-12);
  EXPECT_EQ(r.classes[0].tp, 1);
  EXPECT_EQ(r.classes[0].fp, 1);
  EXPECT_EQ(r.classes[1].tp, 0);
  EXPECT_EQ(r.classes[1].fp, 1);
  EXPECT_EQ(r.classes[1].truths, 0);
  EXPECT_EQ(r.classes[2].name, "c");
  EXPECT_EQ(r.tp, 1);
  EXPECT_EQ(r.fp, 2);
  EXPECT_EQ(r.fn, 0);
  EXPECT_EQ(r.num_images, 2);
}

TEST(EvalMatching, EmptyInputAndBadInput) {
  MapResult r = evaluate_map({}, {}, 2, {}, opts_with(0));
  EXPECT_EQ(r.map50, 0);
  EXPECT_EQ(r.map_coco, 0);
  EXPECT_EQ(r.precision, 0);
  EXPECT_EQ(r.recall, 0);
  EXPECT_EQ(r.f1, 0);
  EXPECT_EQ(r.ece, 0);
  EXPECT_EQ(r.classes[1].name, "1");
  EXPECT_THROW(evaluate_map({det(0, 2, .5f, sq(1, 1))}, {}, 2, {}, opts_with(0)), Error);
  EXPECT_THROW(evaluate_map({}, {truth(0, -1, sq(1, 1))}, 2, {}, opts_with(0)), Error);
  EXPECT_THROW(evaluate_map({}, {}, 2, {"only one"}, opts_with(0)), Error);
  EXPECT_THROW(evaluate_map({}, {}, 2, {}, opts_with(1)), Error);
}

// ---------------------------------------------------------------- mAP@0.50:0.95

TEST(EvalCoco, MeanOverIouThresholds) {
  // Two truths; D1 (.9) at d=4 from T1 (IoU 2/3), D2 (.8) at d=2 from T2 (IoU 9/11 = .818).
  //  IoU .50, .55, .60, .65: both TP -> AP 1.
  //  IoU .70, .75, .80: D1 FP, D2 TP -> ranks (P 0, R 0), (P .5, R .5); 101 points: t <= .5
  //    (i = 0..50, 51 points) get .5, the rest 0 -> AP = 25.5/101.
  //  IoU .85, .90, .95: both FP -> AP 0.
  //  mAP@.5:.95 = (4 + 3 * 25.5/101) / 10.
  const std::vector<EvalTruth> truths = {truth(0, 0, sq(50, 50)), truth(0, 0, sq(150, 50))};
  const std::vector<EvalDetection> dets = {det(0, 0, .9f, sq(54, 50)), det(0, 0, .8f, sq(152, 50))};
  MapResult r = evaluate_map(dets, truths, 1, {}, opts_with(0));
  ASSERT_EQ(r.map_per_iou.size(), 10u);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(r.map_per_iou[k], 1, 1e-12) << k;
  for (int k = 4; k < 7; ++k) EXPECT_NEAR(r.map_per_iou[k], 25.5 / 101, 1e-12) << k;
  for (int k = 7; k < 10; ++k) EXPECT_NEAR(r.map_per_iou[k], 0, 1e-12) << k;
  EXPECT_NEAR(r.map_coco, (4 + 3 * 25.5 / 101) / 10, 1e-12);
  EXPECT_NEAR(r.map50, 1, 1e-12);
  EXPECT_NEAR(r.avg_iou, (2.0 / 3 + 9.0 / 11) / 2, 1e-6);
  // At iou_thresh .75 with all points: D1 FP, D2 TP -> AP = .5 * .5 = .25.
  MapOptions o = opts_with(0);
  o.iou_thresh = .75f;
  EXPECT_NEAR(evaluate_map(dets, truths, 1, {}, o).map50, .25, 1e-12);
}

// ---------------------------------------------------------------- calibration

TEST(EvalCalibration, ExpectedCalibrationError) {
  // Three truths; detections .95 (correct), .85 (wrong), .55 (correct), .45 (wrong),
  // .42 (correct). Bins: [.9,1): {.95} acc 1 conf .95 -> |.05|; [.8,.9): {.85} acc 0 -> .85;
  // [.5,.6): {.55} acc 1 -> .45; [.4,.5): {.45,.42} acc .5 conf .435 -> .065.
  // ECE = (.05 + .85 + .45 + 2 * .065) / 5 = 1.48 / 5 = .296.
  const std::vector<EvalTruth> truths = {truth(0, 0, sq(50, 50)), truth(0, 0, sq(150, 50)),
                                         truth(0, 0, sq(250, 50))};
  const std::vector<EvalDetection> dets = {
      det(0, 0, .95f, sq(50, 50)), det(0, 0, .85f, sq(50, 250)), det(0, 0, .55f, sq(150, 50)),
      det(0, 0, .45f, sq(150, 250)), det(0, 0, .42f, sq(250, 50))};
  MapResult r = evaluate_map(dets, truths, 1, {}, opts_with(0));
  EXPECT_NEAR(r.ece, .296, 1e-6);
  ASSERT_EQ(r.calibration.size(), 10u);
  EXPECT_EQ(r.calibration[4].count, 2);
  EXPECT_NEAR(r.calibration[4].confidence, .435, 1e-6);
  EXPECT_NEAR(r.calibration[4].accuracy, .5, 1e-12);
  EXPECT_EQ(r.calibration[9].count, 1);
  EXPECT_EQ(r.calibration[0].count, 0);
  // Perfect calibration: a score-1 hit and a score-0 miss -> bins 9 and 0, both exact -> 0.
  EXPECT_NEAR(expected_calibration_error({det(0, 0, 1.f, sq(1, 1)), det(0, 0, 0.f, sq(1, 1))},
                                         {true, false}),
              0, 1e-12);
}

// ---------------------------------------------------------------- printing and JSON

TEST(EvalReport, PrintsDarknetLines) {
  BasicCase c;
  MapOptions o = opts_with(0);
  MapResult r = evaluate_map(c.dets, c.truths, 1, {"RBC"}, o);
  const std::string s = format_map(r, o);
  // AP 34/45 = 75.56 %; P .6, R 1, F1 .75; 101-point mAP at every IoU = 76.4/101 = .756436.
  EXPECT_NE(s.find(" detections_count = 5, unique_truth_count = 3  \n"), std::string::npos) << s;
  EXPECT_NE(s.find("class_id = 0, name = RBC, ap = 75.56%   \t (TP = 3, FP = 2) \n"),
            std::string::npos) << s;
  EXPECT_NE(s.find(" for conf_thresh = 0.25, precision = 0.60, recall = 1.00, F1-score = 0.75 \n"),
            std::string::npos) << s;
  EXPECT_NE(s.find(" for conf_thresh = 0.25, TP = 3, FP = 2, FN = 0, average IoU = 100.00 % \n"),
            std::string::npos) << s;
  EXPECT_NE(s.find(" IoU threshold = 50 %, used Area-Under-Curve for each unique Recall \n"),
            std::string::npos) << s;
  EXPECT_NE(s.find(" mean average precision (mAP@0.50) = 0.755556, or 75.56 % \n"),
            std::string::npos) << s;
  EXPECT_NE(s.find(" mean average precision (mAP@0.50:0.95) = 0.756436, or 75.64 % \n"),
            std::string::npos) << s;
  // ECE: the float .9f is 0.89999997..., so it falls in bin [.8,.9) with .8f: acc 1/2, conf .85
  // -> .35; bin [.6,.7): .7f, .6f: acc 1/2, conf .65 -> .15; bin [.5,.6): .5: acc 1 -> .5.
  // ECE = (2 * .35 + 2 * .15 + .5) / 5 = .3.
  EXPECT_NE(s.find(" expected calibration error (ECE, 10 bins) = 0.300000 \n"), std::string::npos)
      << s;
  o.points = 11;
  EXPECT_NE(format_map(evaluate_map(c.dets, c.truths, 1, {"RBC"}, o), o)
                .find(" IoU threshold = 50 %, used 11 Recall-points \n"),
            std::string::npos);
}

TEST(EvalReport, JsonHasEveryNumber) {
  BasicCase c;
  MapOptions o = opts_with(0);
  MapResult r = evaluate_map(c.dets, c.truths, 1, {"R\"B\"C"}, o);
  const std::string j = map_to_json(r, o);
  EXPECT_NEAR(json_value(j, "map50"), 34.0 / 45, 1e-9);
  EXPECT_NEAR(json_value(j, "map_coco"), 76.4 / 101, 1e-9);
  EXPECT_NEAR(json_value(j, "ap"), 34.0 / 45, 1e-9);
  EXPECT_NEAR(json_value(j, "precision"), .6, 1e-9);
  EXPECT_NEAR(json_value(j, "recall"), 1, 1e-9);
  EXPECT_NEAR(json_value(j, "f1"), .75, 1e-9);
  EXPECT_EQ(json_value(j, "tp"), 3);
  EXPECT_EQ(json_value(j, "fp"), 2);
  EXPECT_EQ(json_value(j, "fn"), 0);
  EXPECT_NEAR(json_value(j, "avg_iou"), 1, 1e-6);
  EXPECT_NEAR(json_value(j, "ece"), r.ece, 1e-9);
  EXPECT_NEAR(json_value(j, "thresh"), .25, 1e-7);
  EXPECT_NEAR(json_value(j, "iou_thresh"), .5, 1e-7);
  EXPECT_EQ(json_value(j, "points"), 0);
  EXPECT_EQ(json_value(j, "detections_count"), 5);
  EXPECT_EQ(json_value(j, "unique_truth_count"), 3);
  EXPECT_EQ(json_value(j, "truths"), 3);
  EXPECT_NE(j.find("\"name\": \"R\\\"B\\\"C\""), std::string::npos) << j;  // escaped
  EXPECT_NE(j.find("\"map_per_iou\": ["), std::string::npos);
}

// ---------------------------------------------------------------- atomic write

TEST(EvalFileIo, AtomicWriteLeavesNoTempFile) {
  TempDir dir;
  const std::string path = dir.file("map.json");
  write_text_file_atomic(path, "first");
  write_text_file_atomic(path, "{\"map50\": 0.5}\n");  // replaces
  EXPECT_EQ(read_text_file(path), "{\"map50\": 0.5}\n");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "map.json");
  }
  EXPECT_EQ(files, 1);
}

TEST(EvalFileIo, AtomicWriteFailsNamingThePath) {
  const std::string bad = "/nonexistent_dn_dir/sub/map.json";
  try {
    write_text_file_atomic(bad, "x");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_text_file(bad), Error);
}

// ---------------------------------------------------------------- VOC / COCO result files

TEST(EvalResults, VocWrittenReadBackAndRescored) {
  TempDir dir;
  const std::vector<std::string> names = {"cell", "dog"};
  const std::vector<ImageInfo> images = {{"img_001", 100, 80}, {"img_002", 100, 80}};
  const std::vector<EvalTruth> truths = {truth(0, 0, {30, 30, 20, 20}),
                                         truth(0, 1, {70, 50, 16, 16}),
                                         truth(1, 0, {40, 40, 30, 20})};
  const std::vector<EvalDetection> dets = {
      det(0, 0, .9f, {31, 30, 20, 20}),  // TP
      det(0, 0, .6f, {70, 20, 10, 10}),  // FP
      det(0, 1, .7f, {70, 51, 16, 16}),  // TP
      det(1, 0, .8f, {42, 40, 30, 20}),  // TP
      det(1, 1, .3f, {20, 20, 10, 10}),  // FP
  };
  write_voc_results(dir.path.string(), names, images, dets);
  // Corners of the first: x 31 -+ 10 + 1 -> 22, 42; y 30 -+ 10 + 1 -> 21, 41.
  const std::string cell = read_text_file(dir.file("comp4_det_test_cell.txt"));
  EXPECT_EQ(cell.substr(0, cell.find('\n')),
            "img_001 0.900000 22.000000 21.000000 42.000000 41.000000");
  EXPECT_TRUE(fs::exists(dir.file("comp4_det_test_dog.txt")));

  const auto back = read_voc_results(dir.path.string(), names, images);
  ASSERT_EQ(back.size(), dets.size());
  // Files are per class, so the order read back is class 0 in input order, then class 1.
  const int order[] = {0, 1, 3, 2, 4};
  for (size_t i = 0; i < back.size(); ++i) {
    const auto& a = back[i];
    const auto& b = dets[order[i]];
    EXPECT_EQ(a.image, b.image);
    EXPECT_EQ(a.cls, b.cls);
    EXPECT_NEAR(a.score, b.score, 1e-6);
    EXPECT_NEAR(a.box.x, b.box.x, 1e-4);
    EXPECT_NEAR(a.box.y, b.box.y, 1e-4);
    EXPECT_NEAR(a.box.w, b.box.w, 1e-4);
    EXPECT_NEAR(a.box.h, b.box.h, 1e-4);
  }
  const MapOptions o = opts_with(0);
  const MapResult r1 = evaluate_map(dets, truths, 2, names, o);
  const MapResult r2 = evaluate_map(back, truths, 2, names, o);
  EXPECT_NEAR(r1.map50, r2.map50, 1e-9);
  EXPECT_NEAR(r1.map_coco, r2.map_coco, 1e-9);
  EXPECT_EQ(r1.tp, r2.tp);
  EXPECT_EQ(r1.fp, r2.fp);
  // By hand: cell ranks .9 TP, .8 TP, .6 FP with 2 truths -> AP 1; dog ranks .7 TP, .3 FP with 1
  // truth -> AP 1. mAP = 1.
  EXPECT_NEAR(r2.map50, 1, 1e-9);

  // Relative boxes: divided by the image size.
  const auto rel = read_voc_results(dir.path.string(), names, images, true);
  EXPECT_NEAR(rel[0].box.x, .31, 1e-6);
  EXPECT_NEAR(rel[0].box.y, 30.0 / 80, 1e-6);

  // Errors name the file and line.
  write_text_file_atomic(dir.file("comp4_det_test_dog.txt"), "img_009 0.5 1 1 2 2\n");
  try {
    read_voc_results(dir.path.string(), names, images);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("comp4_det_test_dog.txt:1:"), std::string::npos)
        << e.what();
  }
  fs::remove(dir.file("comp4_det_test_dog.txt"));
  EXPECT_THROW(read_voc_results(dir.path.string(), names, images), Error);
}

TEST(EvalResults, VocClampsToTheImage) {
  TempDir dir;
  // Centre (5,5), 20x20 in a 100x80 image: xmin = -5 + 1 = -4 -> 1; xmax = 15 + 1 = 16.
  write_voc_results(dir.path.string(), {"a"}, {{"x", 100, 80}}, {det(0, 0, .5f, {5, 5, 20, 20})});
  EXPECT_EQ(read_text_file(dir.file("comp4_det_test_a.txt")),
            "x 0.500000 1.000000 1.000000 16.000000 16.000000\n");
}

TEST(EvalResults, CocoJson) {
  TempDir dir;
  const std::string path = dir.file("coco_results.json");
  const std::vector<ImageInfo> images = {{"COCO_val2014_000000000042", 100, 80}, {"abc", 0, 0}};
  // Box centre (50,40), 20x10 -> top-left (40,35), size 20x10. Class 11 -> COCO id 13.
  write_coco_results(path, images,
                     {det(0, 11, .75f, {50, 40, 20, 10}), det(1, 0, .5f, {5, 5, 20, 20}),
                      det(1, 0, 0.f, {5, 5, 20, 20})},
                     coco80_category_ids());
  const std::string j = read_text_file(path);
  EXPECT_EQ(j,
            "[\n"
            "{\"image_id\": 42, \"category_id\": 13, \"bbox\": [40.000000, 35.000000, 20.000000, "
            "10.000000], \"score\": 0.750000},\n"
            // "abc" has no number -> its index 1; no size -> no clamping.
            "{\"image_id\": 1, \"category_id\": 1, \"bbox\": [-5.000000, -5.000000, 20.000000, "
            "20.000000], \"score\": 0.500000}\n"
            "]\n");
  EXPECT_EQ(coco80_category_ids().size(), 80u);
  EXPECT_EQ(coco80_category_ids().back(), 90);
  EXPECT_EQ(image_id_from_path("data/voc/2007_000027.jpg"), "2007_000027");
  EXPECT_EQ(coco_image_id("2007_000027", -1), 27);
}

// ---------------------------------------------------------------- recall

TEST(EvalRecall, DarknetRunningTotals) {
  // Image 0: truths T1 (50,50), T2 (150,50). Proposals: .9 at d=4 from T1 (IoU 2/3), .5 far
  // away; .0005 exactly on T2 is below thresh .001 and ignored.
  //   correct 1, total 2, proposals 2, RPs/Img 2/1, IoU (2/3 + 0)/2 = 33.33 %, recall 50 %.
  // Image 1: truth T3 (50,50) with a .3 proposal exactly on it (IoU 1).
  //   correct 2, total 3, proposals 3, RPs/Img 3/2, IoU (2/3 + 0 + 1)/3 = 55.56 %, recall 66.67 %.
  // Image 2: nothing: totals unchanged, RPs/Img 3/3.
  const std::vector<EvalTruth> truths = {truth(0, 0, sq(50, 50)), truth(0, 0, sq(150, 50)),
                                         truth(1, 0, sq(50, 50))};
  const std::vector<EvalDetection> dets = {det(0, 0, .9f, sq(54, 50)), det(0, 3, .5f, sq(300, 300)),
                                           det(0, 0, .0005f, sq(150, 50)),
                                           det(1, 0, .3f, sq(50, 50))};
  const auto lines = recall_statistics(dets, truths, 3, RecallOptions{});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(format_recall_line(lines[0]),
            "    0     1     2\tRPs/Img: 2.00\tIOU: 33.33%\tRecall:50.00%");
  EXPECT_EQ(format_recall_line(lines[1]),
            "    1     2     3\tRPs/Img: 1.50\tIOU: 55.56%\tRecall:66.67%");
  EXPECT_EQ(format_recall_line(lines[2]),
            "    2     2     3\tRPs/Img: 1.00\tIOU: 55.56%\tRecall:66.67%");
  EXPECT_THROW(recall_statistics(dets, truths, 1, RecallOptions{}), Error);
}
