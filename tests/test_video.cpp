// The video module's pieces: the bounded queue between pipeline threads, codec/FPS choices, and
// the conversion between OpenCV's BGR frames and dn::Image.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "video/bounded_queue.hpp"
#include "video/video_io.hpp"

namespace dn {
namespace {

TEST(BoundedQueue, KeepsOrderAcrossThreadsAndBoundsTheProducer) {
  BoundedQueue<int> q(3);
  size_t max_size = 0;
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.push(i));
    q.close();
  });
  std::vector<int> got;
  while (auto v = q.pop()) {
    max_size = std::max(max_size, q.size());
    got.push_back(*v);
  }
  producer.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[i], i);
  EXPECT_LE(max_size, 3u);
}

TEST(BoundedQueue, CloseDrainsCancelDrops) {
  BoundedQueue<int> q(4);
  q.push(1);
  q.push(2);
  q.close();
  EXPECT_FALSE(q.push(3));
  EXPECT_EQ(q.pop().value(), 1);
  EXPECT_EQ(q.pop().value(), 2);
  EXPECT_FALSE(q.pop().has_value());

  BoundedQueue<int> c(4);
  c.push(1);
  c.cancel();
  EXPECT_FALSE(c.pop().has_value());
}

TEST(BoundedQueue, CancelWakesABlockedProducer) {
  BoundedQueue<int> q(1);
  q.push(0);
  bool pushed = true;
  std::thread producer([&] { pushed = q.push(1); });  // blocks: the queue is full
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  q.cancel();
  producer.join();
  EXPECT_FALSE(pushed);
}

TEST(VideoIo, CodecFromExtension) {
  EXPECT_EQ(fourcc_for_output("out.avi"), "MJPG");
  EXPECT_EQ(fourcc_for_output("dir.x/OUT.AVI"), "MJPG");
  EXPECT_EQ(fourcc_for_output("a/b.mp4"), "mp4v");
  EXPECT_THROW(fourcc_for_output("out.mkv"), Error);
  EXPECT_THROW(fourcc_for_output("dir.avi/out"), Error);
}

TEST(VideoIo, FpsFallback) {
  EXPECT_EQ(output_fps(10), 10);
  EXPECT_EQ(output_fps(29.97), 29.97);
  EXPECT_EQ(output_fps(0), 25);
  EXPECT_EQ(output_fps(-1), 25);
  EXPECT_EQ(output_fps(std::numeric_limits<double>::quiet_NaN()), 25);
  EXPECT_EQ(output_fps(90000), 25);
}

#ifdef DN_OPENCV
TEST(VideoIo, MatImageRoundTripIsExact) {
  cv::Mat bgr(5, 7, CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 30, y * 50, (x * 37 + y * 11) % 256);
  Image im = image_from_mat(bgr);
  ASSERT_EQ(im.w, 7);
  ASSERT_EQ(im.h, 5);
  ASSERT_EQ(im.c, 3);
  // Planar RGB: channel 0 is OpenCV's third (red) byte.
  EXPECT_FLOAT_EQ(im.at(3, 2, 0), ((3 * 37 + 2 * 11) % 256) / 255.f);
  EXPECT_FLOAT_EQ(im.at(3, 2, 1), 100 / 255.f);
  EXPECT_FLOAT_EQ(im.at(3, 2, 2), 90 / 255.f);
  cv::Mat back;
  image_to_mat(im, back);
  ASSERT_EQ(back.type(), CV_8UC3);
  EXPECT_EQ(cv::norm(bgr, back, cv::NORM_INF), 0);
}

TEST(VideoIo, GreyFramesBecomeRgbAndValuesAreClamped) {
  cv::Mat grey(2, 2, CV_8UC1, cv::Scalar(51));
  Image im = image_from_mat(grey);
  ASSERT_EQ(im.c, 3);
  EXPECT_FLOAT_EQ(im.at(1, 1, 2), .2f);
  im.at(0, 0, 0) = 1.5f;
  im.at(0, 0, 1) = -.5f;
  cv::Mat back;
  image_to_mat(im, back);
  EXPECT_EQ(back.at<cv::Vec3b>(0, 0), cv::Vec3b(51, 0, 255));
}

TEST(VideoIo, MissingVideoIsAnErrorNamingIt) {
  try {
    open_video_source("/nonexistent/clip.avi", -1);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/clip.avi"), std::string::npos) << e.what();
  }
}

TEST(VideoIo, ANonVideoFileIsAnError) {
  EXPECT_THROW(
      {
        cv::VideoCapture cap = open_video_source(DN_SHARED_DIR "/darknet-cfg/coco.names", -1);
        cv::Mat m;
        if (!cap.read(m) || m.empty()) throw Error("no frame");
      },
      Error);
}
#endif

}  // namespace
}  // namespace dn
