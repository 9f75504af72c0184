// balanced: alpha-balanced cross-entropy, -alpha_t log p_t.
#include "losses/elementwise.hpp"
#include "losses/loss.hpp"

namespace dn::losses {
namespace {

class BalancedLoss final : public Loss {
 public:
  explicit BalancedLoss(double alpha) : alpha_(alpha) {}
  std::string name() const override { return "balanced"; }
  std::string describe() const override { return "balanced(alpha=" + fmt_param(alpha_) + ")"; }
  // A weighted cross-entropy: with a soft target its minimum is at p = y only for alpha = .5,
  // otherwise y reweighted by alpha, just as for hard labels; so soft targets are allowed.
  bool allows_soft_targets() const override { return true; }
  double compute(const float* logits, const float* targets, const float* weights, int n,
                 float* grad) const override {
    auto side = [a = alpha_](double x_t, bool positive) {
      double alpha_t = positive ? a : 1 - a;
      Logistic l = logistic(x_t);
      return SideValue{-alpha_t * l.log_p, -alpha_t * l.q};
    };
    return compute_elementwise(side, logits, targets, weights, n, grad);
  }

 private:
  double alpha_;
};

}  // namespace

std::unique_ptr<Loss> make_balanced(const LossParams& p) {
  require_range("balanced", "focal_alpha", p.alpha, 0, 1);
  return std::make_unique<BalancedLoss>(p.alpha);
}

}  // namespace dn::losses
