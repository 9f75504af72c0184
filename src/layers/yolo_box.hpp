#pragma once
// The box maths of a [yolo] layer, written once for the CPU layer and (under nvcc) the CUDA
// kernels: the output function of each entry and the decoding of a box.
//
// AlexeyAB's keys (docs/yolo_layer.md, "Decoding"):
//   scale_x_y = s  x = (i + s * sigmoid(t_x) - (s - 1) / 2) / W, the same for y;
//                  s = 1 is YOLOv3's x = (i + sigmoid(t_x)) / W.
//   new_coords=1   (scaled-YOLOv4) the convolution before [yolo] already applied the logistic, so
//                  the layer applies no function of its own; then x = (i + s * t_x - (s - 1) / 2)
//                  / W and w = (2 t_w)^2 * anchor_w / net_w = 4 t_w^2 anchor_w / net_w.
#include <cmath>

#if defined(__CUDACC__)
#define DN_HOST_DEVICE __host__ __device__
#else
#define DN_HOST_DEVICE
#endif

namespace dn {

struct YoloDecoding {
  float scale_x_y = 1.f;
  bool new_coords = false;
};

DN_HOST_DEVICE inline float yolo_logistic(float x) { return 1.f / (1.f + std::exp(-x)); }

// Output of the x or y entry from the layer input t: s * f(t) - (s - 1) / 2, f the logistic (or
// the identity with new_coords).
DN_HOST_DEVICE inline float yolo_xy_output(float t, const YoloDecoding& d) {
  const float v = d.new_coords ? t : yolo_logistic(t);
  return v * d.scale_x_y - .5f * (d.scale_x_y - 1.f);
}
// d(output)/d(t) of the x or y entry, given the output function's own value f(t).
DN_HOST_DEVICE inline float yolo_xy_slope(float t, const YoloDecoding& d) {
  if (d.new_coords) return d.scale_x_y;
  const float v = yolo_logistic(t);
  return d.scale_x_y * v * (1.f - v);
}
// Output of the objectness or a class entry (element-wise classes): the logistic, or the input
// itself with new_coords.
DN_HOST_DEVICE inline float yolo_prob_output(float t, const YoloDecoding& d) {
  return d.new_coords ? t : yolo_logistic(t);
}
// Box width (or height) relative to the network input from the w (h) entry t (the output and the
// input are the same for w and h: the layer leaves them raw).
DN_HOST_DEVICE inline float yolo_wh(float t, float anchor, int net, const YoloDecoding& d) {
  return d.new_coords ? 4.f * t * t * anchor / net : std::exp(t) * anchor / net;
}
// d(yolo_wh)/d(t).
DN_HOST_DEVICE inline float yolo_wh_slope(float t, float anchor, int net, const YoloDecoding& d) {
  return d.new_coords ? 8.f * t * anchor / net : std::exp(t) * anchor / net;
}
// Centre x (or y) relative to the input from the cell index i of `cells` and the x output.
DN_HOST_DEVICE inline float yolo_center(int i, float xy_output, int cells) { return (i + xy_output) / cells; }

}  // namespace dn
