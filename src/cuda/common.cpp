#include "cuda/common.hpp"

#include <cstdio>
#include <cstring>

#include "core/error.hpp"

namespace dn::cuda {

void fail_cuda(const std::string& what, const std::string& reason, const char* file, int line) {
  const char* base = std::strrchr(file, '/');
  fail("CUDA: " + what + " failed: " + reason + " (" + (base ? base + 1 : file) + ":" + std::to_string(line) + ")");
}

void check_launch(const char* kernel) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) fail(std::string("CUDA: launch of ") + kernel + " failed: " + cudaGetErrorString(e));
}

void* device_alloc(size_t bytes, const char* what) {
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error state of a failed allocation
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    char buf[256];
    std::snprintf(buf, sizeof buf, "CUDA: cannot allocate %.1f MiB for %s (%.1f of %.1f MiB free): %s",
                  bytes / 1048576.0, what, free_b / 1048576.0, total_b / 1048576.0, cudaGetErrorString(e));
    fail(buf);
  }
  return p;
}

void device_free(void* p) { cudaFree(p); }

void gemm(GpuContext& ctx, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  DN_CUBLAS_CHECK(cublasSgemm(ctx.cublas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n,
                              m, k, &alpha, b, ldb, a, lda, &beta, c, ldc));
}

}  // namespace dn::cuda
