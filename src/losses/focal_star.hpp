#pragma once
// focal_star: FL* of Lin et al. 2017 (appendix), -log(sigmoid(g x_t + b)) / g.
#include "losses/elementwise.hpp"

namespace dn::losses {

struct FocalStar {
  static constexpr const char* kName = "focal_star";
  static constexpr bool kSoftTargets = false;
  double gamma, beta;
  DN_HD explicit FocalStar(const LossParams& p) : gamma(p.gamma), beta(p.beta) {}
  static void check(const LossParams& p) {
    require_min(kName, "focal_gamma", p.gamma, 0, /*strict=*/true);
    require_finite(kName, "focal_beta", p.beta);
  }
  std::string describe() const {
    return std::string(kName) + "(gamma=" + fmt_param(gamma) + ", beta=" + fmt_param(beta) + ")";
  }
  DN_HD SideValue operator()(double x_t, bool) const {
    double z = gamma * x_t + beta;
    // L = softplus(-z) / g; dL/dx_t = sigmoid(z) - 1 = -sigmoid(-z).
    return {softplus(-z) / gamma, -logistic(z).q};
  }
};

}  // namespace dn::losses
