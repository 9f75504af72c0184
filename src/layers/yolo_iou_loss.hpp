#pragma once
// The IoU-type box losses of a [yolo] layer (AlexeyAB's iou_loss=iou|giou|diou|ciou), written once
// for the CPU layer and (under nvcc) CUDA kernels: plain inline functions of numbers, templated on
// the floating type (the CPU layer uses double), no allocation, no std:: containers.
//
// For a predicted box p and a truth box t (centre x, y, width w, height h, both relative to the
// network input), with I the intersection area, U the union area, C the area of the smallest box
// enclosing both, rho^2 the squared distance of the centres and c^2 the squared diagonal of that
// enclosing box:
//   iou   L = 1 - IoU,                    IoU = I / U
//   giou  L = 1 - GIoU,                   GIoU = IoU - (C - U) / C
//   diou  L = 1 - DIoU,                   DIoU = IoU - rho^2 / c^2
//   ciou  L = 1 - CIoU,                   CIoU = DIoU - alpha v,
//         v = 4/pi^2 (atan(t.w/t.h) - atan(p.w/p.h))^2,  alpha = v / (1 - IoU + v)  (0 when v = 0)
// The gradient is the exact derivative of L with respect to p's x, y, w, h, except that for ciou
// alpha is held constant (as in the CIoU paper, Zheng et al., AAAI 2020, and its reference code):
// dL = -dIoU + d(rho^2/c^2) + alpha dv. Where an edge of p coincides with the truth's (a kink of
// min/max) the mean of the two one-sided derivatives is taken, so that identical boxes, the
// minimum, have a zero gradient.
//
// yolo_iou_box_term then chains this through the [yolo] decoding to the layer's input logits:
//   x = (i + s sigmoid(t_x) - (s - 1)/2) / W,   w = e^(t_w) anchor_w / net_w   (the same for y, h)
// so dL/dt_x = dL/dx * s sigmoid(t_x)(1 - sigmoid(t_x)) / W and dL/dt_w = dL/dw * w.
// (new_coords=1 decoding is not handled: training with it is refused by YoloLayer.)
#include <cmath>

#include "layers/yolo_box.hpp"  // DN_HD

