// darknet detector demo, end to end through the built executable: yolov3-tiny with calibrated
// random weights on a 100-frame MJPEG clip, headless, writing an annotated .avi.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/fileio.hpp"
#include "image/image.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"

#ifdef DN_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "video/video_io.hpp"
#endif

namespace dn {
namespace {

#ifdef DN_OPENCV
const std::string kClip = std::string(DN_SHARED_DIR) + "/media/vtest_mjpeg_10s.avi";
const std::string kCfg = std::string(DN_SHARED_DIR) + "/darknet-cfg/yolov3-tiny.cfg";

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Fraction of pixels whose channels all differ by at most 2 between a and b (same size, BGR).
double untouched_fraction(const cv::Mat& a, const cv::Mat& b, int* strongly_different = nullptr) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  cv::Mat channel_max = diff.reshape(1, diff.rows * diff.cols);
  cv::reduce(channel_max, channel_max, 1, cv::REDUCE_MAX);
  if (strongly_different) *strongly_different = cv::countNonZero(channel_max > 60);
  return cv::countNonZero(channel_max <= 2) / static_cast<double>(channel_max.rows);
}

std::vector<cv::Mat> read_all_frames(const std::string& path) {
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);
  EXPECT_TRUE(cap.isOpened()) << path;
  std::vector<cv::Mat> frames;
  cv::Mat m;
  while (cap.read(m) && !m.empty()) frames.push_back(m.clone());
  return frames;
}

// A temp folder with yolov3-tiny random weights calibrated on the clip's first frame (so that
// they give detections on it), 80 class names and a .data file. Built once for all tests.
class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::temp_dir("apps_demo");
    auto net = load_network(kCfg, 1);
    cv::VideoCapture cap(kClip, cv::CAP_FFMPEG);
    cv::Mat first;
    ASSERT_TRUE(cap.read(first)) << kClip;
    Image sized = letterbox_image(image_from_mat(first), net->params.width, net->params.height);
    testing::randomize_network(*net, sized.data, 20261129);
    save_weights(*net, dir_ + "/tiny.weights");
    std::ofstream names(dir_ + "/demo.names");
    for (int i = 0; i < 80; ++i) names << "class" << i << "\n";
    names.close();
    std::ofstream(dir_ + "/demo.data") << "classes=80\nnames=" << dir_ << "/demo.names\n";
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  // Runs darknet in the temp folder; stdout and stderr go to files there.
  static int run_darknet(const std::string& args, const std::string& wrapper = "") {
    std::string cmd = "cd '" + dir_ + "' && " + wrapper + " '" + std::string(DN_DARKNET_EXE) + "' detector demo demo.data '" + kCfg +
                      "' tiny.weights " + args + " > out.log 2> err.log";
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  static std::string dir_;
};
std::string DemoTest::dir_;

TEST_F(DemoTest, WritesEveryFrameAnnotatedInOrder) {
  // Random weights score many anchors: a high threshold keeps a handful of boxes per frame.
  ASSERT_EQ(run_darknet("'" + kClip + "' -dont_show -thresh .95 -out_filename out.avi"), 0) << read_text_file(dir_ + "/err.log");
  const std::string log = read_text_file(dir_ + "/out.log");
  const std::vector<cv::Mat> in = read_all_frames(kClip);
  const std::vector<cv::Mat> out = read_all_frames(dir_ + "/out.avi");
  ASSERT_EQ(in.size(), 100u);
  ASSERT_EQ(out.size(), in.size()) << "every decoded frame is written exactly once";
  EXPECT_EQ(out[0].size(), in[0].size());
  EXPECT_DOUBLE_EQ(cv::VideoCapture(dir_ + "/out.avi", cv::CAP_FFMPEG).get(cv::CAP_PROP_FPS),
                   cv::VideoCapture(kClip, cv::CAP_FFMPEG).get(cv::CAP_PROP_FPS));
  EXPECT_EQ(count_of(log, "\nFPS:"), 100) << log.substr(0, 2000);
  EXPECT_EQ(count_of(log, "Average FPS:"), 1);
  EXPECT_EQ(count_of(log, "Wrote out.avi: 100 frames"), 1);
  const int object_lines = count_of(log, "%\n");
  EXPECT_GT(object_lines, 0) << "the calibrated weights should detect something";

  // Reference: the input frames through the same MJPEG encoder, undrawn. MJPEG codes each frame
  // on its own, in 8x8 blocks: away from the drawn boxes, output and reference agree to the bit;
  // where boxes and labels were drawn they differ strongly.
  const std::string ref_path = dir_ + "/ref.avi";
  {
    cv::VideoWriter ref = open_video_writer(ref_path, in[0].cols, in[0].rows, 10);
    for (const cv::Mat& f : in) ref.write(f);
  }
  const std::vector<cv::Mat> ref = read_all_frames(ref_path);
  ASSERT_EQ(ref.size(), in.size());
  int frames_with_boxes = 0;
  double min_same = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    int strongly_different = 0;
    const double same = untouched_fraction(out[i], ref[i], &strongly_different);
    // Frame i of the output is frame i of the input: most of it is untouched, and it matches its
    // own input frame better than the next one.
    EXPECT_GT(same, .5) << "frame " << i;
    if (i + 1 < out.size()) {
      EXPECT_GT(same, untouched_fraction(out[i], ref[i + 1])) << "frame " << i;
    }
    min_same = std::min(min_same, same);
    if (strongly_different >= 200) ++frames_with_boxes;
  }
  std::printf("%d object lines; %d frames with boxes drawn; at least %.1f%% of each frame untouched\n", object_lines,
              frames_with_boxes, 100 * min_same);
  EXPECT_GE(frames_with_boxes, 10) << "boxes should be drawn on many frames (" << object_lines << " object lines)";
}

