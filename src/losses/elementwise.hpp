#pragma once
// Shared by the element-wise losses (internal to src/losses): stable logistic functions, the
// loop over elements that handles targets and weights, and parameter checks.
#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace dn::losses {

// p = sigmoid(x), q = 1 - p and log p, without cancellation or overflow for any finite x.
struct Logistic {
  double p, q, log_p;
};
inline Logistic logistic(double x) {
  if (x >= 0) {
    double e = std::exp(-x);
    return {1.0 / (1.0 + e), e / (1.0 + e), -std::log1p(e)};
  }
  double e = std::exp(x);
  return {e / (1.0 + e), 1.0 / (1.0 + e), x - std::log1p(e)};
}

// log(1 + e^z), stable for both signs.
inline double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))); }

// q^g with the common exponents done by multiplication (q^0 = 1, also for q = 0).
inline double pow_gamma(double q, double g) {
  if (g == 0) return 1.0;
  if (g == 1) return q;
  if (g == 2) return q * q;
  return std::pow(q, g);
}

// The loss on one side, as a function of x_t (x for a positive, -x for a negative).
struct SideValue {
  double loss;     // L
  double dloss;    // dL/dx_t
};

// Loops over the elements. side(x_t, positive) gives L and dL/dx_t of one side; a target y in
// (0,1) interpolates y*L(pos) + (1-y)*L(neg). Elements of weight 0 are skipped (grad 0).
template <class Side>
double compute_elementwise(const Side& side, const float* logits, const float* targets,
                           const float* weights, int n, float* grad) {
  double total = 0;
  for (int i = 0; i < n; ++i) {
    double w = weights ? weights[i] : 1.0;
    if (w == 0) {
      grad[i] = 0;
      continue;
    }
    double x = logits[i], y = targets[i], loss, d;
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
    total += w * loss;
    grad[i] = static_cast<float>(w * d);
  }
  return total;
}

// "%g" of a parameter, for describe() and messages.
std::string fmt_param(double v);

// Parameter checks; `loss` names the loss and `key` the cfg key in the message.
void require_range(const std::string& loss, const std::string& key, double v, double lo, double hi);
void require_min(const std::string& loss, const std::string& key, double v, double lo,
                 bool strict = false);
void require_finite(const std::string& loss, const std::string& key, double v);

}  // namespace dn::losses
