// mfocal: non-saturating focal loss, -alpha_t [l_t + (1-l_t)(1-p_t)^g] log p_t, where the floor
// l_t is floor_pos on positives and floor_neg on negatives (docs/losses.md).
#include "losses/elementwise.hpp"
#include "losses/loss.hpp"

namespace dn::losses {
namespace {

class MFocalLoss final : public Loss {
 public:
  MFocalLoss(double gamma, double alpha, double floor_pos, double floor_neg)
      : gamma_(gamma), alpha_(alpha), floor_pos_(floor_pos), floor_neg_(floor_neg) {}
  std::string name() const override { return "mfocal"; }
  std::string describe() const override {
    return "mfocal(gamma=" + fmt_param(gamma_) + ", alpha=" + fmt_param(alpha_) +
           ", floor_pos=" + fmt_param(floor_pos_) + ", floor_neg=" + fmt_param(floor_neg_) + ")";
  }
  bool allows_soft_targets() const override { return false; }
  double compute(const float* logits, const float* targets, const float* weights, int n,
                 float* grad) const override {
    auto side = [this](double x_t, bool positive) {
      double alpha_t = positive ? alpha_ : 1 - alpha_;
      double l_t = positive ? floor_pos_ : floor_neg_;
      double g = gamma_;
      Logistic l = logistic(x_t);
      double qg = pow_gamma(l.q, g);
      double loss = -alpha_t * (l_t + (1 - l_t) * qg) * l.log_p;
      double d = alpha_t * (-l_t * l.q + (1 - l_t) * qg * (g * l.p * l.log_p - l.q));
      return SideValue{loss, d};
    };
    return compute_elementwise(side, logits, targets, weights, n, grad);
  }

 private:
  double gamma_, alpha_, floor_pos_, floor_neg_;
};

}  // namespace

std::unique_ptr<Loss> make_mfocal(const LossParams& p) {
  require_min("mfocal", "focal_gamma", p.gamma, 0);
  require_range("mfocal", "focal_alpha", p.alpha, 0, 1);
  require_range("mfocal", "mfocal_floor_pos", p.floor_pos, 0, 1);
  require_range("mfocal", "mfocal_floor_neg", p.floor_neg, 0, 1);
  return std::make_unique<MFocalLoss>(p.gamma, p.alpha, p.floor_pos, p.floor_neg);
}

}  // namespace dn::losses
