#include "cpu/im2col.hpp"

#include <algorithm>
#include <cstring>

namespace dn {

void im2col(const float* im, int channels, int height, int width, int ksize, int stride, int pad, float* col) {
  const int out_h = (height + 2 * pad - ksize) / stride + 1;
  const int out_w = (width + 2 * pad - ksize) / stride + 1;
  const int rows = channels * ksize * ksize;
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    const int kx = r % ksize;
    const int ky = (r / ksize) % ksize;
    const int c = r / ksize / ksize;
    float* dst = col + static_cast<size_t>(r) * out_h * out_w;
    const float* src = im + static_cast<size_t>(c) * height * width;
    for (int oy = 0; oy < out_h; ++oy) {
      const int iy = oy * stride + ky - pad;
      float* d = dst + oy * out_w;
      if (iy < 0 || iy >= height) {
        std::memset(d, 0, sizeof(float) * out_w);
        continue;
      }
      const float* s = src + iy * width;
      if (stride == 1) {
        // Contiguous run: ix = ox + kx - pad.
        int lo = pad - kx, hi = width + pad - kx;  // valid ox in [lo, hi)
        if (lo < 0) lo = 0;
        if (hi > out_w) hi = out_w;
        for (int ox = 0; ox < lo; ++ox) d[ox] = 0;
        if (hi > lo) std::memcpy(d + lo, s + lo + kx - pad, sizeof(float) * (hi - lo));
        for (int ox = hi < lo ? lo : hi; ox < out_w; ++ox) d[ox] = 0;
      } else {
        for (int ox = 0; ox < out_w; ++ox) {
          const int ix = ox * stride + kx - pad;
          d[ox] = (ix >= 0 && ix < width) ? s[ix] : 0.f;
        }
      }
    }
  }
}

void col2im_add(const float* col, int channels, int height, int width, int ksize, int stride, int pad, float* im) {
  const int out_h = (height + 2 * pad - ksize) / stride + 1;
  const int out_w = (width + 2 * pad - ksize) / stride + 1;
  // Parallel over channels: each channel's rows write only that channel's plane. Every element of
  // im receives its terms in the same (ky, kx) order as a plain loop, so the sums are the same.
#pragma omp parallel for schedule(static)
  for (int c = 0; c < channels; ++c) {
    float* dst = im + static_cast<size_t>(c) * height * width;
    for (int ky = 0; ky < ksize; ++ky)
      for (int kx = 0; kx < ksize; ++kx) {
        const int r = (c * ksize + ky) * ksize + kx;
        const float* src = col + static_cast<size_t>(r) * out_h * out_w;
        // ix = ox * stride + kx - pad lies in [0, width) exactly for ox in [lo, hi): the inner
        // loop runs without bounds checks (and vectorises for stride 1).
        const int shift = kx - pad;
        const int lo = std::max(0, (stride - 1 - shift) / stride);
        const int hi = std::min(out_w, (width - shift + stride - 1) / stride);
        for (int oy = 0; oy < out_h; ++oy) {
          const int iy = oy * stride + ky - pad;
          if (iy < 0 || iy >= height) continue;
          float* __restrict d = dst + static_cast<size_t>(iy) * width;
          const float* __restrict s = src + static_cast<size_t>(oy) * out_w;
          if (stride == 1)
            for (int ox = lo; ox < hi; ++ox) d[ox + shift] += s[ox];
          else
            for (int ox = lo; ox < hi; ++ox) d[ox * stride + shift] += s[ox];
        }
      }
  }
}

}  // namespace dn
