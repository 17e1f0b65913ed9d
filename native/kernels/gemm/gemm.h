// Single-precision matrix multiply, the core under every Linear, Conv and LSTM layer.
//
// Row-major throughout. C (m×n) = act(alpha·op(A)·op(B) + beta·C + bias), where
//  - op(A) is m×k: A is stored m×k with lda >= k (Trans::kN), or k×m with lda >= m (Trans::kT);
//  - op(B) is k×n: B is stored k×n with ldb >= n (Trans::kN), or n×k with ldb >= k (Trans::kT);
//  - C is m×n with ldc >= n; bias (optional) has length n and is added to every row.
// Any m, n, k >= 0. k == 0 or alpha == 0 reads neither A nor B: C = act(beta·C + bias).
// beta == 0 never reads C (it may hold NaN or garbage). Transposes are absorbed by packing;
// the operands are never copied whole. Results are bitwise identical for any thread count
// (the work is split over m and n only, never over k), for a given ISA.
#pragma once

#include <cstdint>

#include "kernels/activation.h"  // Activation
#include "runtime/cpu_features.h"

namespace tg {

enum class Trans { kN, kT };

// Applied to C while the tile is still in registers, after alpha/beta.
struct GemmEpilogue {
  const float* bias = nullptr;  // length n, added to every row
  Activation act = Activation::kIdentity;
  float negative_slope = 0.01f;  // kLeakyRelu: x < 0 ? slope·x : x
};

// C (m×n) = act(alpha·op(A)·op(B) + beta·C + bias), on SelectedIsa(), with NumThreads() threads.
void Gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const GemmEpilogue* epilogue = nullptr);

// The same on a given ISA (tests and benchmarks); an ISA the CPU lacks falls back to kRef.
void GemmWithIsa(Isa isa, Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc, const GemmEpilogue* epilogue = nullptr);

// The naive triple loop, accumulating in double: what every ISA is tested against.
void GemmReference(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                   int64_t ldc, const GemmEpilogue* epilogue = nullptr);

}  // namespace tg
