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
#include <math.h>
#include <stddef.h>

#include "core/box.hpp"
#include "core/hd.hpp"

namespace dn {

struct YoloDecoding {
  float scale_x_y = 1.f;
  bool new_coords = false;
};

DN_HD inline float yolo_logistic(float x) { return 1.f / (1.f + host_expf(-x)); }

// Output of the x or y entry from the layer input t: s * f(t) - (s - 1) / 2, f the logistic (or
// the identity with new_coords).
DN_HD inline float yolo_xy_output(float t, const YoloDecoding& d) {
  const float v = d.new_coords ? t : yolo_logistic(t);
  return v * d.scale_x_y - .5f * (d.scale_x_y - 1.f);
}
// d(output)/d(t) of the x or y entry, given the output function's own value f(t).
DN_HD inline float yolo_xy_slope(float t, const YoloDecoding& d) {
  if (d.new_coords) return d.scale_x_y;
  const float v = yolo_logistic(t);
  return d.scale_x_y * v * (1.f - v);
}
// Output of the objectness or a class entry (element-wise classes): the logistic, or the input
// itself with new_coords.
DN_HD inline float yolo_prob_output(float t, const YoloDecoding& d) {
  return d.new_coords ? t : yolo_logistic(t);
}
// The output of entry e of a prediction (0, 1: x, y; 2, 3: w, h; 4: objectness; 5...: the
// classes, element-wise; the layer normalises softmax classes over the classes itself) from its
// input t, and d(output)/d(t) given the output o.
DN_HD inline float yolo_entry_output(int e, float t, const YoloDecoding& d) {
  if (e < 2) return yolo_xy_output(t, d);
  if (e < 4) return t;
  return yolo_prob_output(t, d);
}
DN_HD inline float yolo_entry_slope(int e, float t, float o, const YoloDecoding& d) {
  if (e < 2) return yolo_xy_slope(t, d);
  if (e < 4 || d.new_coords) return 1.f;
  return o * (1.f - o);
}
// Softmax classes: p[k * stride] = the softmax of the logits z[k * stride], k < classes (z may be
// p), and its backward: dz[k * stride] += p_k (d_k - sum_j d_j p_j) for the output gradient d.
DN_HD inline void yolo_softmax(const float* z, float* p, size_t stride, int classes) {
  float mx = z[0];
  for (int k = 1; k < classes; ++k) mx = mx < z[k * stride] ? z[k * stride] : mx;
  float sum = 0;
  for (int k = 0; k < classes; ++k) sum += (p[k * stride] = host_expf(z[k * stride] - mx));
  for (int k = 0; k < classes; ++k) p[k * stride] /= sum;
}
DN_HD inline void yolo_softmax_backward(const float* p, const float* d, float* dz, size_t stride, int classes) {
  float dot = 0;
  for (int k = 0; k < classes; ++k) dot += d[k * stride] * p[k * stride];
  for (int k = 0; k < classes; ++k) dz[k * stride] += p[k * stride] * (d[k * stride] - dot);
}

// Box width (or height) relative to the network input from the w (h) entry t (the output and the
// input are the same for w and h: the layer leaves them raw).
DN_HD inline float yolo_wh(float t, float anchor, int net, const YoloDecoding& d) {
  return d.new_coords ? 4.f * t * t * anchor / net : host_expf(t) * anchor / net;
}
// d(yolo_wh)/d(t).
DN_HD inline float yolo_wh_slope(float t, float anchor, int net, const YoloDecoding& d) {
  return d.new_coords ? 8.f * t * anchor / net : host_expf(t) * anchor / net;
}
// Centre x (or y) relative to the input from the cell index i of `cells` and the x output.
DN_HD inline float yolo_center(int i, float xy_output, int cells) { return (i + xy_output) / cells; }

// A training truth box the layer can use: finite, with positive width and height.
DN_HD inline bool yolo_usable_truth(const Box& b) {
  return isfinite(b.x) && isfinite(b.y) && isfinite(b.w) && isfinite(b.h) && b.w > 0 && b.h > 0;
}

// The anchor (of all `total`, anchors[2a], anchors[2a+1] in pixels) whose box, centred with the
// truth's w x h (relative to the net_w x net_h input), overlaps it most; the first on ties, 0 when
// none overlaps.
DN_HD inline int yolo_best_anchor_of(const float* anchors, int total, float w, float h, int net_w, int net_h) {
  const Box truth{0, 0, w, h};
  int best = 0;
  float best_iou = 0;
  for (int a = 0; a < total; ++a) {
    const Box anchor{0, 0, anchors[2 * a] / net_w, anchors[2 * a + 1] / net_h};
    const float iou = box_iou(anchor, truth);
    if (iou > best_iou) {
      best_iou = iou;
      best = a;
    }
  }
  return best;
}

// The iou_loss=mse (Darknet's) box term of one positive, for the CPU layer (yolo_terms.cpp) and
// the CUDA kernel: logits x[4] (t_x, t_y, t_w, t_h) of the anchor (anchor_w x anchor_h pixels) at
// cell (i, j) of a grid_w x grid_h grid, truth box t (relative to the net_w x net_h input), weight
// `scale`. With o(t) = sxy * sigmoid(t) - (sxy - 1)/2 and targets tx* = t.x*grid_w - i,
// ty* = t.y*grid_h - j, tw* = ln(t.w*net_w/anchor_w), th* = ln(t.h*net_h/anchor_h):
//   L = scale/2 [(o(tx) - tx*)^2 + (o(ty) - ty*)^2 + (tw - tw*)^2 + (th - th*)^2]
// and grad[e] = dL/dx[e].
struct YoloMseBoxTerm {
  double loss = 0;
  double grad[4] = {0, 0, 0, 0};
};
DN_HD inline YoloMseBoxTerm yolo_mse_box_term(const double x[4], int i, int j, int grid_w, int grid_h, float anchor_w,
                                              float anchor_h, int net_w, int net_h, double sxy, const Box& t,
                                              double scale) {
  const double target[4] = {static_cast<double>(t.x) * grid_w - i, static_cast<double>(t.y) * grid_h - j,
                            log(static_cast<double>(t.w) * net_w / anchor_w),
                            log(static_cast<double>(t.h) * net_h / anchor_h)};
  YoloMseBoxTerm r;
  for (int e = 0; e < 4; ++e) {
    if (e < 2) {
      // x, y: squared error of the decoded offset (with sxy = 1 exactly sigmoid and its slope)
      const double s = 1.0 / (1.0 + exp(-x[e]));
      const double diff = (sxy * s - .5 * (sxy - 1.0)) - target[e];
      r.loss += 0.5 * scale * diff * diff;
      r.grad[e] = scale * diff * sxy * s * (1.0 - s);
    } else {  // w, h: squared error on the raw logit
      const double diff = x[e] - target[e];
      r.loss += 0.5 * scale * diff * diff;
      r.grad[e] = scale * diff;
    }
  }
  return r;
}

}  // namespace dn
