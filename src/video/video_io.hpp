#pragma once
// Video files and cameras through OpenCV's videoio, and conversion between OpenCV's 8-bit BGR
// frames and dn::Image (float, planar RGB, [0, 1]). The parts that need OpenCV exist only in a
// build with DN_OPENCV; the rest (codec and FPS choices) is plain C++.
#include <string>

#include "image/image.hpp"

#ifdef DN_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#endif

namespace dn {

// The FOURCC for an output file, from its extension (any case): "MJPG" for .avi, "mp4v" for .mp4.
// Any other extension is a dn::Error naming the path.
std::string fourcc_for_output(const std::string& path);

// The frame rate to write: the source's, or 25 when the source reports none (0, negative, NaN)
// or an absurd one (> 1000).
double output_fps(double source_fps);

#ifdef DN_OPENCV
// 8-bit frame (BGR, grey or BGRA) -> w x h x 3 RGB image with values v / 255.
Image image_from_mat(const cv::Mat& frame);
// 3-channel RGB image -> w x h CV_8UC3 BGR (values clamped to [0, 1], rounded). `out` is reused
// when it already has the right size and type.
void image_to_mat(const Image& im, cv::Mat& out);

// A video file (FFmpeg backend; any backend OpenCV has only if FFmpeg is missing) or camera `camera`
// (>= 0; then path is ignored). A missing or unreadable source is a dn::Error naming it.
cv::VideoCapture open_video_source(const std::string& path, int camera);
// A writer for `path` with the codec of fourcc_for_output(path), the given frame size and fps.
// Failure to open is a dn::Error naming the path.
cv::VideoWriter open_video_writer(const std::string& path, int width, int height, double fps);
#endif

}  // namespace dn
