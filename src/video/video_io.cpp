#include "video/video_io.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "cfg/data_file.hpp"
#include "core/error.hpp"

#ifdef DN_OPENCV
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio/registry.hpp>
#endif

namespace dn {

static std::string lower_extension(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

std::string fourcc_for_output(const std::string& path) {
  std::string ext = lower_extension(path);
  if (ext == ".avi") return "MJPG";
  if (ext == ".mp4") return "mp4v";
  fail(path + ": unsupported video extension '" + ext + "' (use .avi for MJPG or .mp4 for MPEG-4)");
}

double output_fps(double source_fps) {
  if (!std::isfinite(source_fps) || source_fps <= 0 || source_fps > 1000) return 25;
  return source_fps;
}

#ifdef DN_OPENCV

Image image_from_mat(const cv::Mat& frame) {
  if (frame.empty()) fail("empty video frame");
  if (frame.depth() != CV_8U) fail("video frame is not 8-bit");
  cv::Mat bgr;
  if (frame.channels() == 3) {
    bgr = frame;
  } else if (frame.channels() == 1) {
    cv::cvtColor(frame, bgr, cv::COLOR_GRAY2BGR);
  } else if (frame.channels() == 4) {
    cv::cvtColor(frame, bgr, cv::COLOR_BGRA2BGR);
  } else {
    fail("video frame has " + std::to_string(frame.channels()) + " channels");
  }
  Image im = make_image(bgr.cols, bgr.rows, 3);
  const size_t plane = static_cast<size_t>(im.w) * im.h;
  float* r = im.data.data();
  float* g = r + plane;
  float* b = g + plane;
  constexpr float k = 1.f / 255.f;
  for (int y = 0; y < im.h; ++y) {
    const unsigned char* p = bgr.ptr<unsigned char>(y);
    const size_t row = static_cast<size_t>(y) * im.w;
    for (int x = 0; x < im.w; ++x) {
      b[row + x] = p[3 * x] * k;
      g[row + x] = p[3 * x + 1] * k;
      r[row + x] = p[3 * x + 2] * k;
    }
  }
  return im;
}

static inline unsigned char to_byte(float v) {
  v = v * 255.f + .5f;
  return static_cast<unsigned char>(v <= 0.f ? 0.f : (v >= 255.f ? 255.f : v));
}

void image_to_mat(const Image& im, cv::Mat& out) {
  if (im.c != 3) fail("image_to_mat: expected 3 channels, got " + std::to_string(im.c));
  out.create(im.h, im.w, CV_8UC3);
  const size_t plane = static_cast<size_t>(im.w) * im.h;
  const float* r = im.data.data();
  const float* g = r + plane;
  const float* b = g + plane;
  for (int y = 0; y < im.h; ++y) {
    unsigned char* p = out.ptr<unsigned char>(y);
    const size_t row = static_cast<size_t>(y) * im.w;
    for (int x = 0; x < im.w; ++x) {
      p[3 * x] = to_byte(b[row + x]);
      p[3 * x + 1] = to_byte(g[row + x]);
      p[3 * x + 2] = to_byte(r[row + x]);
    }
  }
}

// OpenCV's own warnings (backend probing, FFmpeg chatter) would turn one error into several lines;
// our errors say what went wrong.
static void quiet_opencv_logging() { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR); }

cv::VideoCapture open_video_source(const std::string& path, int camera) {
  quiet_opencv_logging();
  cv::VideoCapture cap;
  if (camera >= 0) {
    if (!cap.open(camera)) fail("camera " + std::to_string(camera) + ": cannot open");
    return cap;
  }
  if (path.empty()) fail("no video file or camera (-c N) given");
  if (!file_exists(path)) fail(path + ": cannot open video: no such file");
  // FFmpeg reads every format users bring; other backends (image sequences, GStreamer) only add
  // noise when probing a file that is not a video. Any backend only if FFmpeg is missing.
  const int api = cv::videoio_registry::hasBackend(cv::CAP_FFMPEG) ? cv::CAP_FFMPEG : cv::CAP_ANY;
  try {
    cap.open(path, api);
  } catch (const cv::Exception& e) {
    fail(path + ": cannot open video: " + e.err);
  }
  if (!cap.isOpened()) fail(path + ": cannot open video (not a format OpenCV can decode)");
  return cap;
}

cv::VideoWriter open_video_writer(const std::string& path, int width, int height, double fps) {
  quiet_opencv_logging();
  const std::string cc = fourcc_for_output(path);
  const int fourcc = cv::VideoWriter::fourcc(cc[0], cc[1], cc[2], cc[3]);
  cv::VideoWriter w;
  const int api = cv::videoio_registry::hasBackend(cv::CAP_FFMPEG) ? cv::CAP_FFMPEG : cv::CAP_ANY;
  try {
    w.open(path, api, fourcc, fps, cv::Size(width, height), true);
  } catch (const cv::Exception& e) {
    fail(path + ": cannot write video: " + e.err);
  }
  if (!w.isOpened()) fail(path + ": cannot open for writing (codec " + cc + ")");
  return w;
}

#endif

}  // namespace dn
