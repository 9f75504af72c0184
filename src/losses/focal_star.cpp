// focal_star: FL* of Lin et al. 2017 (appendix), -log(sigmoid(g x_t + b)) / g.
#include "losses/elementwise.hpp"
#include "losses/loss.hpp"

namespace dn::losses {
namespace {

class FocalStarLoss final : public Loss {
 public:
  FocalStarLoss(double gamma, double beta) : gamma_(gamma), beta_(beta) {}
  std::string name() const override { return "focal_star"; }
  std::string describe() const override {
    return "focal_star(gamma=" + fmt_param(gamma_) + ", beta=" + fmt_param(beta_) + ")";
  }
  bool allows_soft_targets() const override { return false; }
  double compute(const float* logits, const float* targets, const float* weights, int n,
                 float* grad) const override {
    auto side = [g = gamma_, b = beta_](double x_t, bool) {
      double z = g * x_t + b;
      // L = softplus(-z) / g; dL/dx_t = sigmoid(z) - 1 = -sigmoid(-z).
      return SideValue{softplus(-z) / g, -logistic(z).q};
    };
    return compute_elementwise(side, logits, targets, weights, n, grad);
  }

 private:
  double gamma_, beta_;
};

}  // namespace

std::unique_ptr<Loss> make_focal_star(const LossParams& p) {
  require_min("focal_star", "focal_gamma", p.gamma, 0, /*strict=*/true);
  require_finite("focal_star", "focal_beta", p.beta);
  return std::make_unique<FocalStarLoss>(p.gamma, p.beta);
}

}  // namespace dn::losses
