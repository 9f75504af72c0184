#pragma once
// poly1: Poly-1 focal loss (Leng et al. 2022), focal + eps (1-p_t)^(g+1). The alpha weighting
// applies to the focal term only, as in the paper.
#include "losses/elementwise.hpp"

namespace dn::losses {

struct Poly1 {
  static constexpr const char* kName = "poly1";
  static constexpr bool kSoftTargets = false;
  double gamma, alpha, eps;
  DN_HD explicit Poly1(const LossParams& p) : gamma(p.gamma), alpha(p.alpha), eps(p.poly_eps) {}
  static void check(const LossParams& p) {
    require_min(kName, "focal_gamma", p.gamma, 0);
    require_range(kName, "focal_alpha", p.alpha, 0, 1);
    // eps >= -1 keeps Poly-1 CE (alpha_t = 1) non-negative and monotone (Leng et al. 2022).
    require_min(kName, "poly_eps", p.poly_eps, -1);
  }
  std::string describe() const {
    return std::string(kName) + "(gamma=" + fmt_param(gamma) + ", alpha=" + fmt_param(alpha) +
           ", eps=" + fmt_param(eps) + ")";
  }
  DN_HD SideValue operator()(double x_t, bool positive) const {
    double alpha_t = positive ? alpha : 1 - alpha;
    Logistic l = logistic(x_t);
    double qg = pow_gamma(l.q, gamma), qg1 = qg * l.q;
    double loss = -alpha_t * qg * l.log_p + eps * qg1;
    double d = alpha_t * qg * (gamma * l.p * l.log_p - l.q) - eps * (gamma + 1) * l.p * qg1;
    return {loss, d};
  }
};

}  // namespace dn::losses
