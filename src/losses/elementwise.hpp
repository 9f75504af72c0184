#pragma once
// Shared by the losses (internal to src/losses, and taken by the CUDA kernels through list.hpp):
// stable logistic functions, one element's loss with its target and weight, and parameter checks.
// Everything marked DN_HD runs on the host and on the device alike (core/hd.hpp).
#include <math.h>

#include <string>

#include "core/hd.hpp"
#include "losses/params.hpp"

namespace dn::losses {

// p = sigmoid(x), q = 1 - p and log p, without cancellation or overflow for any finite x.
struct Logistic {
  double p, q, log_p;
};
DN_HD inline Logistic logistic(double x) {
  if (x >= 0) {
    double e = exp(-x);
    return {1.0 / (1.0 + e), e / (1.0 + e), -log1p(e)};
  }
  double e = exp(x);
  return {e / (1.0 + e), 1.0 / (1.0 + e), x - log1p(e)};
}

// log(1 + e^z), stable for both signs.
DN_HD inline double softplus(double z) { return (z > 0 ? z : 0.0) + log1p(exp(-fabs(z))); }

// q^g with the common exponents done by multiplication (q^0 = 1, also for q = 0).
DN_HD inline double pow_gamma(double q, double g) {
  if (g == 0) return 1.0;
  if (g == 1) return q;
  if (g == 2) return q * q;
  return pow(q, g);
}

// The loss on one side, as a function of x_t (x for a positive, -x for a negative).
struct SideValue {
  double loss;   // L
  double dloss;  // dL/dx_t
};

// One element of an element-wise loss whose side(x_t, positive) gives L and dL/dx_t of one side:
// returns weight*L and sets *grad = weight*dL/dx. A target y in (0,1) interpolates
// y*L(pos) + (1-y)*L(neg); an element of weight 0 gives 0 and a zero gradient.
template <class Side>
DN_HD inline double elementwise_one(const Side& side, float logit, float target, float weight, float* grad) {
  const double w = weight;
  if (w == 0) {
    *grad = 0;
    return 0;
  }
  const double x = logit, y = target;
  double loss, d;
  if (y >= 1) {
    SideValue v = side(x, true);
    loss = v.loss;
    d = v.dloss;
  } else if (y <= 0) {
    SideValue v = side(-x, false);
    loss = v.loss;
    d = -v.dloss;
  } else {
    SideValue a = side(x, true), b = side(-x, false);
    loss = y * a.loss + (1 - y) * b.loss;
    d = y * a.dloss - (1 - y) * b.dloss;
  }
  *grad = static_cast<float>(w * d);
  return w * loss;
}

// The host loop of Loss::compute: weights nullptr means all 1.
template <class Side>
double compute_elementwise(const Side& side, const float* logits, const float* targets, const float* weights,
                           int n, float* grad) {
  double total = 0;
  for (int i = 0; i < n; ++i) total += elementwise_one(side, logits[i], targets[i], weights ? weights[i] : 1.f, &grad[i]);
  return total;
}

// "%g" of a parameter, for describe() and messages.
std::string fmt_param(double v);

// Parameter checks (host); `loss` names the loss and `key` the cfg key in the message.
void require_range(const std::string& loss, const std::string& key, double v, double lo, double hi);
void require_min(const std::string& loss, const std::string& key, double v, double lo, bool strict = false);
void require_finite(const std::string& loss, const std::string& key, double v);

}  // namespace dn::losses
