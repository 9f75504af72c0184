#include "video/demo.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdio>

#include "core/error.hpp"
#include "core/stop_signals.hpp"

#ifdef DN_OPENCV
#include <atomic>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>

#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/detector.hpp"
#include "video/bounded_queue.hpp"
#include "video/video_io.hpp"
#endif

namespace dn {

#ifndef DN_OPENCV

void require_video_support() {
  fail("detector demo: darknet was built without OpenCV (rebuild with OPENCV=1 and libopencv-dev installed)");
}

DemoStats run_demo(const DemoOptions&) {
  require_video_support();
  return {};
}

#else

void require_video_support() {}

namespace {

struct Frame {
  int index = 0;  // 0-based, in decoding order
  Image im;       // w x h x 3 RGB
  std::vector<Detection> dets;
};

using Clock = std::chrono::steady_clock;
double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string prefix_path(const std::string& prefix, int index) {
  char num[32];
  std::snprintf(num, sizeof num, "_%08d.jpg", index);
  return prefix + num;
}

}  // namespace

DemoStats run_demo(const DemoOptions& opt) {
  const std::string source = opt.camera >= 0 ? "camera " + std::to_string(opt.camera) : opt.video;
  // From the start, so that a signal during the network's loading still ends the run cleanly
  // (after the first frame) instead of killing it.
  StopSignals signals;
  const bool write_video = !opt.benchmark && !opt.out_filename.empty();
  if (write_video) fourcc_for_output(opt.out_filename);  // an unsupported extension fails now, not after loading

  // The source first: a bad path should fail before the network is loaded.
  cv::VideoCapture cap = open_video_source(opt.video, opt.camera);
  cv::Mat first;
  bool ok = false;
  try {
    ok = cap.read(first);
  } catch (const cv::Exception&) {
    ok = false;
  }
  if (!ok || first.empty()) fail(source + ": cannot decode any frame");
  const int width = first.cols, height = first.rows;
  const double fps = output_fps(cap.get(cv::CAP_PROP_FPS));

  Detector det(opt.cfg, opt.weights);
  if (static_cast<int>(opt.names.size()) < det.classes())
    fail("the names list has " + std::to_string(opt.names.size()) + " names, the network has " +
         std::to_string(det.classes()) + " classes");

  const bool save_frames = !opt.benchmark && !opt.prefix.empty();
  bool show = !opt.benchmark && opt.show;
  const bool need_writer = write_video || save_frames || show;
  cv::VideoWriter writer;
  if (write_video) writer = open_video_writer(opt.out_filename, width, height, fps);

  std::printf("Video: %s, %dx%d, %.2f FPS\n", source.c_str(), width, height, fps);
  if (write_video)
    std::printf("Output: %s (%s, %dx%d, %.2f FPS)\n", opt.out_filename.c_str(), fourcc_for_output(opt.out_filename).c_str(),
                width, height, fps);
  if (opt.benchmark) std::printf("Benchmark: inference only, no drawing or writing\n");
  std::fflush(stdout);

  BoundedQueue<Frame> decoded(opt.queue_capacity), detected(opt.queue_capacity);
  std::atomic<bool> stop{false};       // Esc in the window, or a writer failure
  std::atomic<bool> source_ended{false};
  std::atomic<int> frames_written{0};
  std::exception_ptr reader_error, writer_error;

  // Reader: decode and convert until the end of the source or a stop request, then close the queue.
  std::thread reader([&] {
    try {
      int index = 0;
      if (decoded.push(Frame{index, image_from_mat(first), {}})) {
        first.release();
        cv::Mat m;
        while (!StopSignals::received() && !stop) {
          if (!cap.read(m) || m.empty()) {
            source_ended = true;
            break;
          }
          if (!decoded.push(Frame{++index, image_from_mat(m), {}})) break;
        }
      }
    } catch (const cv::Exception& e) {  // its what() is several lines: keep the one that matters
      reader_error = std::make_exception_ptr(Error(source + ": cannot decode: " + e.err));
    } catch (...) {
      reader_error = std::current_exception();
    }
    decoded.close();
  });

  // Writer: draw, encode, write, in the order frames arrive (which is decoding order).
  std::thread writer_thread;
  if (need_writer)
    writer_thread = std::thread([&] {
      try {
        cv::Mat bgr, sized;
        int expected = 0;
        while (std::optional<Frame> f = detected.pop()) {
          if (f->index != expected) fail("demo: frame " + std::to_string(f->index) + " arrived, expected " + std::to_string(expected));
          draw_detections(f->im, f->dets, opt.names, opt.thresh);
          image_to_mat(f->im, bgr);
          const cv::Mat* out = &bgr;
          if (bgr.cols != width || bgr.rows != height) {  // a camera that changed mode
            cv::resize(bgr, sized, cv::Size(width, height));
            out = &sized;
          }
          if (write_video) writer.write(*out);
          if (save_frames) save_image(f->im, prefix_path(opt.prefix, f->index));
          if (show) {
            try {
              cv::imshow("Demo", *out);
              if ((cv::waitKey(1) & 0xff) == 27) stop = true;
            } catch (const cv::Exception& e) {
              std::fprintf(stderr, "demo: cannot show a window (%s): continuing without one\n", e.err.c_str());
              show = false;
            }
          }
          frames_written = ++expected;
        }
      } catch (const cv::Exception& e) {
        writer_error = std::make_exception_ptr(Error(opt.out_filename + ": cannot write: " + e.err));
        stop = true;
        detected.cancel();
        decoded.cancel();
      } catch (...) {
        writer_error = std::current_exception();
        stop = true;
        detected.cancel();
        decoded.cancel();
      }
    });

  auto shut_down = [&] {
    if (reader.joinable()) reader.join();
    if (writer_thread.joinable()) writer_thread.join();
    if (writer.isOpened()) writer.release();  // finalises the container (index, header sizes)
    if (show) cv::destroyAllWindows();
  };

  DemoStats stats;
  double network_s = 0;
  const Clock::time_point t0 = Clock::now();
  Clock::time_point prev = t0, last = t0;
  try {
    while (std::optional<Frame> f = decoded.pop()) {
      const Clock::time_point a = Clock::now();
      f->dets = det.detect(f->im, opt.thresh, opt.nms);
      last = Clock::now();
      network_s += seconds_between(a, last);
      ++stats.frames;
      const double dt = seconds_between(prev, last);
      prev = last;
      std::printf("\nFPS:%.1f \t AVG_FPS:%.1f\n", dt > 0 ? 1 / dt : 0., stats.frames / seconds_between(t0, last));
      if (!opt.benchmark) {
        std::printf("Objects:\n\n");
        print_detections(stdout, f->dets, opt.names, opt.thresh, f->im.w, f->im.h, opt.ext_output);
      }
      std::fflush(stdout);
      if (need_writer && !detected.push(std::move(*f))) break;  // the writer failed
    }
  } catch (...) {
    stop = true;
    decoded.cancel();
    detected.cancel();
    shut_down();
    throw;
  }
  detected.close();
  shut_down();

  stats.seconds = seconds_between(t0, last);
  stats.avg_fps = stats.seconds > 0 ? stats.frames / stats.seconds : 0;
  stats.network_ms = stats.frames ? 1000 * network_s / stats.frames : 0;
  stats.interrupted = !source_ended && (StopSignals::received() || stop);
  if (writer_error) std::rethrow_exception(writer_error);
  if (reader_error) std::rethrow_exception(reader_error);

  if (stats.interrupted)
    std::printf("\nStopped%s after %d frames\n", StopSignals::received() ? " by signal" : "", stats.frames);
  if (write_video) std::printf("Wrote %s: %d frames\n", opt.out_filename.c_str(), frames_written.load());
  if (save_frames) std::printf("Saved %d frames as %s\n", frames_written.load(), prefix_path(opt.prefix, 0).c_str());
  std::printf("Average FPS: %.1f (%d frames in %.2f s; detector %.1f ms per frame)\n", stats.avg_fps, stats.frames,
              stats.seconds, stats.network_ms);
  std::fflush(stdout);
  return stats;
}

#endif

}  // namespace dn