namespace dn {

// The box term of a [yolo] layer: mse is Darknet's squared error on the logits (yolo_terms.hpp);
// the others are the IoU-type losses above.
enum class YoloBoxLoss : int { mse = 0, iou = 1, giou = 2, diou = 3, ciou = 4 };

DN_HD inline const char* yolo_box_loss_name(YoloBoxLoss k) {
  switch (k) {
    case YoloBoxLoss::mse: return "mse";
    case YoloBoxLoss::iou: return "iou";
    case YoloBoxLoss::giou: return "giou";
    case YoloBoxLoss::diou: return "diou";
    case YoloBoxLoss::ciou: return "ciou";
  }
  return "?";
}

namespace iou_detail {
template <typename T>
DN_HD inline T min2(T a, T b) { return a < b ? a : b; }
template <typename T>
DN_HD inline T max2(T a, T b) { return a > b ? a : b; }
// d min(a, b) / da: 1 if a < b, 0 if a > b, 1/2 at a tie (the mean of the one-sided derivatives).
template <typename T>
DN_HD inline T below(T a, T b) { return a < b ? T(1) : a == b ? T(.5) : T(0); }
}  // namespace iou_detail

template <typename T>
struct IouLossValue {
  T loss = 0;          // 1 - IoU, 1 - GIoU, 1 - DIoU or 1 - CIoU
  T iou = 0;           // plain IoU of the two boxes
  T alpha = 0;         // ciou's alpha (0 for the others)
  T v = 0;             // ciou's aspect-ratio term v (0 for the others)
  T d[4] = {0, 0, 0, 0};  // dLoss / d(p.x, p.y, p.w, p.h); for ciou with alpha held constant
};

// The loss of kind k (not mse) between the predicted box (px, py, pw, ph) and the truth
// (tx, ty, tw, th), and its gradient with respect to the predicted box. Boxes must have w, h > 0.
template <typename T>
DN_HD inline IouLossValue<T> iou_loss(YoloBoxLoss k, T px, T py, T pw, T ph, T tx, T ty, T tw, T th) {
  using iou_detail::below;
  using iou_detail::max2;
  using iou_detail::min2;
  IouLossValue<T> r;
  const T half = T(.5);
  // Edges: left, right, top, bottom of p and of t.
  const T pl = px - half * pw, pr = px + half * pw, pt = py - half * ph, pb = py + half * ph;
  const T ql = tx - half * tw, qr = tx + half * tw, qt = ty - half * th, qb = ty + half * th;

  // Intersection I = iw * ih and its derivative with respect to p's edges.
  T iw = min2(pr, qr) - max2(pl, ql);
  T ih = min2(pb, qb) - max2(pt, qt);
  const bool overlap = iw > 0 && ih > 0;
  if (!overlap) iw = ih = 0;
  // d min(pr, qr)/d pr and -d max(pl, ql)/d pl (the same for the rows).
  const T diw_dr = overlap ? below(pr, qr) : T(0), diw_dl = overlap ? -below(ql, pl) : T(0);
  const T dih_db = overlap ? below(pb, qb) : T(0), dih_dt = overlap ? -below(qt, pt) : T(0);
  const T I = iw * ih;
  // To x, w (r = x + w/2, l = x - w/2): d/dx = d/dr + d/dl, d/dw = (d/dr - d/dl) / 2.
  const T dI[4] = {(diw_dr + diw_dl) * ih, (dih_db + dih_dt) * iw, half * (diw_dr - diw_dl) * ih,
                   half * (dih_db - dih_dt) * iw};
  // Union U = pw ph + tw th - I.
  const T U = pw * ph + tw * th - I;
  const T dU[4] = {-dI[0], -dI[1], ph - dI[2], pw - dI[3]};
  const T iou = I / U;
  T d_iou[4];
  for (int e = 0; e < 4; ++e) d_iou[e] = (dI[e] * U - I * dU[e]) / (U * U);
  r.iou = iou;
  r.loss = T(1) - iou;
  for (int e = 0; e < 4; ++e) r.d[e] = -d_iou[e];
  if (k == YoloBoxLoss::iou || k == YoloBoxLoss::mse) return r;

  // Smallest enclosing box: cw x ch, and its derivative with respect to p's edges.
  const T cw = max2(pr, qr) - min2(pl, ql), ch = max2(pb, qb) - min2(pt, qt);
  const T dcw_dr = below(qr, pr), dcw_dl = -below(pl, ql);
  const T dch_db = below(qb, pb), dch_dt = -below(pt, qt);
  const T dcw[4] = {dcw_dr + dcw_dl, 0, half * (dcw_dr - dcw_dl), 0};
  const T dch[4] = {0, dch_db + dch_dt, 0, half * (dch_db - dch_dt)};

  if (k == YoloBoxLoss::giou) {
    // L = 1 - IoU + (C - U) / C = 2 - IoU - U / C.
    const T C = cw * ch;
    r.loss += (C - U) / C;
    for (int e = 0; e < 4; ++e) {
      const T dC = dcw[e] * ch + cw * dch[e];
      r.d[e] -= (dU[e] * C - U * dC) / (C * C);
    }
    return r;
  }

  // diou, ciou: + rho^2 / c^2.
  const T dx = px - tx, dy = py - ty;
  const T rho2 = dx * dx + dy * dy, c2 = cw * cw + ch * ch;
  const T drho2[4] = {2 * dx, 2 * dy, 0, 0};
  r.loss += rho2 / c2;
  for (int e = 0; e < 4; ++e) {
    const T dc2 = 2 * cw * dcw[e] + 2 * ch * dch[e];
    r.d[e] += (drho2[e] * c2 - rho2 * dc2) / (c2 * c2);
  }
  if (k == YoloBoxLoss::diou) return r;

  // ciou: + alpha v, alpha held constant in the gradient.
  const T four_over_pi2 = T(0.40528473456935108578);  // 4 / pi^2
  const T diff = std::atan(tw / th) - std::atan(pw / ph);
  const T v = four_over_pi2 * diff * diff;
  const T alpha = v > 0 ? v / (T(1) - iou + v) : T(0);
  r.alpha = alpha;
  r.v = v;
  r.loss += alpha * v;
  // d atan(w/h)/dw = h / (w^2 + h^2), d atan(w/h)/dh = -w / (w^2 + h^2).
  const T n2 = pw * pw + ph * ph;
  r.d[2] += alpha * (-2 * four_over_pi2 * diff * ph / n2);
  r.d[3] += alpha * (2 * four_over_pi2 * diff * pw / n2);
  return r;
}

template <typename T>
struct YoloIouBoxTerm {
  T loss = 0;             // the unweighted loss (iou_loss's)
  T iou = 0;              // plain IoU of the decoded box with the truth
  T alpha = 0, v = 0;     // ciou's alpha and v (0 for the others)
  T grad[4] = {0, 0, 0, 0};  // dLoss / d(t_x, t_y, t_w, t_h), the layer's input logits
};

// The IoU-type box term of one prediction: logits t[0..3] = t_x, t_y, t_w, t_h of the anchor at
// cell (i, j) of a grid_w x grid_h grid, anchor (anchor_w, anchor_h) in network pixels, network
// net_w x net_h, scale_x_y s; truth (tx, ty, tw, th) relative to the network input.
template <typename T>
DN_HD inline YoloIouBoxTerm<T> yolo_iou_box_term(YoloBoxLoss k, const T t[4], int i, int j, int grid_w,
                                                          int grid_h, T anchor_w, T anchor_h, int net_w, int net_h,
                                                          T s, T tx, T ty, T tw, T th) {
  const T sx = T(1) / (T(1) + std::exp(-t[0])), sy = T(1) / (T(1) + std::exp(-t[1]));
  const T off = T(.5) * (s - T(1));
  const T px = (T(i) + s * sx - off) / T(grid_w), py = (T(j) + s * sy - off) / T(grid_h);
  const T pw = std::exp(t[2]) * anchor_w / T(net_w), ph = std::exp(t[3]) * anchor_h / T(net_h);
  const IouLossValue<T> q = iou_loss(k, px, py, pw, ph, tx, ty, tw, th);
  YoloIouBoxTerm<T> r;
  r.loss = q.loss;
  r.iou = q.iou;
  r.alpha = q.alpha;
  r.v = q.v;
  r.grad[0] = q.d[0] * s * sx * (T(1) - sx) / T(grid_w);
  r.grad[1] = q.d[1] * s * sy * (T(1) - sy) / T(grid_h);
  r.grad[2] = q.d[2] * pw;
  r.grad[3] = q.d[3] * ph;
  return r;
}

// The box term of one positive of a [yolo] layer, either kind, for the CPU layer (yolo_box_term)
// and the CUDA kernel: logits x[4] of the anchor (anchor_w x anchor_h pixels) at cell (i, j) of a
// grid_w x grid_h grid, truth box t, scale_x_y sxy, and m the positive's class multiplier
// (counters_per_class; 1 without).
// - mse: yolo_mse_box_term with weight iou_normalizer * (2 - t.w t.h) * m;
// - iou|giou|diou|ciou: yolo_iou_box_term with weight iou_normalizer * m (no (2 - w h) factor, as
//   AlexeyAB), each gradient clipped to [-max_delta, max_delta] (AlexeyAB's; infinite = no clip).
// loss is the weighted loss, grad[e] the gradient of the four logits.
struct YoloBoxTerm {
  double loss = 0;
  float grad[4] = {0, 0, 0, 0};
};
DN_HD inline YoloBoxTerm yolo_positive_box_term(YoloBoxLoss kind, const double x[4], int i, int j, int grid_w,
                                                int grid_h, float anchor_w, float anchor_h, int net_w, int net_h,
                                                double sxy, const Box& t, float iou_normalizer, float m,
                                                float max_delta) {
  YoloBoxTerm r;
  if (kind == YoloBoxLoss::mse) {
    const double scale = static_cast<double>(iou_normalizer) * (2.0 - static_cast<double>(t.w) * t.h) * m;
    const YoloMseBoxTerm q =
        yolo_mse_box_term(x, i, j, grid_w, grid_h, anchor_w, anchor_h, net_w, net_h, sxy, t, scale);
    r.loss = q.loss;
    for (int e = 0; e < 4; ++e) r.grad[e] = static_cast<float>(q.grad[e]);
    return r;
  }
  const double weight = static_cast<double>(iou_normalizer) * m;
  const YoloIouBoxTerm<double> q = yolo_iou_box_term<double>(kind, x, i, j, grid_w, grid_h, anchor_w, anchor_h, net_w,
                                                             net_h, sxy, t.x, t.y, t.w, t.h);
  r.loss = weight * q.loss;
  for (int e = 0; e < 4; ++e) {
    const float g = static_cast<float>(weight * q.grad[e]);
    r.grad[e] = g < -max_delta ? -max_delta : (max_delta < g ? max_delta : g);  // std::clamp's order
  }
  return r;
}

}  // namespace dn
