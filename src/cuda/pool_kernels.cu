// Max pooling, global average pooling and nearest-neighbour upsampling. Backward passes gather
// (one thread per input element, in the CPU's order of accumulation), so they need no atomics and
// give the same sums every run.
#include <cfloat>

#include "cuda/launch.cuh"
#include "layers/maxpool_window.hpp"

namespace dn::cuda {

namespace {

__global__ void maxpool_forward_kernel(const float* in, int ih, int iw, int oh, int ow, int size, int stride, int off,
                                       float* out, int* argmax, size_t total) {
  DN_GRID_STRIDE(t, total) {
    const int ox = static_cast<int>(t % ow);
    const int oy = static_cast<int>((t / ow) % oh);
    const size_t p = t / (static_cast<size_t>(ow) * oh);
    int best_i;
    out[t] = maxpool_window(in + p * ih * iw, ih, iw, oy, ox, size, stride, off, &best_i);
    if (argmax) argmax[t] = best_i;
  }
}

__global__ void maxpool_backward_kernel(const float* delta, const int* argmax, int ih, int iw, int oh, int ow,
                                        int size, int stride, int off, float* in_delta, size_t total) {
  DN_GRID_STRIDE(t, total) {
    const int ix = static_cast<int>(t % iw);
    const int iy = static_cast<int>((t / iw) % ih);
    const size_t p = t / (static_cast<size_t>(iw) * ih);
    const int self = iy * iw + ix;
    // Outputs whose window holds (iy, ix): oy*stride + off <= iy <= oy*stride + off + size - 1.
    const int oy_lo = max(0, (iy - off - size + stride) / stride);
    const int oy_hi = min(oh - 1, (iy - off) >= 0 ? (iy - off) / stride : -1);
    const int ox_lo = max(0, (ix - off - size + stride) / stride);
    const int ox_hi = min(ow - 1, (ix - off) >= 0 ? (ix - off) / stride : -1);
    const float* d = delta + p * oh * ow;
    const int* am = argmax + p * oh * ow;
    float acc = in_delta[t];
    for (int oy = oy_lo; oy <= oy_hi; ++oy)
      for (int ox = ox_lo; ox <= ox_hi; ++ox) {
        const int o = oy * ow + ox;
        if (am[o] == self) acc += d[o];
      }
    in_delta[t] = acc;
  }
}

__global__ void avgpool_forward_kernel(const float* in, int planes, int n, float* out) {
  DN_GRID_STRIDE(p, planes) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += in[p * n + i];
    out[p] = static_cast<float>(s / n);
  }
}

__global__ void avgpool_backward_kernel(const float* delta, int n, float* in_delta, size_t total) {
  DN_GRID_STRIDE(t, total) in_delta[t] += delta[t / n] / static_cast<float>(n);
}

__global__ void upsample_forward_kernel(const float* in, int ih, int iw, int stride, float scale, float* out,
                                        size_t total) {
  const int oh = ih * stride, ow = iw * stride;
  DN_GRID_STRIDE(t, total) {
    const int x = static_cast<int>(t % ow);
    const int y = static_cast<int>((t / ow) % oh);
    const size_t p = t / (static_cast<size_t>(ow) * oh);
    out[t] = scale * in[(p * ih + y / stride) * iw + x / stride];
  }
}

__global__ void upsample_backward_kernel(const float* delta, int ih, int iw, int stride, float scale,
                                         float* in_delta, size_t total) {
  const int ow = iw * stride;
  DN_GRID_STRIDE(t, total) {
    const int x = static_cast<int>(t % iw);
    const int y = static_cast<int>((t / iw) % ih);
    const size_t p = t / (static_cast<size_t>(iw) * ih);
    const float* d = delta + p * static_cast<size_t>(ih) * stride * ow;
    float acc = in_delta[t];
    for (int dy = 0; dy < stride; ++dy)
      for (int dx = 0; dx < stride; ++dx) acc += scale * d[(y * stride + dy) * ow + x * stride + dx];
    in_delta[t] = acc;
  }
}

}  // namespace

void maxpool_forward(const float* in, int planes, int ih, int iw, int oh, int ow, int size, int stride, int off,
                     float* out, int* argmax, cudaStream_t s) {
  const size_t total = static_cast<size_t>(planes) * oh * ow;
  DN_LAUNCH(maxpool_forward_kernel, total, s, in, ih, iw, oh, ow, size, stride, off, out, argmax, total);
}

void maxpool_backward(const float* delta, const int* argmax, int planes, int ih, int iw, int oh, int ow, int size,
                      int stride, int off, float* in_delta, cudaStream_t s) {
  const size_t total = static_cast<size_t>(planes) * ih * iw;
  DN_LAUNCH(maxpool_backward_kernel, total, s, delta, argmax, ih, iw, oh, ow, size, stride, off, in_delta, total);
}

void avgpool_forward(const float* in, int planes, int n, float* out, cudaStream_t s) {
  DN_LAUNCH(avgpool_forward_kernel, static_cast<size_t>(planes), s, in, planes, n, out);
}

void avgpool_backward(const float* delta, int planes, int n, float* in_delta, cudaStream_t s) {
  const size_t total = static_cast<size_t>(planes) * n;
  DN_LAUNCH(avgpool_backward_kernel, total, s, delta, n, in_delta, total);
}

void upsample_forward(const float* in, int planes, int ih, int iw, int stride, float scale, float* out,
                      cudaStream_t s) {
  const size_t total = static_cast<size_t>(planes) * ih * stride * iw * stride;
  DN_LAUNCH(upsample_forward_kernel, total, s, in, ih, iw, stride, scale, out, total);
}

void upsample_backward(const float* delta, int planes, int ih, int iw, int stride, float scale, float* in_delta,
                       cudaStream_t s) {
  const size_t total = static_cast<size_t>(planes) * ih * iw;
  DN_LAUNCH(upsample_backward_kernel, total, s, delta, ih, iw, stride, scale, in_delta, total);
}

}  // namespace dn::cuda
