#pragma once
// A loaded network ready to detect on images of any size (used by test, valid, map and demo).
#include <memory>
#include <string>
#include <vector>

#include "detect/detection.hpp"
#include "image/image.hpp"
#include "network/network.hpp"

namespace dn {

class Detector {
 public:
  // weights may be empty (random/initial weights, for tests); a weights file must fill every
  // layer (load_inference_weights).
  Detector(const std::string& cfg_path, const std::string& weights_path, bool letterbox = true);
  Detector(std::unique_ptr<Network> net, bool letterbox);
  // Letterboxes (or stretches) the image to the network, runs it, and returns detections after
  // per-class NMS at threshold nms, of the kind the cfg's last [yolo] layer asks for (nms_kind;
  // nms <= 0 skips NMS). ms, if given, receives the network's time.
  std::vector<Detection> detect(const Image& im, float thresh, float nms = kDefaultNmsThresh, double* ms = nullptr);
  int classes() const;
  Network& network() { return *net_; }

 private:
  std::unique_ptr<Network> net_;
  bool letterbox_;
  std::shared_ptr<void> gpu_;  // the network on a GPU, when there is one (device::forward)
};

}  // namespace dn
