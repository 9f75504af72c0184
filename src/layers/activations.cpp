#include "layers/activations.hpp"

#include <cmath>

#include "core/error.hpp"

namespace dn {

Activation parse_activation(const std::string& s) {
  if (s == "linear") return Activation::Linear;
  if (s == "leaky") return Activation::Leaky;
  if (s == "relu") return Activation::Relu;
  if (s == "logistic") return Activation::Logistic;
  if (s == "tanh") return Activation::Tanh;
  if (s == "mish") return Activation::Mish;
  if (s == "swish") return Activation::Swish;
  if (s == "elu") return Activation::Elu;
  if (s == "selu") return Activation::Selu;
  if (s == "relu6") return Activation::Relu6;
  if (s == "hardtan") return Activation::Hardtan;
  if (s == "lhtan") return Activation::Lhtan;
  if (s == "ramp") return Activation::Ramp;
  fail("unknown activation " + quote_input(s));
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Linear: return "linear";
    case Activation::Leaky: return "leaky";
    case Activation::Relu: return "relu";
    case Activation::Logistic: return "logistic";
    case Activation::Tanh: return "tanh";
    case Activation::Mish: return "mish";
    case Activation::Swish: return "swish";
    case Activation::Elu: return "elu";
    case Activation::Selu: return "selu";
    case Activation::Relu6: return "relu6";
    case Activation::Hardtan: return "hardtan";
    case Activation::Lhtan: return "lhtan";
    case Activation::Ramp: return "ramp";
  }
  return "?";
}

static inline float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }
static inline float softplus(float x) { return x > 20 ? x : (x < -20 ? std::exp(x) : std::log1p(std::exp(x))); }

float activate_one(Activation a, float x) {
  switch (a) {
    case Activation::Linear: return x;
    case Activation::Leaky: return x > 0 ? x : .1f * x;
    case Activation::Relu: return x > 0 ? x : 0;
    case Activation::Logistic: return sigmoid(x);
    case Activation::Tanh: return std::tanh(x);
    case Activation::Mish: return x * std::tanh(softplus(x));
    case Activation::Swish: return x * sigmoid(x);
    case Activation::Elu: return x >= 0 ? x : std::exp(x) - 1;
    case Activation::Selu: return x >= 0 ? 1.0507f * x : 1.0507f * 1.6732f * (std::exp(x) - 1);
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

float activation_derivative(Activation a, float x) {
  switch (a) {
    case Activation::Linear: return 1;
    case Activation::Leaky: return x > 0 ? 1 : .1f;
    case Activation::Relu: return x > 0 ? 1 : 0;
    case Activation::Logistic: {
      float s = sigmoid(x);
      return s * (1 - s);
    }
    case Activation::Tanh: {
      float t = std::tanh(x);
      return 1 - t * t;
    }
    case Activation::Mish: {
      float sp = softplus(x), t = std::tanh(sp);
      return t + x * (1 - t * t) * sigmoid(x);
    }
    case Activation::Swish: {
      float s = sigmoid(x);
      return s + x * s * (1 - s);
    }
    case Activation::Elu: return x >= 0 ? 1 : std::exp(x);
    case Activation::Selu: return x >= 0 ? 1.0507f : 1.0507f * 1.6732f * std::exp(x);
    case Activation::Relu6: return (x > 0 && x < 6) ? 1 : 0;
    case Activation::Hardtan: return (x > -1 && x < 1) ? 1 : 0;
    case Activation::Lhtan: return (x < 0 || x > 1) ? .001f : 1;
    case Activation::Ramp: return (x > 0) + .1f;
  }
  return 1;
}

void activate(Activation a, const float* x, float* y, size_t n) {
  const long nn = static_cast<long>(n);
  switch (a) {
    case Activation::Linear:
      if (x != y)
        for (long i = 0; i < nn; ++i) y[i] = x[i];
      return;
    case Activation::Leaky:
#pragma omp parallel for simd schedule(static) if (nn > 65536)
      for (long i = 0; i < nn; ++i) y[i] = x[i] > 0 ? x[i] : .1f * x[i];
      return;
    default:
#pragma omp parallel for schedule(static) if (nn > 16384)
      for (long i = 0; i < nn; ++i) y[i] = activate_one(a, x[i]);
  }
}

void activate_gradient(Activation a, const float* x, float* delta, size_t n) {
  const long nn = static_cast<long>(n);
  switch (a) {
    case Activation::Linear:
      return;
    case Activation::Leaky:  // the common case: a vectorised loop
#pragma omp parallel for simd schedule(static) if (nn > 65536)
      for (long i = 0; i < nn; ++i) delta[i] *= x[i] > 0 ? 1.f : .1f;
      return;
    case Activation::Relu:
#pragma omp parallel for simd schedule(static) if (nn > 65536)
      for (long i = 0; i < nn; ++i) delta[i] *= x[i] > 0 ? 1.f : 0.f;
      return;
    default:
#pragma omp parallel for schedule(static) if (nn > 16384)
      for (long i = 0; i < nn; ++i) delta[i] *= activation_derivative(a, x[i]);
  }
}

}  // namespace dn
