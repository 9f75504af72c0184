#include "layers/upsample.hpp"

namespace dn {

void UpsampleLayer::resize(int b, Shape s) {
  batch = b;
  in = s;
  out = {in.c, in.h * stride, in.w * stride};
  allocate_outputs();
}

void UpsampleLayer::forward(RunContext&, const float* input) {
  const int planes = batch * in.c;
#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; ++p) {
    const float* src = input + static_cast<size_t>(p) * in.h * in.w;
    float* dst = output.data() + static_cast<size_t>(p) * out.h * out.w;
    for (int y = 0; y < out.h; ++y)
      for (int x = 0; x < out.w; ++x) dst[y * out.w + x] = scale * src[(y / stride) * in.w + x / stride];
  }
}

void UpsampleLayer::backward(RunContext&, const float*, float* input_delta) {
  if (!input_delta) return;
  const int planes = batch * in.c;
#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; ++p) {
    float* dst = input_delta + static_cast<size_t>(p) * in.h * in.w;
    const float* d = delta.data() + static_cast<size_t>(p) * out.h * out.w;
    for (int y = 0; y < out.h; ++y)
      for (int x = 0; x < out.w; ++x) dst[(y / stride) * in.w + x / stride] += scale * d[y * out.w + x];
  }
}

}  // namespace dn
