// focal: -alpha_t (1-p_t)^g log p_t (Lin et al. 2017).
#include "losses/elementwise.hpp"
#include "losses/loss.hpp"

namespace dn::losses {
namespace {

class FocalLoss final : public Loss {
 public:
  FocalLoss(double gamma, double alpha) : gamma_(gamma), alpha_(alpha) {}
  std::string name() const override { return "focal"; }
  std::string describe() const override {
    return "focal(gamma=" + fmt_param(gamma_) + ", alpha=" + fmt_param(alpha_) + ")";
  }
  bool allows_soft_targets() const override { return false; }
  double compute(const float* logits, const float* targets, const float* weights, int n,
                 float* grad) const override {
    auto side = [g = gamma_, a = alpha_](double x_t, bool positive) {
      double alpha_t = positive ? a : 1 - a;
      Logistic l = logistic(x_t);
      double qg = pow_gamma(l.q, g);
      // d/dx_t of -(q^g) log p = q^g (g p log p - q); written with q, not p - 1, to keep
      // precision where p is near 1.
      return SideValue{-alpha_t * qg * l.log_p, alpha_t * qg * (g * l.p * l.log_p - l.q)};
    };
    return compute_elementwise(side, logits, targets, weights, n, grad);
  }

 private:
  double gamma_, alpha_;
};

}  // namespace

std::unique_ptr<Loss> make_focal(const LossParams& p) {
  require_min("focal", "focal_gamma", p.gamma, 0);
  require_range("focal", "focal_alpha", p.alpha, 0, 1);
  return std::make_unique<FocalLoss>(p.gamma, p.alpha);
}

}  // namespace dn::losses