// SIGTERM mid-video: the frames decoded so far are all written and the .mp4 is finalised (readable,
// with exactly the frame count the demo reports).
TEST_F(DemoTest, SignalEndsCleanlyWithAFinalisedVideo) {
  const std::string video = std::string(DN_SHARED_DIR) + "/media/vtest.avi";  // 795 frames
  ASSERT_EQ(run_darknet("'" + video + "' -dont_show -thresh .95 -out_filename sig.mp4", "timeout --preserve-status -s TERM 3"), 0)
      << read_text_file(dir_ + "/err.log");
  const std::string log = read_text_file(dir_ + "/out.log");
  const size_t at = log.find("Wrote sig.mp4: ");
  ASSERT_NE(at, std::string::npos) << log.substr(log.size() > 2000 ? log.size() - 2000 : 0);
  const int reported = std::atoi(log.c_str() + at + 15);
  EXPECT_GE(reported, 1);
  if (log.find("Stopped by signal") != std::string::npos) {
    EXPECT_LT(reported, 795);
  }
  const std::vector<cv::Mat> out = read_all_frames(dir_ + "/sig.mp4");
  EXPECT_EQ(static_cast<int>(out.size()), reported);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].cols, 768);
  EXPECT_EQ(out[0].rows, 576);
  EXPECT_EQ(count_of(log, "\nFPS:"), reported);
}

TEST_F(DemoTest, MissingVideoIsOneErrorLine) {
  EXPECT_NE(run_darknet("/nonexistent/missing_clip.avi -dont_show -out_filename out2.avi"), 0);
  const std::string err = read_text_file(dir_ + "/err.log");
  EXPECT_EQ(count_of(err, "\n"), 1) << err;
  EXPECT_NE(err.find("/nonexistent/missing_clip.avi"), std::string::npos) << err;
}

TEST_F(DemoTest, ANonVideoFileIsOneErrorLine) {
  EXPECT_NE(run_darknet("demo.names -dont_show"), 0);
  const std::string err = read_text_file(dir_ + "/err.log");
  EXPECT_EQ(count_of(err, "\n"), 1) << err;
  EXPECT_NE(err.find("demo.names"), std::string::npos) << err;
}

// -benchmark: FPS lines only, nothing drawn or written (-out_filename is ignored, with a note).
// Stopped by SIGINT after 2 s to keep the test short.
TEST_F(DemoTest, BenchmarkOnlyRunsTheNetwork) {
  ASSERT_EQ(run_darknet("'" + kClip + "' -benchmark -thresh .95 -out_filename bench.avi", "timeout --preserve-status -s INT 2"), 0)
      << read_text_file(dir_ + "/err.log");
  const std::string log = read_text_file(dir_ + "/out.log");
  EXPECT_GE(count_of(log, "\nFPS:"), 1);
  EXPECT_EQ(count_of(log, "Objects:"), 0);
  EXPECT_EQ(count_of(log, "Average FPS:"), 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/bench.avi"));
  EXPECT_NE(read_text_file(dir_ + "/err.log").find("ignored"), std::string::npos);
}
#else
TEST(DemoTest, WithoutOpenCVIsAClearError) {
  std::string cmd = "'" + std::string(DN_DARKNET_EXE) +
                    "' detector demo x.data x.cfg x.weights x.avi -dont_show > /dev/null 2> demo_nocv.err";
  int rc = std::system(cmd.c_str());
  EXPECT_NE(rc, 0);
  std::ifstream in("demo_nocv.err");
  std::string line;
  std::getline(in, line);
  EXPECT_NE(line.find("built without OpenCV"), std::string::npos) << line;
}
TEST(DemoTest, NeedsOpenCV) { GTEST_SKIP() << "built without OpenCV: the video tests need it"; }
#endif

}  // namespace
}  // namespace dn
