#include "layers/activations.hpp"

#include <algorithm>

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

void activate_run(Activation a, const float* x, float* y, size_t n) {
  switch (a) {
    case Activation::Linear:
      if (x != y) std::copy(x, x + n, y);
      return;
    case Activation::Leaky:
#pragma omp simd
      for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : .1f * x[i];
      return;
    default:
      for (size_t i = 0; i < n; ++i) y[i] = activate_one(a, x[i]);
  }
}

void activate_gradient_run(Activation a, const float* x, float* delta, size_t n) {
  switch (a) {
    case Activation::Linear:
      return;
    case Activation::Leaky:  // the common case: a vectorised loop
#pragma omp simd
      for (size_t i = 0; i < n; ++i) delta[i] *= x[i] > 0 ? 1.f : .1f;
      return;
    case Activation::Relu:
#pragma omp simd
      for (size_t i = 0; i < n; ++i) delta[i] *= x[i] > 0 ? 1.f : 0.f;
      return;
    default:
      for (size_t i = 0; i < n; ++i) delta[i] *= activation_derivative(a, x[i]);
  }
}

namespace {
// f(lo, count) over [0, n) in chunks, in parallel when there is more than one.
template <class F>
void in_chunks(size_t n, F&& f) {
  constexpr size_t kChunk = 32768;
  const long chunks = static_cast<long>((n + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (long c = 0; c < chunks; ++c) {
    const size_t lo = static_cast<size_t>(c) * kChunk;
    f(lo, std::min(kChunk, n - lo));
  }
}
}  // namespace

void activate(Activation a, const float* x, float* y, size_t n) {
  if (a == Activation::Linear && x == y) return;
  in_chunks(n, [&](size_t lo, size_t k) { activate_run(a, x + lo, y + lo, k); });
}

void activate_gradient(Activation a, const float* x, float* delta, size_t n) {
  if (a == Activation::Linear) return;
  in_chunks(n, [&](size_t lo, size_t k) { activate_gradient_run(a, x + lo, delta + lo, k); });
}

}  // namespace dn
