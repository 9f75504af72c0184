// softmax_focal: multiclass focal loss over the class logits of one anchor,
// L = -alpha (1-p_c)^g log p_c with p = softmax(z).
#include <algorithm>
#include <cmath>
#include <vector>

#include "losses/elementwise.hpp"
#include "losses/loss.hpp"

namespace dn::losses {
namespace {

class SoftmaxFocalLoss final : public SoftmaxLoss {
 public:
  SoftmaxFocalLoss(double gamma, double alpha) : gamma_(gamma), alpha_(alpha) {}
  std::string name() const override { return "softmax_focal"; }
  std::string describe() const override {
    return "softmax_focal(gamma=" + fmt_param(gamma_) + ", alpha=" + fmt_param(alpha_) + ")";
  }

  double compute(const float* z, int n, int c, float weight, float* grad) const override {
    if (n < 1) fail("softmax_focal loss: need at least one class, got " + std::to_string(n));
    if (c < 0 || c >= n)
      fail("softmax_focal loss: target class " + std::to_string(c) + " outside [0, " +
           std::to_string(n) + ")");
    // u = 1 - p_c is summed from the other classes (no cancellation near p_c = 1), and the
    // gradient uses r_j = p_j / u, so no negative power of u appears even for g < 1:
    //   dL/dz_c = alpha u^g (g p_c log p_c - u) =: B,  dL/dz_j = -B r_j (j != c).
    double m = z[0];
    for (int j = 1; j < n; ++j) m = std::max(m, static_cast<double>(z[j]));
    double others = 0;  // sum_{j != c} exp(z_j - m)
    for (int j = 0; j < n; ++j)
      if (j != c) others += std::exp(static_cast<double>(z[j]) - m);
    double ec = std::exp(static_cast<double>(z[c]) - m);
    double s = ec + others;
    double p_c = ec / s, u = others / s;
    double log_p = (static_cast<double>(z[c]) - m) - std::log(s);
    double ug = pow_gamma(u, gamma_);
    double loss = -alpha_ * ug * log_p;
    double b = alpha_ * ug * (gamma_ * p_c * log_p - u);
    grad[c] = static_cast<float>(weight * b);
    if (n > 1) {
      // r_j over the other classes, with their own maximum so that it never underflows to 0/0.
      double mo = -INFINITY;
      for (int j = 0; j < n; ++j)
        if (j != c) mo = std::max(mo, static_cast<double>(z[j]));
      double so = 0;
      for (int j = 0; j < n; ++j)
        if (j != c) so += std::exp(static_cast<double>(z[j]) - mo);
      for (int j = 0; j < n; ++j)
        if (j != c) grad[j] = static_cast<float>(-weight * b * std::exp(z[j] - mo) / so);
    }
    return weight * loss;
  }

 private:
  double gamma_, alpha_;
};

}  // namespace

std::unique_ptr<SoftmaxLoss> make_softmax_focal(const LossParams& p) {
  require_min("softmax_focal", "focal_gamma", p.gamma, 0);
  require_range("softmax_focal", "focal_alpha", p.alpha, 0, 1);
  return std::make_unique<SoftmaxFocalLoss>(p.gamma, p.alpha);
}

}  // namespace dn::losses
