#include "layers/dropout.hpp"

#include <cstring>

namespace dn {

void DropoutLayer::forward(RunContext& ctx, const float* input) {
  const size_t n = output.size();
  if (!ctx.train) {
    std::memcpy(output.data(), input, n * sizeof(float));
    return;
  }
  mask_.resize(n);
  const float keep_scale = 1.f / (1.f - probability);
  for (size_t i = 0; i < n; ++i) {
    mask_[i] = rng.uniform() < probability ? 0.f : keep_scale;
    output[i] = input[i] * mask_[i];
  }
}

void DropoutLayer::backward(RunContext&, const float*, float* input_delta) {
  if (!input_delta) return;
  for (size_t i = 0; i < delta.size(); ++i) input_delta[i] += delta[i] * mask_[i];
}

}  // namespace dn
