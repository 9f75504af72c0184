#pragma once
// One max-pooling window, for the CPU layer (maxpool.cpp) and the CUDA kernel (pool_kernels.cu).
#include <cfloat>

#include "core/hd.hpp"

namespace dn {

// The window of output (oy, ox) over one plane src[in_h][in_w], starting at (oy*stride + off,
// ox*stride + off): its first maximum in row-major window order, positions outside the input
// skipped; *best_i its index in the plane (-1 and -FLT_MAX when the window is all outside). The
// CPU layer and the CUDA kernel both take it from here.
DN_HD inline float maxpool_window(const float* src, int in_h, int in_w, int oy, int ox, int size, int stride, int off,
                                  int* best_i) {
  float best = -FLT_MAX;
  int bi = -1;
  for (int ky = 0; ky < size; ++ky) {
    const int iy = oy * stride + ky + off;
    if (iy < 0 || iy >= in_h) continue;
    for (int kx = 0; kx < size; ++kx) {
      const int ix = ox * stride + kx + off;
      if (ix < 0 || ix >= in_w) continue;
      const float v = src[iy * in_w + ix];
      if (v > best) {
        best = v;
        bi = iy * in_w + ix;
      }
    }
  }
  *best_i = bi;
  return best;
}

}  // namespace dn
