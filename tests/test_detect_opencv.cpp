// Our engine against an independent implementation: OpenCV's Darknet importer
// (cv::dnn::readNetFromDarknet) on the original yolov3-tiny.cfg and yolov3.cfg, with deterministic
// pseudo-random weights written by our own writer.
#include <gtest/gtest.h>

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
// OpenCV's yolo layer applies its own threshold (.2) and NMS (.4) unless told otherwise: give it
// a copy of the cfg with both off so that every raw score can be compared.
std::string opencv_cfg_copy(const std::string& cfg, const std::string& dir) {
  std::ifstream in(cfg);
  std::stringstream out;
  std::string line;
  while (std::getline(in, line)) {
    out << line << "\n";
    if (line.rfind("[yolo]", 0) == 0) out << "thresh=0\nnms_threshold=0\n";
  }
  std::string path = dir + "/opencv.cfg";
  std::ofstream(path) << out.str();
  return path;
}

void compare_with_opencv(const std::string& cfg_name) {
  const std::string cfg = std::string(DN_SHARED_DIR) + "/darknet-cfg/" + cfg_name;
  std::string dir = testing::temp_dir("opencv_" + cfg_name);
  auto net = load_network(cfg, 1);
  // The input: a real photo, letterboxed as detector test does.
  Image photo = load_image(std::string(DN_SHARED_DIR) + "/media/dog.jpg", 3);
  Image sized = letterbox_image(photo, net->params.width, net->params.height);
  testing::randomize_network(*net, sized.data, 20261129);
  const std::string weights = dir + "/random.weights";
  save_weights(*net, weights);

  // Reload from the file so that the comparison covers our reader too.
  auto ours = load_network(cfg, 1);
  load_weights(*ours, weights);
  ours->forward(sized.data.data());

  cv::setNumThreads(2);
  cv::dnn::Net cvnet = cv::dnn::readNetFromDarknet(opencv_cfg_copy(cfg, dir), weights);
  cvnet.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  cvnet.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  int shape[] = {1, 3, net->params.height, net->params.width};
  cv::Mat blob(4, shape, CV_32F, sized.data.data());
  cvnet.setInput(blob);
  std::vector<cv::Mat> outs;
  cvnet.forward(outs, cvnet.getUnconnectedOutLayersNames());

  auto yolos = ours->yolo_layers();
  ASSERT_EQ(outs.size(), yolos.size());
  const float thresh = .25f;
  // A score within this distance of the threshold could fall either side by rounding alone:
  // such scores are left out of both detection lists.
  const float ambiguous = 1e-4f;
  auto clear = [&](float v) { return std::fabs(v - thresh) > ambiguous; };
  std::vector<Detection> ours_dets, cv_dets;
  int passing = 0;
  for (size_t li = 0; li < yolos.size(); ++li) {
    const YoloLayer& l = *yolos[li];
    const cv::Mat& m = outs[li];
    ASSERT_EQ(m.rows, l.out.h * l.out.w * l.num());
    ASSERT_EQ(m.cols, 5 + l.classes);
    double max_err = 0;
    for (int y = 0; y < l.out.h; ++y)
      for (int x = 0; x < l.out.w; ++x)
        for (int a = 0; a < l.num(); ++a) {
          const float* row = m.ptr<float>((y * l.out.w + x) * l.num() + a);
          const int loc = y * l.out.w + x;
          Detection mine, theirs;
          mine.bbox = l.get_box(0, a, x, y, ours->params.width, ours->params.height);
          theirs.bbox = {row[0], row[1], row[2], row[3]};
          mine.objectness = l.output[l.entry_index(0, a, 4, loc)];
          theirs.objectness = row[4];
          const float m4[4] = {mine.bbox.x, mine.bbox.y, mine.bbox.w, mine.bbox.h};
          for (int k = 0; k < 4; ++k) max_err = std::max(max_err, std::fabs(static_cast<double>(m4[k] - row[k])));
          max_err = std::max(max_err, std::fabs(static_cast<double>(mine.objectness - row[4])));
          for (int c = 0; c < l.classes; ++c) {
            float p = mine.objectness * l.output[l.entry_index(0, a, 5 + c, loc)];
            max_err = std::max(max_err, std::fabs(static_cast<double>(p - row[5 + c])));
            passing += p > thresh;
            bool keep = clear(p);
            mine.prob.push_back(keep && p > thresh ? p : 0.f);
            theirs.prob.push_back(keep && row[5 + c] > thresh ? row[5 + c] : 0.f);
          }
          if (mine.objectness > thresh && clear(mine.objectness)) ours_dets.push_back(mine);
          if (theirs.objectness > thresh && clear(mine.objectness)) cv_dets.push_back(theirs);
        }
    EXPECT_LT(max_err, 1e-4) << cfg_name << " yolo layer " << li;
  }
  // The weights must make the comparison meaningful: some boxes pass the threshold.
  EXPECT_GT(passing, 5) << "too few scores above the threshold for a meaningful comparison";
  ASSERT_EQ(ours_dets.size(), cv_dets.size());
  const int classes = yolos[0]->classes;
  nms_sort(ours_dets, classes, .45f);
  nms_sort(cv_dets, classes, .45f);
  ASSERT_EQ(ours_dets.size(), cv_dets.size());
  int kept = 0;
  for (size_t i = 0; i < ours_dets.size(); ++i) {
    EXPECT_NEAR(ours_dets[i].bbox.x, cv_dets[i].bbox.x, 1e-4);
    EXPECT_NEAR(ours_dets[i].bbox.y, cv_dets[i].bbox.y, 1e-4);
    for (int k = 0; k < classes; ++k) {
      EXPECT_EQ(ours_dets[i].prob[k] > 0, cv_dets[i].prob[k] > 0) << "detection " << i << " class " << k;
      kept += ours_dets[i].prob[k] > 0;
    }
  }
  EXPECT_GT(kept, 0);
  std::printf("%s: %d scores above %.2f, %zu boxes, %d class detections after NMS\n", cfg_name.c_str(), passing,
              thresh, ours_dets.size(), kept);
  std::filesystem::remove_all(dir);
}
#endif

TEST(OpenCVImporter, Yolov3TinyMatches) {
#ifdef DN_OPENCV
  compare_with_opencv("yolov3-tiny.cfg");
#else
  GTEST_SKIP() << "built without OpenCV";
#endif
}

TEST(OpenCVImporter, Yolov3Matches) {
#ifdef DN_OPENCV
  compare_with_opencv("yolov3.cfg");
#else
  GTEST_SKIP() << "built without OpenCV";
#endif
}

}  // namespace
}  // namespace dn
