#include "train/schedule.hpp"

#include <cmath>

namespace dn {

float learning_rate_at(const NetParams& p, int batch_num) {
  if (batch_num < p.burn_in) return p.learning_rate * std::pow(static_cast<float>(batch_num) / p.burn_in, p.power);
  if (p.policy == "constant") return p.learning_rate;
  if (p.policy == "steps") {
    float rate = p.learning_rate;
    for (size_t i = 0; i < p.steps.size(); ++i) {
      if (p.steps[i] > batch_num) break;
      rate *= p.scales[i];
    }
    return rate;
  }
  if (p.policy == "step") return p.learning_rate * std::pow(p.gamma, static_cast<float>(batch_num / p.step));
  if (p.policy == "exp") return p.learning_rate * std::pow(p.gamma, static_cast<float>(batch_num));
  if (p.policy == "poly") {
    if (p.max_batches <= 0) return p.learning_rate;
    float frac = 1.f - static_cast<float>(batch_num) / p.max_batches;
    return p.learning_rate * std::pow(std::max(frac, 0.f), p.power);
  }
  return p.learning_rate;
}

}  // namespace dn
