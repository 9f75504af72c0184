#pragma once
// DN_HD marks the maths the CPU and the CUDA backend share (activations, losses, boxes, the YOLO
// terms): `__host__ __device__` when nvcc compiles it, nothing otherwise. Such functions call the
// C maths functions unqualified (exp, log1p, expf, ...): the C library's on the host, CUDA's on
// the device, the same functions std::exp and friends call for these argument types.
#if defined(__CUDACC__)
#define DN_HD __host__ __device__
#else
#define DN_HD
#endif

#include <math.h>

namespace dn {

// e^x in float as the host's expf rounds it (glibc's, correctly rounded): the device computes it
// in double and rounds, since CUDA's expf may differ in the last bit, and the [yolo] layer decides
// target assignments on such floats.
DN_HD inline float host_expf(float x) {
#if defined(__CUDA_ARCH__)
  return static_cast<float>(exp(static_cast<double>(x)));
#else
  return expf(x);
#endif
}

}  // namespace dn
