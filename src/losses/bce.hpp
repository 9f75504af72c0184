#pragma once
// bce: binary cross-entropy, -log p_t (stock YOLOv3). Soft targets are exact cross-entropy.
#include "losses/elementwise.hpp"

namespace dn::losses {

struct Bce {
  static constexpr const char* kName = "bce";
  static constexpr bool kSoftTargets = true;
  DN_HD explicit Bce(const LossParams&) {}
  static void check(const LossParams&) {}
  std::string describe() const { return kName; }
  DN_HD SideValue operator()(double x_t, bool) const {
    Logistic l = logistic(x_t);
    return {-l.log_p, -l.q};  // dL/dx_t = p_t - 1 = -q
  }
};

}  // namespace dn::losses
