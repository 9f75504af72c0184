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

// One plane of the common 2x2/2 window, always inside the input: no bounds checks. The geometry
// comes in as values, so the compiler knows the stores cannot change it and vectorises the rows.
static void maxpool_2x2_plane(const float* __restrict src, int in_w, int out_h, int out_w, float* __restrict dst,
                              int* __restrict am) {
  for (int oy = 0; oy < out_h; ++oy) {
    const float* r0 = src + static_cast<size_t>(2 * oy) * in_w;
    const float* r1 = r0 + in_w;
    float* o = dst + static_cast<size_t>(oy) * out_w;
    if (!am) {
      for (int ox = 0; ox < out_w; ++ox)
        o[ox] = std::max(std::max(r0[2 * ox], r0[2 * ox + 1]), std::max(r1[2 * ox], r1[2 * ox + 1]));
      continue;
    }
    int* a = am + static_cast<size_t>(oy) * out_w;
    const int row = 2 * oy * in_w;
    for (int ox = 0; ox < out_w; ++ox) {
      const float v0 = r0[2 * ox], v1 = r0[2 * ox + 1], v2 = r1[2 * ox], v3 = r1[2 * ox + 1];
      const float m = std::max(std::max(v0, v1), std::max(v2, v3));
      o[ox] = m;
      const int base = row + 2 * ox;
      a[ox] = m == v0 ? base : m == v1 ? base + 1 : m == v2 ? base + in_w : base + in_w + 1;
    }
  }
}

// Any window: the first maximum in row-major window order, positions outside the input skipped.
static void maxpool_plane(const float* src, int in_h, int in_w, int out_h, int out_w, int size, int stride, int off,
                          float* __restrict dst, int* __restrict am) {
  for (int oy = 0; oy < out_h; ++oy)
    for (int ox = 0; ox < out_w; ++ox) {
      int best_i;
      dst[oy * out_w + ox] = maxpool_window(src, in_h, in_w, oy, ox, size, stride, off, &best_i);
      if (am) am[oy * out_w + ox] = best_i;
    }
}

void MaxpoolLayer::forward(RunContext& ctx, const float* input) {
  const int off = -padding / 2;
  const int planes = batch * in.c;
  const bool keep = ctx.train;
  if (argmax_.size() != output.size()) argmax_.assign(output.size(), 0);
  const int in_h = in.h, in_w = in.w, out_h = out.h, out_w = out.w, k = size, st = stride;
  const bool fast = k == 2 && st == 2 && off == 0 && 2 * out_h <= in_h && 2 * out_w <= in_w;
  float* out_data = output.data();
  int* am_data = argmax_.data();
#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; ++p) {
    const float* src = input + static_cast<size_t>(p) * in_h * in_w;
    float* dst = out_data + static_cast<size_t>(p) * out_h * out_w;
    int* am = keep ? am_data + static_cast<size_t>(p) * out_h * out_w : nullptr;
    if (fast)
      maxpool_2x2_plane(src, in_w, out_h, out_w, dst, am);
    else
      maxpool_plane(src, in_h, in_w, out_h, out_w, k, st, off, dst, am);
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
