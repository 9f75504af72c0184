#pragma once
// The pluggable losses as device functions: the same maths, in double, as src/losses/*.cpp
// (docs/losses.md). Each CPU loss has its case here; LossSpec says which one and its parameters.
// A new loss needs a case in side() (element-wise) and a line in gpu_loss.cpp's loss_spec().
#include <cuda_runtime.h>

#include "cuda/kernels.hpp"

namespace dn::cuda::dev {

// p = sigmoid(x), q = 1 - p and log p, stable for any finite x (losses/elementwise.hpp).
struct Logistic {
  double p, q, log_p;
};
__device__ inline Logistic logistic(double x) {
  if (x >= 0) {
    double e = exp(-x);
    return {1.0 / (1.0 + e), e / (1.0 + e), -log1p(e)};
  }
  double e = exp(x);
  return {e / (1.0 + e), 1.0 / (1.0 + e), x - log1p(e)};
}

__device__ inline double softplus(double z) { return fmax(z, 0.0) + log1p(exp(-fabs(z))); }

__device__ inline double pow_gamma(double q, double g) {
  if (g == 0) return 1.0;
  if (g == 1) return q;
  if (g == 2) return q * q;
  return pow(q, g);
}

struct SideValue {
  double loss, dloss;  // L and dL/dx_t
};

// One side of an element-wise loss as a function of x_t (x for a positive, -x for a negative).
__device__ inline SideValue side(const LossSpec& s, double x_t, bool positive) {
  switch (s.kind) {
    case LossKind::Bce: {  // bce.cpp
      Logistic l = logistic(x_t);
      return {-l.log_p, -l.q};
    }
    case LossKind::Balanced: {  // balanced.cpp
      double alpha_t = positive ? s.alpha : 1 - s.alpha;
      Logistic l = logistic(x_t);
      return {-alpha_t * l.log_p, -alpha_t * l.q};
    }
    case LossKind::Focal: {  // focal.cpp
      double alpha_t = positive ? s.alpha : 1 - s.alpha;
      Logistic l = logistic(x_t);
      double qg = pow_gamma(l.q, s.gamma);
      return {-alpha_t * qg * l.log_p, alpha_t * qg * (s.gamma * l.p * l.log_p - l.q)};
    }
    case LossKind::FocalStar: {  // focal_star.cpp
      double z = s.gamma * x_t + s.beta;
      return {softplus(-z) / s.gamma, -logistic(z).q};
    }
    case LossKind::Poly1: {  // poly1.cpp
      double alpha_t = positive ? s.alpha : 1 - s.alpha;
      Logistic l = logistic(x_t);
      double qg = pow_gamma(l.q, s.gamma), qg1 = qg * l.q;
      double loss = -alpha_t * qg * l.log_p + s.poly_eps * qg1;
      double d = alpha_t * qg * (s.gamma * l.p * l.log_p - l.q) - s.poly_eps * (s.gamma + 1) * l.p * qg1;
      return {loss, d};
    }
    case LossKind::MFocal: {  // mfocal.cpp
      double alpha_t = positive ? s.alpha : 1 - s.alpha;
      double l_t = positive ? s.floor_pos : s.floor_neg;
      double g = s.gamma;
      Logistic l = logistic(x_t);
      double qg = pow_gamma(l.q, g);
      double loss = -alpha_t * (l_t + (1 - l_t) * qg) * l.log_p;
      double d = alpha_t * (-l_t * l.q + (1 - l_t) * qg * (g * l.p * l.log_p - l.q));
      return {loss, d};
    }
    case LossKind::SoftmaxFocal:
      break;  // not element-wise: softmax_focal() below
  }
  return {0, 0};
}

// One element, as compute_elementwise: returns w*L and sets *grad = w*dL/dx (0 when w is 0).
__device__ inline double elementwise(const LossSpec& s, float logit, float target, float weight, float* grad) {
  const double w = weight;
  if (w == 0) {
    *grad = 0;
    return 0;
  }
  const double x = logit, y = target;
  double loss, d;
  if (y >= 1) {
    SideValue v = side(s, x, true);
    loss = v.loss;
    d = v.dloss;
  } else if (y <= 0) {
    SideValue v = side(s, -x, false);
    loss = v.loss;
    d = -v.dloss;
  } else {
    SideValue a = side(s, x, true), b = side(s, -x, false);
    loss = y * a.loss + (1 - y) * b.loss;
    d = y * a.dloss - (1 - y) * b.dloss;
  }
  *grad = static_cast<float>(w * d);
  return w * loss;
}

// softmax_focal.cpp over z[j*stride], j < n, target class c: returns weight*L; for every j calls
// emit(j, weight*dL/dz_j) with the CPU's float value.
template <class Emit>
__device__ inline double softmax_focal(const LossSpec& s, const float* z, int stride, int n, int c, float weight,
                                       Emit emit) {
  double m = z[0];
  for (int j = 1; j < n; ++j) m = fmax(m, static_cast<double>(z[j * stride]));
  double others = 0;
  for (int j = 0; j < n; ++j)
    if (j != c) others += exp(static_cast<double>(z[j * stride]) - m);
  const double ec = exp(static_cast<double>(z[c * stride]) - m);
  const double sum = ec + others;
  const double p_c = ec / sum, u = others / sum;
  const double log_p = (static_cast<double>(z[c * stride]) - m) - log(sum);
  const double ug = pow_gamma(u, s.gamma);
  const double loss = -s.alpha * ug * log_p;
  const double b = s.alpha * ug * (s.gamma * p_c * log_p - u);
  emit(c, static_cast<float>(weight * b));
  if (n > 1) {
    double mo = -INFINITY;
    for (int j = 0; j < n; ++j)
      if (j != c) mo = fmax(mo, static_cast<double>(z[j * stride]));
    double so = 0;
    for (int j = 0; j < n; ++j)
      if (j != c) so += exp(static_cast<double>(z[j * stride]) - mo);
    for (int j = 0; j < n; ++j)
      if (j != c) emit(j, static_cast<float>(-weight * b * exp(z[j * stride] - mo) / so));
  }
  return weight * loss;
}

}  // namespace dn::cuda::dev
