// The convolution's helpers besides the GEMM/cuDNN call: im2col/col2im (cuBLAS path), bias,
// per-channel sums and batch norm (both paths; cuDNN's batch norm is not used so that the
// statistics, the rolling averages and eps are the CPU's).
#include "cuda/launch.cuh"

namespace dn::cuda {

namespace {

// Per-channel kernels over x[batch][c][n] run on a grid of (blocks over n, c, batch): the
// channel and the image come from the block, no division per element.
dim3 plane_grid(int batch, int c, int n) {
  return dim3(static_cast<unsigned>(std::min((n + kThreads - 1) / kThreads, 4096)), c, batch);
}
#define DN_PLANE_LOOP(i, n) \
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)
__device__ inline size_t plane_offset(int c, int n) {
  return (static_cast<size_t>(blockIdx.z) * c + blockIdx.y) * n;
}

// One thread per (channel, output position): writes its k*k column entries.
__global__ void im2col_kernel(const float* im, int c, int h, int w, int k, int stride, int pad, int oh, int ow,
                              float* cols, size_t total) {
  DN_GRID_STRIDE(t, total) {
    const int ox = static_cast<int>(t % ow);
    const int oy = static_cast<int>((t / ow) % oh);
    const int ch = static_cast<int>(t / (static_cast<size_t>(ow) * oh));
    const float* src = im + static_cast<size_t>(ch) * h * w;
    const size_t plane = static_cast<size_t>(oh) * ow;
    float* dst = cols + static_cast<size_t>(ch) * k * k * plane + static_cast<size_t>(oy) * ow + ox;
    for (int ky = 0; ky < k; ++ky) {
      const int iy = oy * stride + ky - pad;
      for (int kx = 0; kx < k; ++kx) {
        const int ix = ox * stride + kx - pad;
        dst[(static_cast<size_t>(ky) * k + kx) * plane] =
            (iy >= 0 && iy < h && ix >= 0 && ix < w) ? src[iy * w + ix] : 0.f;
      }
    }
  }
}

// One thread per input element: gathers every column entry that im2col copied from it, in the
// CPU's order (ky, kx ascending).
__global__ void col2im_kernel(const float* cols, int c, int h, int w, int k, int stride, int pad, int oh, int ow,
                              float* im, size_t total) {
  DN_GRID_STRIDE(t, total) {
    const int ix = static_cast<int>(t % w);
    const int iy = static_cast<int>((t / w) % h);
    const int ch = static_cast<int>(t / (static_cast<size_t>(w) * h));
    const size_t plane = static_cast<size_t>(oh) * ow;
    float acc = im[t];
    for (int ky = 0; ky < k; ++ky) {
      const int ty = iy + pad - ky;
      if (ty < 0 || ty % stride) continue;
      const int oy = ty / stride;
      if (oy >= oh) continue;
      for (int kx = 0; kx < k; ++kx) {
        const int tx = ix + pad - kx;
        if (tx < 0 || tx % stride) continue;
        const int ox = tx / stride;
        if (ox >= ow) continue;
        acc += cols[((static_cast<size_t>(ch) * k + ky) * k + kx) * plane + static_cast<size_t>(oy) * ow + ox];
      }
    }
    im[t] = acc;
  }
}

__global__ void add_bias_kernel(float* x, const float* bias, int c, int n) {
  float* p = x + plane_offset(c, n);
  const float b = bias[blockIdx.y];
  DN_PLANE_LOOP(i, n) p[i] += b;
}

constexpr int kSumThreads = 256;
constexpr int kSumSegment = kSumThreads * 8;  // elements of one plane per block

int sum_segments(int n) { return std::max(1, (n + kSumSegment - 1) / kSumSegment); }

// Block (segment, channel, image): sums of a and a*b (or a*a) over its segment of one plane, into
// partial[channel][image * segments + segment].
__global__ void channel_partial_kernel(const float* a, const float* b, bool square, int c, int n, int segments,
                                      double* partial_a, double* partial_ab) {
  __shared__ double sa[kSumThreads], sab[kSumThreads];
  const size_t off = plane_offset(c, n);
  const int begin = blockIdx.x * kSumSegment, end = min(n, begin + kSumSegment);
  double acc_a = 0, acc_ab = 0;
  for (int i = begin + threadIdx.x; i < end; i += kSumThreads) {
    const float v = a[off + i];
    acc_a += v;
    if (square)
      acc_ab += static_cast<double>(v) * v;
    else if (b)
      acc_ab += static_cast<double>(v) * b[off + i];
  }
  sa[threadIdx.x] = acc_a;
  sab[threadIdx.x] = acc_ab;
  __syncthreads();
  for (int stride = kSumThreads / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      sa[threadIdx.x] += sa[threadIdx.x + stride];
      sab[threadIdx.x] += sab[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const size_t chunks = static_cast<size_t>(gridDim.z) * segments;
    const size_t at = blockIdx.y * chunks + static_cast<size_t>(blockIdx.z) * segments + blockIdx.x;
    partial_a[at] = sa[0];
    partial_ab[at] = sab[0];
  }
}

// Per channel, the partial sums in a fixed order.
__global__ void channel_finish_kernel(const double* partial_a, const double* partial_ab, int c, size_t chunks,
                                      double* sum_a, double* sum_ab) {
  DN_GRID_STRIDE(ch, c) {
    double s = 0, t = 0;
    for (size_t k = 0; k < chunks; ++k) {
      s += partial_a[ch * chunks + k];
      t += partial_ab[ch * chunks + k];
    }
    sum_a[ch] = s;
    sum_ab[ch] = t;
  }
}

void run_channel_sums(const float* a, const float* b, bool square, int batch, int c, int n, double* sum_a,
                      double* sum_ab, double* partial, cudaStream_t s) {
  if (c <= 0 || batch <= 0 || n <= 0) return;
  const int segments = sum_segments(n);
  const size_t chunks = static_cast<size_t>(batch) * segments;
  double* pa = partial;
  double* pab = partial + static_cast<size_t>(c) * chunks;
  channel_partial_kernel<<<dim3(segments, c, batch), kSumThreads, 0, s>>>(a, b, square, c, n, segments, pa, pab);
  check_launch("channel_partial_kernel");
  DN_LAUNCH(channel_finish_kernel, static_cast<size_t>(c), s, pa, pab, c, chunks, sum_a, sum_ab);
}

__global__ void bn_statistics_kernel(const double* sum, const double* sumsq, double count, int c, float* mean,
                                     float* var, float* rolling_mean, float* rolling_var) {
  DN_GRID_STRIDE(f, c) {
    const double m = sum[f] / count;
    const double v = fmax(0.0, sumsq[f] / count - m * m);
    mean[f] = static_cast<float>(m);
    var[f] = static_cast<float>(v);
    rolling_mean[f] = .99f * rolling_mean[f] + .01f * mean[f];
    const float unbiased = count > 1 ? static_cast<float>(v * count / (count - 1)) : static_cast<float>(v);
    rolling_var[f] = .99f * rolling_var[f] + .01f * unbiased;
  }
}

__global__ void bn_normalize_kernel(const float* x, const float* mean, const float* var, const float* scales,
                                    const float* biases, float eps, int c, int n, float* x_norm, float* x_act) {
  const size_t off = plane_offset(c, n);
  const int f = blockIdx.y;
  const float inv = 1.f / sqrtf(var[f] + eps);
  const float mu = mean[f], sc = scales[f], bi = biases[f];
  DN_PLANE_LOOP(i, n) {
    const float xn = (x[off + i] - mu) * inv;
    x_norm[off + i] = xn;
    x_act[off + i] = xn * sc + bi;
  }
}

__global__ void epilogue_kernel(const float* x, const float* biases, const float* scales, const float* rolling_mean,
                                const float* rolling_var, float eps, Activation act, int c, int n, float* y) {
  const size_t off = plane_offset(c, n);
  const int f = blockIdx.y;
  float k = 1, shift = biases[f];
  if (scales) {
    k = scales[f] / sqrtf(rolling_var[f] + eps);
    shift = biases[f] - rolling_mean[f] * k;
  }
  DN_PLANE_LOOP(i, n) {
    float v = scales ? x[off + i] * k + shift : x[off + i] + shift;
    y[off + i] = activate_one(act, v);
  }
}

__global__ void bn_backward_coef_kernel(const double* sb, const double* ss, const float* var, const float* scales,
                                        float eps, double count, int c, float* bias_grads, float* scale_grads,
                                        float* coef) {
  DN_GRID_STRIDE(f, c) {
    bias_grads[f] += static_cast<float>(sb[f]);
    if (!scales) continue;
    scale_grads[f] += static_cast<float>(ss[f]);
    const float inv = 1.f / sqrtf(var[f] + eps);
    coef[4 * f] = inv * scales[f];                                      // k1
    coef[4 * f + 1] = static_cast<float>(sb[f] * scales[f] / count);    // k2
    coef[4 * f + 2] = static_cast<float>(ss[f] * scales[f] / count);    // k3
    coef[4 * f + 3] = inv;
  }
}

__global__ void bn_backward_delta_kernel(const float* x_norm, const float* coef, int c, int n, float* delta) {
  const size_t off = plane_offset(c, n);
  const int f = blockIdx.y;
  const float k1 = coef[4 * f], k2 = coef[4 * f + 1], k3 = coef[4 * f + 2], inv = coef[4 * f + 3];
  DN_PLANE_LOOP(i, n) delta[off + i] = k1 * delta[off + i] - inv * (k2 + x_norm[off + i] * k3);
}

// Launches a per-channel kernel on plane_grid (nothing for an empty tensor).
#define DN_LAUNCH_PLANES(kernel, batch, c, n, s, ...)                                   \
  do {                                                                                \
    if ((batch) > 0 && (c) > 0 && (n) > 0) {                                          \
      kernel<<<plane_grid(batch, c, n), ::dn::cuda::kThreads, 0, s>>>(__VA_ARGS__);   \
      ::dn::cuda::check_launch(#kernel);                                              \
    }                                                                                 \
  } while (0)

}  // namespace

void im2col(const float* im, int c, int h, int w, int k, int stride, int pad, float* cols, cudaStream_t s) {
  const int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  const size_t total = static_cast<size_t>(c) * oh * ow;
  DN_LAUNCH(im2col_kernel, total, s, im, c, h, w, k, stride, pad, oh, ow, cols, total);
}

void col2im_add(const float* cols, int c, int h, int w, int k, int stride, int pad, float* im, cudaStream_t s) {
  const int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  const size_t total = static_cast<size_t>(c) * h * w;
  DN_LAUNCH(col2im_kernel, total, s, cols, c, h, w, k, stride, pad, oh, ow, im, total);
}

void add_bias(float* x, const float* bias, int batch, int c, int n, cudaStream_t s) {
  DN_LAUNCH_PLANES(add_bias_kernel, batch, c, n, s, x, bias, c, n);
}

size_t channel_sums_scratch(int batch, int c, int n) {
  return 2 * static_cast<size_t>(c) * batch * sum_segments(n);
}

void channel_sums(const float* a, const float* b, int batch, int c, int n, double* sum_a, double* sum_ab,
                  double* partial, cudaStream_t s) {
  run_channel_sums(a, b, false, batch, c, n, sum_a, sum_ab, partial, s);
}

void channel_sums_sq(const float* a, int batch, int c, int n, double* sum, double* sumsq, double* partial,
                     cudaStream_t s) {
  run_channel_sums(a, nullptr, true, batch, c, n, sum, sumsq, partial, s);
}

void bn_statistics(const double* sum, const double* sumsq, double count, int c, float* mean, float* var,
                   float* rolling_mean, float* rolling_var, cudaStream_t s) {
  DN_LAUNCH(bn_statistics_kernel, static_cast<size_t>(c), s, sum, sumsq, count, c, mean, var, rolling_mean,
            rolling_var);
}

void bn_normalize(const float* x, const float* mean, const float* var, const float* scales, const float* biases,
                  float eps, int batch, int c, int n, float* x_norm, float* x_act, cudaStream_t s) {
  DN_LAUNCH_PLANES(bn_normalize_kernel, batch, c, n, s, x, mean, var, scales, biases, eps, c, n, x_norm, x_act);
}

void conv_epilogue(const float* x, const float* biases, const float* scales, const float* rolling_mean,
                   const float* rolling_var, float eps, Activation act, int batch, int c, int n, float* y,
                   cudaStream_t s) {
  DN_LAUNCH_PLANES(epilogue_kernel, batch, c, n, s, x, biases, scales, rolling_mean, rolling_var, eps, act, c, n, y);
}

void bn_backward(const double* sb, const double* ss, const float* x_norm, const float* var, const float* scales,
                 float eps, double count, int batch, int c, int n, float* delta, float* bias_grads,
                 float* scale_grads, float* coef, cudaStream_t s) {
  DN_LAUNCH(bn_backward_coef_kernel, static_cast<size_t>(c), s, sb, ss, var, scales, eps, count, c, bias_grads,
            scale_grads, coef);
  if (!scales) return;
  DN_LAUNCH_PLANES(bn_backward_delta_kernel, batch, c, n, s, x_norm, coef, c, n, delta);
}

}  // namespace dn::cuda
