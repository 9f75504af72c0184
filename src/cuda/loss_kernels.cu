// The losses over plain arrays (what the tests compare with the CPU losses), and a fixed-order sum.
#include "cuda/launch.cuh"
#include "losses/list.hpp"

namespace dn::cuda {

namespace {

__global__ void elementwise_kernel(LossSpec spec, const float* logits, const float* targets, const float* weights,
                                   int n, float* grad, double* loss) {
  DN_GRID_STRIDE(i, n) loss[i] = losses::loss_one(spec, logits[i], targets[i], weights ? weights[i] : 1.f, &grad[i]);
}

__global__ void softmax_kernel(LossSpec spec, const float* logits, const int* target, const float* weight, int rows,
                               int classes, float* grad, double* loss) {
  DN_GRID_STRIDE(r, rows) {
    float* g = grad + r * classes;
    loss[r] = losses::softmax_loss_one(spec, logits + r * classes, 1, classes, target[r], weight[r],
                                 [&](int j, float v) { g[j] = v; });
  }
}

constexpr int kSumThreads = 1024;

__global__ void sum_kernel(const double* x, size_t n, double* total) {
  __shared__ double part[kSumThreads];
  double acc = 0;
  for (size_t i = threadIdx.x; i < n; i += kSumThreads) acc += x[i];
  part[threadIdx.x] = acc;
  __syncthreads();
  for (int stride = kSumThreads / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) part[threadIdx.x] += part[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) *total = part[0];
}

}  // namespace

void loss_elementwise(const LossSpec& spec, const float* logits, const float* targets, const float* weights, int n,
                      float* grad, double* loss, cudaStream_t s) {
  DN_LAUNCH(elementwise_kernel, static_cast<size_t>(n), s, spec, logits, targets, weights, n, grad, loss);
}

void loss_softmax(const LossSpec& spec, const float* logits, const int* target, const float* weight, int rows,
                  int classes, float* grad, double* loss, cudaStream_t s) {
  DN_LAUNCH(softmax_kernel, static_cast<size_t>(rows), s, spec, logits, target, weight, rows, classes, grad, loss);
}

void sum_doubles(const double* x, size_t n, double* total, cudaStream_t s) {
  sum_kernel<<<1, kSumThreads, 0, s>>>(x, n, total);
  check_launch("sum_kernel");
}

}  // namespace dn::cuda
