// Element-wise kernels: activations (layers/activations.hpp's activate_one, activation_derivative),
// additions, the SGD step and dropout.
#include "cuda/launch.cuh"
#include "network/sgd_step.hpp"

namespace dn::cuda {

namespace {

__global__ void activate_kernel(Activation a, const float* x, float* y, size_t n) {
  DN_GRID_STRIDE(i, n) y[i] = activate_one(a, x[i]);
}

__global__ void leaky_kernel(const float* x, float* y, size_t n) {
  DN_GRID_STRIDE(i, n) {
    float v = x[i];
    y[i] = v > 0 ? v : .1f * v;
  }
}

__global__ void copy_kernel(const float* x, float* y, size_t n) {
  DN_GRID_STRIDE(i, n) y[i] = x[i];
}

__global__ void gradient_kernel(Activation a, const float* x, float* delta, size_t n) {
  DN_GRID_STRIDE(i, n) delta[i] *= activation_derivative(a, x[i]);
}

__global__ void leaky_gradient_kernel(const float* x, float* delta, size_t n) {
  DN_GRID_STRIDE(i, n) delta[i] *= x[i] > 0 ? 1.f : .1f;
}

__global__ void add_into_kernel(float* y, const float* x, size_t n) {
  DN_GRID_STRIDE(i, n) y[i] += x[i];
}

__global__ void add_kernel(const float* a, const float* b, float* out, size_t n) {
  DN_GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}

__global__ void add_rows_kernel(float* dst, size_t dst_stride, size_t dst_offset, const float* src,
                                size_t src_stride, size_t src_offset, size_t n, size_t total) {
  DN_GRID_STRIDE(t, total) {
    size_t b = t / n, i = t % n;
    dst[b * dst_stride + dst_offset + i] += src[b * src_stride + src_offset + i];
  }
}

__global__ void sgd_kernel(float* w, float* g, float* v, size_t n, float lr, float momentum, float decay,
                           float inv_batch) {
  DN_GRID_STRIDE(i, n) sgd_step(w[i], g[i], v[i], lr, momentum, decay, inv_batch);
}

// splitmix64 of (seed, step, i): a counter-based generator, the same mask for the same inputs.
__device__ inline uint64_t mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__global__ void dropout_forward_kernel(const float* in, size_t n, float p, uint64_t seed, uint64_t step, float* mask,
                                       float* out) {
  const float keep_scale = 1.f / (1.f - p);
  DN_GRID_STRIDE(i, n) {
    uint64_t h = mix(seed ^ mix(step ^ mix(i)));
    float u = (h >> 40) * (1.0f / 16777216.0f);  // [0, 1), as Rng::uniform
    float m = u < p ? 0.f : keep_scale;
    mask[i] = m;
    out[i] = in[i] * m;
  }
}

__global__ void dropout_backward_kernel(const float* delta, const float* mask, size_t n, float* in_delta) {
  DN_GRID_STRIDE(i, n) in_delta[i] += delta[i] * mask[i];
}

}  // namespace

void activate(Activation a, const float* x, float* y, size_t n, cudaStream_t s) {
  if (a == Activation::Linear) {
    if (x != y) DN_LAUNCH(copy_kernel, n, s, x, y, n);
  } else if (a == Activation::Leaky) {
    DN_LAUNCH(leaky_kernel, n, s, x, y, n);
  } else {
    DN_LAUNCH(activate_kernel, n, s, a, x, y, n);
  }
}

void activate_gradient(Activation a, const float* x, float* delta, size_t n, cudaStream_t s) {
  if (a == Activation::Linear) return;
  if (a == Activation::Leaky)
    DN_LAUNCH(leaky_gradient_kernel, n, s, x, delta, n);
  else
    DN_LAUNCH(gradient_kernel, n, s, a, x, delta, n);
}

void add_into(float* y, const float* x, size_t n, cudaStream_t s) { DN_LAUNCH(add_into_kernel, n, s, y, x, n); }

void add(const float* a, const float* b, float* out, size_t n, cudaStream_t s) {
  DN_LAUNCH(add_kernel, n, s, a, b, out, n);
}

void add_rows(float* dst, size_t dst_stride, size_t dst_offset, const float* src, size_t src_stride,
              size_t src_offset, size_t n, int batch, cudaStream_t s) {
  const size_t total = n * static_cast<size_t>(batch);
  DN_LAUNCH(add_rows_kernel, total, s, dst, dst_stride, dst_offset, src, src_stride, src_offset, n, total);
}

void sgd_update(float* w, float* g, float* v, size_t n, float lr, float momentum, float decay, float inv_batch,
                cudaStream_t s) {
  DN_LAUNCH(sgd_kernel, n, s, w, g, v, n, lr, momentum, decay, inv_batch);
}

void dropout_forward(const float* in, size_t n, float p, uint64_t seed, uint64_t step, float* mask, float* out,
                     cudaStream_t s) {
  DN_LAUNCH(dropout_forward_kernel, n, s, in, n, p, seed, step, mask, out);
}

void dropout_backward(const float* delta, const float* mask, size_t n, float* in_delta, cudaStream_t s) {
  DN_LAUNCH(dropout_backward_kernel, n, s, delta, mask, n, in_delta);
}

}  // namespace dn::cuda
