#pragma once
// Internal to src/cuda: error checks, device memory, and what every GPU layer sees while it runs.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef DN_CUDNN
#include <cudnn.h>
#endif

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cuda/kernels.hpp"

namespace dn::cuda {

// Throws dn::Error("CUDA: <what> failed: <reason> (<file>:<line>)").
[[noreturn]] void fail_cuda(const std::string& what, const std::string& reason, const char* file, int line);

#define DN_CUDA_CHECK(x)                                                                  \
  do {                                                                                    \
    cudaError_t dn_e_ = (x);                                                              \
    if (dn_e_ != cudaSuccess) ::dn::cuda::fail_cuda(#x, cudaGetErrorString(dn_e_), __FILE__, __LINE__); \
  } while (0)
#define DN_CUBLAS_CHECK(x)                                                                \
  do {                                                                                    \
    cublasStatus_t dn_s_ = (x);                                                           \
    if (dn_s_ != CUBLAS_STATUS_SUCCESS)                                                   \
      ::dn::cuda::fail_cuda(#x, cublasGetStatusString(dn_s_), __FILE__, __LINE__);        \
  } while (0)
#ifdef DN_CUDNN
#define DN_CUDNN_CHECK(x)                                                                 \
  do {                                                                                    \
    cudnnStatus_t dn_s_ = (x);                                                            \
    if (dn_s_ != CUDNN_STATUS_SUCCESS) ::dn::cuda::fail_cuda(#x, cudnnGetErrorString(dn_s_), __FILE__, __LINE__); \
  } while (0)
#endif

// Plain cudaMalloc'd memory; throws dn::Error naming `what` and the sizes when the device is full.
void* device_alloc(size_t bytes, const char* what);
void device_free(void* p);

// n elements of T on the device, move-only. resize() keeps the allocation when it is large enough
// (multi-scale training goes up and down in size), and the contents are undefined after a resize
// that reallocates.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept { swap(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    swap(o);
    return *this;
  }
  ~DeviceBuffer() { release(); }

  void resize(size_t n, const char* what = "a buffer") {
    if (n > capacity_) {
      release();
      ptr_ = static_cast<T*>(device_alloc(n * sizeof(T), what));
      capacity_ = n;
    }
    size_ = n;
  }
  void release() {
    if (ptr_) device_free(ptr_);
    ptr_ = nullptr;
    size_ = capacity_ = 0;
  }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void zero(cudaStream_t s) {
    if (size_) DN_CUDA_CHECK(cudaMemsetAsync(ptr_, 0, size_ * sizeof(T), s));
  }
  // resize(n), then copies n elements from the host.
  void upload(const T* host, size_t n, cudaStream_t s, const char* what = "a buffer") {
    resize(n, what);
    if (n) DN_CUDA_CHECK(cudaMemcpyAsync(ptr_, host, n * sizeof(T), cudaMemcpyHostToDevice, s));
  }
  // Copies the first n elements to the host and waits for them.
  void download(T* host, size_t n, cudaStream_t s) const {
    if (!n) return;
    DN_CUDA_CHECK(cudaMemcpyAsync(host, ptr_, n * sizeof(T), cudaMemcpyDeviceToHost, s));
    DN_CUDA_CHECK(cudaStreamSynchronize(s));
  }
  std::vector<T> to_host(cudaStream_t s) const {
    std::vector<T> v(size_);
    download(v.data(), size_, s);
    return v;
  }

 private:
  void swap(DeviceBuffer& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }
  T* ptr_ = nullptr;
  size_t size_ = 0, capacity_ = 0;
};

class GpuLayer;

// The handles and shared scratch of one GpuNetwork, and the state of the pass being run.
struct GpuContext {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
#ifdef DN_CUDNN
  cudnnHandle_t cudnn = nullptr;
#endif
  bool use_cudnn = false;  // convolutions through cuDNN (else im2col + cuBLAS)
  bool tf32 = false;       // tensor-core TF32 math allowed
  // Scratch shared by the layers, sized after every reshape to the largest need; layers fetch
  // the pointers when they run, never keep them.
  DeviceBuffer<char> workspace;
  DeviceBuffer<double> sums;
  std::vector<std::unique_ptr<GpuLayer>>* layers = nullptr;
  // The pass being run.
  bool train = false;
  int net_w = 0, net_h = 0;
  const YoloTruth* truths = nullptr;  // [batch][max_truths], or null (no loss)
  const int* truth_counts = nullptr;    // [batch]
  int max_truths = 0;
  GpuLayer& layer(int i) { return *(*layers)[i]; }
};

// Row-major C[M][N] = alpha * op(A) op(B) + beta * C on the context's stream (cuBLAS is
// column-major: this computes C^T = op(B)^T op(A)^T).
void gemm(GpuContext& ctx, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc);

}  // namespace dn::cuda
