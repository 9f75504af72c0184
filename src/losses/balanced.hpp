#pragma once
// balanced: alpha-balanced cross-entropy, -alpha_t log p_t.
#include "losses/elementwise.hpp"

namespace dn::losses {

struct Balanced {
  static constexpr const char* kName = "balanced";
  // A weighted cross-entropy: with a soft target its minimum is at p = y only for alpha = .5,
  // otherwise y reweighted by alpha, just as for hard labels; so soft targets are allowed.
  static constexpr bool kSoftTargets = true;
  double alpha;
  DN_HD explicit Balanced(const LossParams& p) : alpha(p.alpha) {}
  static void check(const LossParams& p) { require_range(kName, "focal_alpha", p.alpha, 0, 1); }
  std::string describe() const { return std::string(kName) + "(alpha=" + fmt_param(alpha) + ")"; }
  DN_HD SideValue operator()(double x_t, bool positive) const {
    double alpha_t = positive ? alpha : 1 - alpha;
    Logistic l = logistic(x_t);
    return {-alpha_t * l.log_p, -alpha_t * l.q};
  }
};

}  // namespace dn::losses
