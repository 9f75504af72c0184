#pragma once
// Darknet's activation functions. The gradient is taken with respect to the pre-activation x
// (kept during training), which works for every function including mish and swish.
#include <math.h>

#include <cstddef>
#include <string>

#include "core/hd.hpp"

namespace dn {

enum class Activation { Linear, Leaky, Relu, Logistic, Tanh, Mish, Swish, Elu, Selu, Relu6, Hardtan, Lhtan, Ramp };

// Throws dn::Error for an unknown name (the caller adds file:line).
Activation parse_activation(const std::string& name);
const char* activation_name(Activation a);

// y[i] = f(x[i]) for n elements (in-place allowed).
void activate(Activation a, const float* x, float* y, size_t n);
// delta[i] *= f'(x[i]).
void activate_gradient(Activation a, const float* x, float* delta, size_t n);
// The same on one thread, for a caller's own parallel loop (same values: element-wise).
void activate_run(Activation a, const float* x, float* y, size_t n);
void activate_gradient_run(Activation a, const float* x, float* delta, size_t n);

namespace activation_detail {
DN_HD inline float sigmoid(float x) { return 1.f / (1.f + expf(-x)); }
DN_HD inline float softplus(float x) { return x > 20 ? x : (x < -20 ? expf(x) : log1pf(expf(x))); }
}  // namespace activation_detail

// Whether f'(x) follows from f(x) alone, so that training need not keep x: linear, leaky and relu
// (f(x) > 0 exactly when x > 0, and their derivatives depend only on that sign).
inline bool gradient_from_output(Activation a) {
  return a == Activation::Linear || a == Activation::Leaky || a == Activation::Relu;
}

// f(x) and f'(x) of one element, for the CPU loops (activations.cpp) and the CUDA kernels.
DN_HD inline float activate_one(Activation a, float x) {
  using activation_detail::sigmoid;
  using activation_detail::softplus;
  switch (a) {
    case Activation::Linear: return x;
    case Activation::Leaky: return x > 0 ? x : .1f * x;
    case Activation::Relu: return x > 0 ? x : 0;
    case Activation::Logistic: return sigmoid(x);
    case Activation::Tanh: return tanhf(x);
    case Activation::Mish: return x * tanhf(softplus(x));
    case Activation::Swish: return x * sigmoid(x);
    case Activation::Elu: return x >= 0 ? x : expf(x) - 1;
    case Activation::Selu: return x >= 0 ? 1.0507f * x : 1.0507f * 1.6732f * (expf(x) - 1);
    case Activation::Relu6: return x < 0 ? 0 : (x > 6 ? 6 : x);
    case Activation::Hardtan: return x < -1 ? -1 : (x > 1 ? 1 : x);
    case Activation::Lhtan:
      if (x < 0) return .001f * x;
      if (x > 1) return .001f * (x - 1) + 1;
      return x;
    case Activation::Ramp: return x * (x > 0) + .1f * x;
  }
  return x;
}

DN_HD inline float activation_derivative(Activation a, float x) {
  using activation_detail::sigmoid;
  using activation_detail::softplus;
  switch (a) {
    case Activation::Linear: return 1;
    case Activation::Leaky: return x > 0 ? 1 : .1f;
    case Activation::Relu: return x > 0 ? 1 : 0;
    case Activation::Logistic: {
      float s = sigmoid(x);
      return s * (1 - s);
    }
    case Activation::Tanh: {
      float t = tanhf(x);
      return 1 - t * t;
    }
    case Activation::Mish: {
      float sp = softplus(x), t = tanhf(sp);
      return t + x * (1 - t * t) * sigmoid(x);
    }
    case Activation::Swish: {
      float s = sigmoid(x);
      return s + x * s * (1 - s);
    }
    case Activation::Elu: return x >= 0 ? 1 : expf(x);
    case Activation::Selu: return x >= 0 ? 1.0507f : 1.0507f * 1.6732f * expf(x);
    case Activation::Relu6: return (x > 0 && x < 6) ? 1 : 0;
    case Activation::Hardtan: return (x > -1 && x < 1) ? 1 : 0;
    case Activation::Lhtan: return (x < 0 || x > 1) ? .001f : 1;
    case Activation::Ramp: return (x > 0) + .1f;
  }
  return 1;
}


}  // namespace dn
