#pragma once
#include "layers/layer.hpp"

namespace dn {

// [yolo]: YOLOv3 detection head over the previous layer's (5 + classes) * len(mask) channels.
// Output layout per image: [anchor n][entry][h][w], entry = tx, ty, tw, th, objectness, classes...
// After forward, x, y, objectness and classes have been through the logistic; w, h stay raw.
class YoloLayer : public Layer {
 public:
  YoloLayer(int classes, std::vector<int> mask, std::vector<float> anchors);
  const char* type() const override { return "yolo"; }
  void resize(int batch, Shape in) override;
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;
  std::string describe() const override;

  int num() const { return static_cast<int>(mask.size()); }
  // Index of entry `entry` of anchor n at cell loc (= y*w + x) of image b.
  size_t entry_index(int b, int n, int entry, int loc) const {
    return b * out.size() + (static_cast<size_t>(n) * (5 + classes) + entry) * out.h * out.w + loc;
  }
  // Decoded box (relative to the network input) of anchor n at cell (i, j) of image b.
  Box get_box(int b, int n, int i, int j, int net_w, int net_h) const;

  int classes;
  std::vector<int> mask;       // anchors used by this layer
  std::vector<float> anchors;  // all anchors, w,h pairs in network-input pixels
  float ignore_thresh = .5f, truth_thresh = 1.f, jitter = .3f;
  int random = 0;
};

}  // namespace dn
