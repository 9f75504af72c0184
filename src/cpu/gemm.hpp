#pragma once
// Row-major single-precision GEMM: C[M x N] = alpha * op(A) * op(B) + beta * C.
// op(A) is M x K (A stored K x M when trans_a), op(B) is K x N (B stored N x K when trans_b).
// lda/ldb/ldc are the row strides of the matrices as stored.
namespace dn {

// The fast path: oneDNN's sgemm (AVX-512 kernels chosen from the CPU's feature flags), using
// the OpenMP threads of the process.
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);

// The plain reference (triple loop, double accumulation); tests compare the fast path with it.
void gemm_reference(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                    const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace dn
