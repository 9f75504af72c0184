#include "layers/shortcut.hpp"

namespace dn {

void ShortcutLayer::set_training(bool on) {
  Layer::set_training(on);
  x_sum_.assign(on && keeps_sum() ? output.size() : 0, 0.f);
}

std::string ShortcutLayer::describe() const {
  return "Shortcut Layer: " + std::to_string(from) + ",  " + std::to_string(out.w) + " x" + std::to_string(out.h) +
         " x" + std::to_string(out.c);
}

void ShortcutLayer::forward(RunContext& ctx, const float* input) {
  const float* other = ctx.layer(from).output.data();
  const long n = static_cast<long>(output.size());
  // The sum goes into the output, which the activation then overwrites in place, unless training
  // must keep it for the activation's gradient.
  float* sum = output.data();
  if (training && keeps_sum()) {
    x_sum_.resize(output.size());  // `activation` is public: it may have changed
    sum = x_sum_.data();
  }
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (long i = 0; i < n; ++i) sum[i] = input[i] + other[i];
  if (activation != Activation::Linear) activate(activation, sum, output.data(), n);
}

void ShortcutLayer::backward(RunContext& ctx, const float*, float* input_delta) {
  if (activation != Activation::Linear)
    activate_gradient(activation, keeps_sum() ? x_sum_.data() : output.data(), delta.data(), delta.size());
  float* other = ctx.layer(from).delta.data();
  const long n = static_cast<long>(delta.size());
  for (long i = 0; i < n; ++i) other[i] += delta[i];
  if (input_delta)
    for (long i = 0; i < n; ++i) input_delta[i] += delta[i];
}

}  // namespace dn
