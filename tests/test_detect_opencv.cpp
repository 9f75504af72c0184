// Our engine against an independent implementation: OpenCV's Darknet importer
// (cv::dnn::readNetFromDarknet) on the original yolov3-tiny.cfg and yolov3.cfg, with deterministic
// pseudo-random weights written by our own writer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "detect/detection.hpp"
#include "image/image.hpp"
#include "layers/yolo.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"

#ifdef DN_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#endif

namespace dn {
namespace {

#ifdef DN_OPENCV
// A copy of the cfg for both sides, at the given input size. OpenCV's yolo layer applies its own
// threshold (.2) and NMS (.4) unless told otherwise: its copy has both off, so that every raw
// score comes out and the NMS is OpenCV's NMSBoxes, called below.
struct CfgCopies {
  std::string ours, opencv;
};
CfgCopies cfg_copies(const std::string& cfg, const std::string& dir, int width, int height) {
  std::ifstream in(cfg);
  std::stringstream ours, theirs;
  std::string line;
  bool in_net = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') in_net = line.rfind("[net]", 0) == 0 || line.rfind("[network]", 0) == 0;
    if (in_net && (line.rfind("width", 0) == 0 || line.rfind("height", 0) == 0)) continue;
    ours << line << "\n";
    theirs << line << "\n";
    if (in_net && line[0] == '[') {
      ours << "width=" << width << "\nheight=" << height << "\n";
      theirs << "width=" << width << "\nheight=" << height << "\n";
    }
    if (line.rfind("[yolo]", 0) == 0) theirs << "thresh=0\nnms_threshold=0\n";
  }
  CfgCopies c{dir + "/ours.cfg", dir + "/opencv.cfg"};
  std::ofstream(c.ours) << ours.str();
  std::ofstream(c.opencv) << theirs.str();
  return c;
}

// Runs the cfg at width x height on a letterboxed photo through both engines and compares
//  1. every raw output (box, objectness, objectness * class probability) of every [yolo] layer;
//  2. the detections after NMS, class by class: ours from get_yolo_detections + nms_sort, OpenCV's
//     from its own outputs through cv::dnn::NMSBoxes (greedy by score; a box is kept when it
//     overlaps no kept box by IoU > .45), both at `thresh` and in network-input coordinates.
// weights empty: deterministic pseudo-random weights written by our own writer.
void compare_with_opencv(const std::string& cfg, int width, int height, const std::string& weights_in = "",
                         const std::string& photo_name = "dog.jpg", float thresh = .25f) {
  const std::string tag = std::filesystem::path(cfg).stem().string() + "_" + std::to_string(width) + "x" +
                          std::to_string(height);
  std::string dir = testing::temp_dir("opencv_" + tag);
  const CfgCopies copies = cfg_copies(cfg, dir, width, height);
  auto net = load_network(copies.ours, 1);
  ASSERT_EQ(net->params.width, width);
  ASSERT_EQ(net->params.height, height);
  Image photo = load_image(std::string(DN_SHARED_DIR) + "/media/" + photo_name, 3);
  Image sized = letterbox_image(photo, width, height);
  std::string weights = weights_in;
  if (weights.empty()) {
    testing::randomize_network(*net, sized.data, 20261129);
    weights = dir + "/random.weights";
    save_weights(*net, weights);
  }
  // Load from the file so that the comparison covers our reader too.
  auto ours = load_network(copies.ours, 1);
  load_weights(*ours, weights);
  ours->forward(sized.data.data());

  cv::setNumThreads(2);
  cv::dnn::Net cvnet = cv::dnn::readNetFromDarknet(copies.opencv, weights);
  cvnet.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  cvnet.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  int shape[] = {1, 3, height, width};
  cv::Mat blob(4, shape, CV_32F, sized.data.data());
  cvnet.setInput(blob);
  std::vector<cv::Mat> outs;
  cvnet.forward(outs, cvnet.getUnconnectedOutLayersNames());

  auto yolos = ours->yolo_layers();
  ASSERT_EQ(outs.size(), yolos.size());
  const int classes = yolos[0]->classes;
  const float nms = kDefaultNmsThresh;
  // A score within this distance of the threshold could fall either side by rounding alone:
  // such scores are left out on both sides.
  const float ambiguous = 1e-4f;
  // Both engines compute in float with different summation orders (and kernels by CPU: oneDNN's
  // Winograd on AVX-512); the error is absolute for values up to 1 (scores, box coordinates),
  // relative above.
  constexpr double kScoreTolerance = 3e-4;
  auto clear = [&](float v) { return std::fabs(v - thresh) > ambiguous; };

  // 1. Raw outputs; our detections collected in OpenCV's row order (layer, y, x, anchor), with
  // OpenCV's boxes and scores beside them.
  std::vector<Detection> ours_dets;
  std::vector<cv::Rect2d> cv_boxes;
  std::vector<std::vector<float>> cv_scores;  // [detection][class]
  int passing = 0;
  for (size_t li = 0; li < yolos.size(); ++li) {
    const YoloLayer& l = *yolos[li];
    const cv::Mat& m = outs[li];
    ASSERT_EQ(m.rows, l.out.h * l.out.w * l.mask_size());
    ASSERT_EQ(m.cols, 5 + l.classes);
    double max_err = 0;
    for (int y = 0; y < l.out.h; ++y)
      for (int x = 0; x < l.out.w; ++x)
        for (int a = 0; a < l.mask_size(); ++a) {
          const float* row = m.ptr<float>((y * l.out.w + x) * l.mask_size() + a);
          const int loc = y * l.out.w + x;
          Detection mine;
          mine.bbox = l.get_box(0, a, x, y, width, height);
          mine.objectness = l.output[l.entry_index(0, a, 4, loc)];
          const float m4[4] = {mine.bbox.x, mine.bbox.y, mine.bbox.w, mine.bbox.h};
          // Relative to the magnitude: an unlikely box can be 40 images wide.
          for (int k = 0; k < 4; ++k)
            max_err = std::max(max_err, std::fabs(static_cast<double>(m4[k] - row[k])) / std::max(1.f, std::fabs(row[k])));
          max_err = std::max(max_err, std::fabs(static_cast<double>(mine.objectness - row[4])));
          std::vector<float> theirs(l.classes);
          for (int c = 0; c < l.classes; ++c) {
            const float p = mine.objectness * l.output[l.entry_index(0, a, 5 + c, loc)];
            max_err = std::max(max_err, std::fabs(static_cast<double>(p - row[5 + c])));
            passing += p > thresh;
            const bool keep = clear(p) && clear(mine.objectness);
            mine.prob.push_back(keep && mine.objectness > thresh && p > thresh ? p : 0.f);
            theirs[c] = keep && row[4] > thresh && row[5 + c] > thresh ? row[5 + c] : 0.f;
          }
          if (!clear(mine.objectness) || !(mine.objectness > thresh)) continue;
          ours_dets.push_back(mine);
          cv_boxes.emplace_back(row[0] - row[2] / 2, row[1] - row[3] / 2, row[2], row[3]);
          cv_scores.push_back(theirs);
        }
    EXPECT_LT(max_err, kScoreTolerance) << tag << " yolo layer " << li;
  }
  // The weights must make the comparison meaningful: enough boxes pass the threshold.
  EXPECT_GT(passing, 5) << "too few scores above the threshold for a meaningful comparison";

  // 2. NMS. Our boxes keep their order (nms_sort only drops zero objectness, and every box here
  // passed the threshold), so detection i is OpenCV's box i.
  nms_sort(ours_dets, classes, NmsOptions{nms, NmsKind::iou, .6f});
  ASSERT_EQ(ours_dets.size(), cv_boxes.size());
  int kept = 0, suppressed = 0, ties = 0;
  for (int c = 0; c < classes; ++c) {
    std::vector<cv::Rect2d> boxes;
    std::vector<float> scores;
    std::vector<int> index;  // into ours_dets
    for (size_t i = 0; i < cv_boxes.size(); ++i)
      if (cv_scores[i][c] > 0) {
        boxes.push_back(cv_boxes[i]);
        scores.push_back(cv_scores[i][c]);
        index.push_back(static_cast<int>(i));
      }
    std::vector<int> cv_kept;
    cv::dnn::NMSBoxes(boxes, scores, thresh, nms, cv_kept);
    std::vector<char> cv_keeps(ours_dets.size(), 0);
    for (int k : cv_kept) cv_keeps[index[k]] = 1;
    std::vector<size_t> only_mine, only_cv;
    for (size_t i = 0; i < ours_dets.size(); ++i) {
      const bool mine = ours_dets[i].prob[c] > 0;
      if (mine && !cv_keeps[i]) only_mine.push_back(i);
      if (!mine && cv_keeps[i]) only_cv.push_back(i);
      kept += mine;
    }
    // Two overlapping boxes whose scores differ by less than the engines' rounding can be sorted
    // either way, and then each engine keeps the other one: such a swap is a tie, not a
    // difference. Every other disagreement fails.
    auto iou = [](const cv::Rect2d& a, const cv::Rect2d& b) {
      const double inter = (a & b).area();
      return inter / (a.area() + b.area() - inter);
    };
    for (size_t i : only_mine) {
      auto partner = std::find_if(only_cv.begin(), only_cv.end(), [&](size_t j) {
        return std::fabs(cv_scores[i][c] - cv_scores[j][c]) < kScoreTolerance && iou(cv_boxes[i], cv_boxes[j]) > nms;
      });
      if (partner == only_cv.end()) {
        ADD_FAILURE() << tag << ": detection " << i << " class " << c << " kept by us, not by OpenCV (OpenCV score "
                      << cv_scores[i][c] << ")";
        continue;
      }
      ++ties;
      only_cv.erase(partner);
    }
    for (size_t j : only_cv)
      ADD_FAILURE() << tag << ": detection " << j << " class " << c << " kept by OpenCV, not by us (OpenCV score "
                    << cv_scores[j][c] << ")";
    suppressed += static_cast<int>(boxes.size() - cv_kept.size());
  }
  EXPECT_GT(kept, 0);
  // Ties are rare: a few among thousands of kept detections.
  EXPECT_LE(ties, kept / 200 + 1) << tag << ": too many swapped near-ties";
  std::printf("%s: %d scores above %.2f, %zu boxes, %d class detections kept (%d near-ties kept the other way), "
              "%d suppressed by OpenCV\n",
              tag.c_str(), passing, thresh, ours_dets.size(), kept, ties, suppressed);
  std::filesystem::remove_all(dir);
}

std::string darknet_cfg(const std::string& name) { return std::string(DN_SHARED_DIR) + "/darknet-cfg/" + name; }
#endif

// Every cfg of ../shared/darknet-cfg, at square and non-square inputs (random weights), and the
// real AlexeyAB-format yolo-fastest-1.1-xl (cfg unchanged, its own weights) at 320.
#ifdef DN_OPENCV
#define DN_OPENCV_TEST(name, body) \
  TEST(OpenCVImporter, name) { body; }
#else
#define DN_OPENCV_TEST(name, body) \
  TEST(OpenCVImporter, name) { GTEST_SKIP() << "built without OpenCV"; }
#endif

DN_OPENCV_TEST(Yolov3TinySquareMatches, compare_with_opencv(darknet_cfg("yolov3-tiny.cfg"), 416, 416))
DN_OPENCV_TEST(Yolov3TinyNonSquareMatches, compare_with_opencv(darknet_cfg("yolov3-tiny.cfg"), 320, 192))
DN_OPENCV_TEST(Yolov3SquareMatches, compare_with_opencv(darknet_cfg("yolov3.cfg"), 416, 416))
DN_OPENCV_TEST(Yolov3NonSquareMatches, compare_with_opencv(darknet_cfg("yolov3.cfg"), 288, 416))
DN_OPENCV_TEST(Yolov3VocNonSquareMatches, compare_with_opencv(darknet_cfg("yolov3-voc.cfg"), 352, 256))
DN_OPENCV_TEST(Yolov3OpenImagesNonSquareMatches, compare_with_opencv(darknet_cfg("yolov3-openimages.cfg"), 320, 224))
DN_OPENCV_TEST(YoloFastestXlRealWeightsMatches, {
  const std::string m = std::string(DN_SHARED_DIR) + "/models/yolo-fastest-1.1-xl/";
  // A low threshold, so that NMS has work to do with real scores.
  compare_with_opencv(m + "yolo-fastest-1.1-xl.cfg", 320, 320, m + "yolo-fastest-1.1-xl.weights", "horses.jpg", .02f);
})

}  // namespace
}  // namespace dn
