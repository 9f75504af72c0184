#include "detect/detector.hpp"

#include <chrono>

#include "core/error.hpp"
#include "layers/yolo.hpp"
#include "network/device.hpp"

namespace dn {

Detector::Detector(const std::string& cfg_path, const std::string& weights_path, bool letterbox)
    : net_(load_network(cfg_path, 1)), letterbox_(letterbox) {
  if (!weights_path.empty()) load_inference_weights(*net_, weights_path);
  if (net_->yolo_layers().empty()) fail_at(cfg_path, 0, "the network has no [yolo] layer to detect with");
  net_->set_hand_over(true);  // only the [yolo] layers' outputs are read
}

Detector::Detector(std::unique_ptr<Network> net, bool letterbox) : net_(std::move(net)), letterbox_(letterbox) {
  if (net_->yolo_layers().empty()) fail_at(net_->cfg_path, 0, "the network has no [yolo] layer to detect with");
  net_->set_hand_over(true);
}

int Detector::classes() const { return const_cast<Network&>(*net_).yolo_layers().front()->classes; }

std::vector<Detection> Detector::detect(const Image& im, float thresh, float nms, double* ms) {
  const int w = net_->params.width, h = net_->params.height;
  Image sized = letterbox_ ? letterbox_image(im, w, h) : resize_image(im, w, h);
  if (sized.c != net_->params.channels) fail("image has " + std::to_string(sized.c) + " channels, network wants " + std::to_string(net_->params.channels));
  auto t0 = std::chrono::steady_clock::now();
  if (!device::forward(*net_, gpu_, sized.data.data()))  // false: no GPU (docs/cuda.md)
    net_->forward(sized.data.data());
  auto t1 = std::chrono::steady_clock::now();
  if (ms) *ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  auto dets = get_network_detections(*net_, 0, im.w, im.h, thresh, letterbox_);
  if (nms > 0) nms_sort(dets, classes(), network_nms(*net_, nms));
  return dets;
}

}  // namespace dn
