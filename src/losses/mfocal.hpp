#pragma once
// mfocal: non-saturating focal loss, -alpha_t [l_t + (1-l_t)(1-p_t)^g] log p_t, where the floor
// l_t is floor_pos on positives and floor_neg on negatives (docs/losses.md).
#include "losses/elementwise.hpp"

namespace dn::losses {

struct MFocal {
  static constexpr const char* kName = "mfocal";
  static constexpr bool kSoftTargets = false;
  double gamma, alpha, floor_pos, floor_neg;
  DN_HD explicit MFocal(const LossParams& p)
      : gamma(p.gamma), alpha(p.alpha), floor_pos(p.floor_pos), floor_neg(p.floor_neg) {}
  static void check(const LossParams& p) {
    require_min(kName, "focal_gamma", p.gamma, 0);
    require_range(kName, "focal_alpha", p.alpha, 0, 1);
    require_range(kName, "mfocal_floor_pos", p.floor_pos, 0, 1);
    require_range(kName, "mfocal_floor_neg", p.floor_neg, 0, 1);
  }
  std::string describe() const {
    return std::string(kName) + "(gamma=" + fmt_param(gamma) + ", alpha=" + fmt_param(alpha) +
           ", floor_pos=" + fmt_param(floor_pos) + ", floor_neg=" + fmt_param(floor_neg) + ")";
  }
  DN_HD SideValue operator()(double x_t, bool positive) const {
    double alpha_t = positive ? alpha : 1 - alpha;
    double l_t = positive ? floor_pos : floor_neg;
    Logistic l = logistic(x_t);
    double qg = pow_gamma(l.q, gamma);
    double loss = -alpha_t * (l_t + (1 - l_t) * qg) * l.log_p;
    double d = alpha_t * (-l_t * l.q + (1 - l_t) * qg * (gamma * l.p * l.log_p - l.q));
    return {loss, d};
  }
};

}  // namespace dn::losses
