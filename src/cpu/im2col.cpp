#include "cpu/im2col.hpp"

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
  // Parallel over channels: each channel's rows write only that channel's plane.
#pragma omp parallel for schedule(static)
  for (int c = 0; c < channels; ++c) {
    float* dst = im + static_cast<size_t>(c) * height * width;
    for (int ky = 0; ky < ksize; ++ky)
      for (int kx = 0; kx < ksize; ++kx) {
        const int r = (c * ksize + ky) * ksize + kx;
        const float* src = col + static_cast<size_t>(r) * out_h * out_w;
        for (int oy = 0; oy < out_h; ++oy) {
          const int iy = oy * stride + ky - pad;
          if (iy < 0 || iy >= height) continue;
          for (int ox = 0; ox < out_w; ++ox) {
            const int ix = ox * stride + kx - pad;
            if (ix >= 0 && ix < width) dst[iy * width + ix] += src[oy * out_w + ox];
          }
        }
      }
  }
}

}  // namespace dn
