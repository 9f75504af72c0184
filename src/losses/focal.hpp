#pragma once
// focal: -alpha_t (1-p_t)^g log p_t (Lin et al. 2017).
#include "losses/elementwise.hpp"

namespace dn::losses {

struct Focal {
  static constexpr const char* kName = "focal";
  static constexpr bool kSoftTargets = false;
  double gamma, alpha;
  DN_HD explicit Focal(const LossParams& p) : gamma(p.gamma), alpha(p.alpha) {}
  static void check(const LossParams& p) {
    require_min(kName, "focal_gamma", p.gamma, 0);
    require_range(kName, "focal_alpha", p.alpha, 0, 1);
  }
  std::string describe() const {
    return std::string(kName) + "(gamma=" + fmt_param(gamma) + ", alpha=" + fmt_param(alpha) + ")";
  }
  DN_HD SideValue operator()(double x_t, bool positive) const {
    double alpha_t = positive ? alpha : 1 - alpha;
    Logistic l = logistic(x_t);
    double qg = pow_gamma(l.q, gamma);
    // d/dx_t of -(q^g) log p = q^g (g p log p - q); written with q, not p - 1, to keep precision
    // where p is near 1.
    return {-alpha_t * qg * l.log_p, alpha_t * qg * (gamma * l.p * l.log_p - l.q)};
  }
};

}  // namespace dn::losses
