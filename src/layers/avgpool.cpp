#include "layers/avgpool.hpp"

namespace dn {

void AvgpoolLayer::resize(int b, Shape s) {
  batch = b;
  in = s;
  out = {in.c, 1, 1};
  allocate_outputs();
}

void AvgpoolLayer::forward(RunContext&, const float* input) {
  const size_t n = static_cast<size_t>(in.h) * in.w;
  for (int p = 0; p < batch * in.c; ++p) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += input[p * n + i];
    output[p] = static_cast<float>(s / n);
  }
}

void AvgpoolLayer::backward(RunContext&, const float*, float* input_delta) {
  if (!input_delta) return;
  const size_t n = static_cast<size_t>(in.h) * in.w;
  for (int p = 0; p < batch * in.c; ++p)
    for (size_t i = 0; i < n; ++i) input_delta[p * n + i] += delta[p] / n;
}

}  // namespace dn
