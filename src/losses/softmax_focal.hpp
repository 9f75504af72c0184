#pragma once
// softmax_focal: multiclass focal loss over the class logits of one anchor,
// L = -alpha (1-p_c)^g log p_c with p = softmax(z).
#include "losses/elementwise.hpp"

namespace dn::losses {

struct SoftmaxFocal {
  static constexpr const char* kName = "softmax_focal";
  static constexpr float kDefaultAlpha = 1.0f;  // alpha only scales the whole term here
  double gamma, alpha;
  DN_HD explicit SoftmaxFocal(const LossParams& p) : gamma(p.gamma), alpha(p.alpha) {}
  static void check(const LossParams& p) {
    require_min(kName, "focal_gamma", p.gamma, 0);
    require_range(kName, "focal_alpha", p.alpha, 0, 1);
  }
  std::string describe() const {
    return std::string(kName) + "(gamma=" + fmt_param(gamma) + ", alpha=" + fmt_param(alpha) + ")";
  }
  // The logits z[j*stride], j < n (n >= 1), target class 0 <= c < n: returns weight*L and calls
  // emit(j, weight*dL/dz_j) for every j.
  // u = 1 - p_c is summed from the other classes (no cancellation near p_c = 1), and the gradient
  // uses r_j = p_j / u, so no negative power of u appears even for g < 1:
  //   dL/dz_c = alpha u^g (g p_c log p_c - u) =: B,  dL/dz_j = -B r_j (j != c).
  template <class Emit>
  DN_HD double operator()(const float* z, int stride, int n, int c, float weight, Emit emit) const {
    double m = z[0];
    for (int j = 1; j < n; ++j) {
      double v = z[j * stride];
      m = m < v ? v : m;
    }
    double others = 0;  // sum_{j != c} exp(z_j - m)
    for (int j = 0; j < n; ++j)
      if (j != c) others += exp(static_cast<double>(z[j * stride]) - m);
    double ec = exp(static_cast<double>(z[c * stride]) - m);
    double s = ec + others;
    double p_c = ec / s, u = others / s;
    double log_p = (static_cast<double>(z[c * stride]) - m) - log(s);
    double ug = pow_gamma(u, gamma);
    double loss = -alpha * ug * log_p;
    double b = alpha * ug * (gamma * p_c * log_p - u);
    emit(c, static_cast<float>(weight * b));
    if (n > 1) {
      // r_j over the other classes, with their own maximum so that it never underflows to 0/0.
      double mo = -INFINITY;
      for (int j = 0; j < n; ++j) {
        double v = z[j * stride];
        if (j != c) mo = mo < v ? v : mo;
      }
      double so = 0;
      for (int j = 0; j < n; ++j)
        if (j != c) so += exp(static_cast<double>(z[j * stride]) - mo);
      for (int j = 0; j < n; ++j)
        if (j != c) emit(j, static_cast<float>(-weight * b * exp(z[j * stride] - mo) / so));
    }
    return weight * loss;
  }
};

}  // namespace dn::losses
