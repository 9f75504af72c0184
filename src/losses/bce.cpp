// bce: binary cross-entropy, -log p_t (stock YOLOv3). Soft targets are exact cross-entropy.
#include "losses/elementwise.hpp"
#include "losses/loss.hpp"

namespace dn::losses {
namespace {

class BceLoss final : public Loss {
 public:
  std::string name() const override { return "bce"; }
  std::string describe() const override { return "bce"; }
  bool allows_soft_targets() const override { return true; }
  double compute(const float* logits, const float* targets, const float* weights, int n,
                 float* grad) const override {
    auto side = [](double x_t, bool) {
      Logistic l = logistic(x_t);
      return SideValue{-l.log_p, -l.q};  // dL/dx_t = p_t - 1 = -q
    };
    return compute_elementwise(side, logits, targets, weights, n, grad);
  }
};

}  // namespace

std::unique_ptr<Loss> make_bce(const LossParams&) { return std::make_unique<BceLoss>(); }

}  // namespace dn::losses
