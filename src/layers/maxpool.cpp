#include "layers/maxpool.hpp"

#include <algorithm>
#include <cfloat>
#include <cstdio>

namespace dn {

void MaxpoolLayer::resize(int b, Shape s) {
  batch = b;
  in = s;
  out.c = in.c;
  out.h = (in.h + padding - size) / stride + 1;
  out.w = (in.w + padding - size) / stride + 1;
  allocate_outputs();
  argmax_.assign(output.size(), 0);
}

std::string MaxpoolLayer::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "max          %2d x%2d/%2d  %4d x%4d x%4d -> %4d x%4d x%4d", size, size, stride,
                in.w, in.h, in.c, out.w, out.h, out.c);
  return buf;
}

void MaxpoolLayer::forward(RunContext& ctx, const float* input) {
  const int off = -padding / 2;
  const int planes = batch * in.c;
  const bool keep = ctx.train;
  if (argmax_.size() != output.size()) argmax_.assign(output.size(), 0);
#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; ++p) {
    const float* src = input + static_cast<size_t>(p) * in.h * in.w;
    float* dst = output.data() + static_cast<size_t>(p) * out.h * out.w;
    int* am = argmax_.data() + static_cast<size_t>(p) * out.h * out.w;
    if (size == 2 && stride == 2 && off == 0 && 2 * out.h <= in.h && 2 * out.w <= in.w) {
      // The common 2x2/2 window, always inside the input: no bounds checks.
      for (int oy = 0; oy < out.h; ++oy) {
        const float* r0 = src + 2 * oy * in.w;
        const float* r1 = r0 + in.w;
        for (int ox = 0; ox < out.w; ++ox) {
          const int ix = 2 * ox;
          float a = r0[ix], b = r0[ix + 1], c = r1[ix], d = r1[ix + 1];
          float m = std::max(std::max(a, b), std::max(c, d));
          dst[oy * out.w + ox] = m;
          if (keep) {
            int base = 2 * oy * in.w + ix;
            am[oy * out.w + ox] = m == a ? base : m == b ? base + 1 : m == c ? base + in.w : base + in.w + 1;
          }
        }
      }
      continue;
    }
    for (int oy = 0; oy < out.h; ++oy)
      for (int ox = 0; ox < out.w; ++ox) {
        float best = -FLT_MAX;
        int best_i = -1;
        for (int ky = 0; ky < size; ++ky) {
          int iy = oy * stride + ky + off;
          if (iy < 0 || iy >= in.h) continue;
          for (int kx = 0; kx < size; ++kx) {
            int ix = ox * stride + kx + off;
            if (ix < 0 || ix >= in.w) continue;
            float v = src[iy * in.w + ix];
            if (v > best) {
              best = v;
              best_i = iy * in.w + ix;
            }
          }
        }
        dst[oy * out.w + ox] = best;
        if (keep) am[oy * out.w + ox] = best_i;
      }
  }
}

void MaxpoolLayer::backward(RunContext&, const float*, float* input_delta) {
  if (!input_delta) return;
  const int planes = batch * in.c;
#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; ++p) {
    float* id = input_delta + static_cast<size_t>(p) * in.h * in.w;
    const float* d = delta.data() + static_cast<size_t>(p) * out.h * out.w;
    const int* am = argmax_.data() + static_cast<size_t>(p) * out.h * out.w;
    for (int i = 0; i < out.h * out.w; ++i)
      if (am[i] >= 0) id[am[i]] += d[i];
  }
}

}  // namespace dn
