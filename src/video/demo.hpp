#pragma once
// darknet detector demo: detection on a video file or camera, as a three-stage pipeline.
//
//   reader thread  --frames-->  main thread  --frames+detections-->  writer thread
//   decode, BGR->RGB float       network (letterbox,                  draw boxes and labels,
//                                forward, NMS), print FPS             encode/write video, save
//                                and objects                          -prefix JPEGs, show window
//
// The two queues are small and bounded, so decoding and encoding overlap with the network and the
// FPS is set by the slowest stage, normally the network. Frames carry their index: every decoded
// frame is written exactly once, in decoding order. SIGINT/SIGTERM (or Esc in the window) stop the
// reader; frames already decoded are still processed and written, then the video is finalised.
#include <string>
#include <vector>

#include "detect/detection.hpp"

namespace dn {

struct DemoOptions {
  std::string cfg, weights;
  std::vector<std::string> names;  // class names, at least as many as the network has classes
  std::string video;               // a video file; ignored when camera >= 0
  int camera = -1;                 // -c N
  float thresh = .25f;
  float nms = kDefaultNmsThresh;
  std::string out_filename;  // annotated video (.avi: MJPG, .mp4: mp4v); empty: none
  std::string prefix;        // save each annotated frame as <prefix>_%08d.jpg (0-based index)
  bool show = false;         // open a window (the caller checks that there is a display)
  bool benchmark = false;    // inference only: no drawing, writing or window
  bool ext_output = false;   // boxes in pixels after each object line
  size_t queue_capacity = 4; // frames in flight between two stages
};

struct DemoStats {
  int frames = 0;          // frames decoded, detected (and written, unless benchmark)
  double seconds = 0;      // wall time from the first frame to the last one detected
  double avg_fps = 0;      // frames / seconds
  double network_ms = 0;   // mean network time per frame (letterbox + forward)
  bool interrupted = false;  // stopped by a signal or Esc before the end of the source
};

// Throws dn::Error "... built without OpenCV ..." in a build without OpenCV; does nothing otherwise.
void require_video_support();

// Runs the demo and prints per frame "FPS:x \t AVG_FPS:y" then the frame's objects (as
// detector test), and "Average FPS: ..." at the end. Errors (source that cannot be opened or has
// no decodable frame, output that cannot be written, a build without OpenCV) throw dn::Error.
DemoStats run_demo(const DemoOptions& opt);

}  // namespace dn
