#pragma once
// Launch helpers shared by the .cu files (internal to src/cuda).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "cuda/kernels.hpp"

namespace dn::cuda {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements (capped: the loop covers the rest).
inline unsigned blocks_for(size_t n, int threads = kThreads) {
  size_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(std::min<size_t>(std::max<size_t>(b, 1), size_t(1) << 20));
}

#define DN_GRID_STRIDE(i, n)                                                                         \
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < static_cast<size_t>(n); \
       i += static_cast<size_t>(blockDim.x) * gridDim.x)

// Launches kernel<<<blocks_for(n), kThreads, 0, s>>>(args...) unless n is 0, and checks it.
#define DN_LAUNCH(kernel, n, s, ...)                                        \
  do {                                                                      \
    if ((n) > 0) {                                                          \
      kernel<<<::dn::cuda::blocks_for(n), ::dn::cuda::kThreads, 0, s>>>(__VA_ARGS__); \
      ::dn::cuda::check_launch(#kernel);                                    \
    }                                                                       \
  } while (0)

}  // namespace dn::cuda
