// poly1: Poly-1 focal loss (Leng et al. 2022), focal + eps (1-p_t)^(g+1). The alpha weighting
// applies to the focal term only, as in the paper.
#include "losses/elementwise.hpp"
#include "losses/loss.hpp"

namespace dn::losses {
namespace {

class Poly1Loss final : public Loss {
 public:
  Poly1Loss(double gamma, double alpha, double eps) : gamma_(gamma), alpha_(alpha), eps_(eps) {}
  std::string name() const override { return "poly1"; }
  std::string describe() const override {
    return "poly1(gamma=" + fmt_param(gamma_) + ", alpha=" + fmt_param(alpha_) +
           ", eps=" + fmt_param(eps_) + ")";
  }
  bool allows_soft_targets() const override { return false; }
  double compute(const float* logits, const float* targets, const float* weights, int n,
                 float* grad) const override {
    auto side = [g = gamma_, a = alpha_, e = eps_](double x_t, bool positive) {
      double alpha_t = positive ? a : 1 - a;
      Logistic l = logistic(x_t);
      double qg = pow_gamma(l.q, g), qg1 = qg * l.q;
      double loss = -alpha_t * qg * l.log_p + e * qg1;
      double d = alpha_t * qg * (g * l.p * l.log_p - l.q) - e * (g + 1) * l.p * qg1;
      return SideValue{loss, d};
    };
    return compute_elementwise(side, logits, targets, weights, n, grad);
  }

 private:
  double gamma_, alpha_, eps_;
};

}  // namespace

std::unique_ptr<Loss> make_poly1(const LossParams& p) {
  require_min("poly1", "focal_gamma", p.gamma, 0);
  require_range("poly1", "focal_alpha", p.alpha, 0, 1);
  // eps >= -1 keeps Poly-1 CE (alpha_t = 1) non-negative and monotone (Leng et al. 2022).
  require_min("poly1", "poly_eps", p.poly_eps, -1);
  return std::make_unique<Poly1Loss>(p.gamma, p.alpha, p.poly_eps);
}

}  // namespace dn::losses
