// Softmax kernels on contiguous rows: softmax and log-softmax forward and backward, and the row
// primitives the fused cross-entropy (cross_entropy.h) is built on. A kernel handles `rows`
// whole rows of n values; the caller (ops/) splits rows over threads. Every output may alias an
// input of the same shape.
//
// Sums are deterministic: the same row gives the same bits whatever the thread split. The SIMD
// tables add float partials over short blocks and the blocks in double; the reference adds in
// double. Both stay within a few ulp of a double sum at any n.
#pragma once

#include <cstdint>

namespace tg {

// x, y (rows, n) -> y. Stable: the row max is subtracted before exp.
//   softmax:     y = exp(x - max) / Σ exp(x - max)
//   log_softmax: y = (x - max) - log(Σ exp(x - max))
// As PyTorch: a row holding a NaN or a +inf is all NaN, as is a row of only -inf; a -inf among
// finite values gives 0 (log: -inf).
using SoftmaxRowsKernel = void (*)(const float* x, float* y, int64_t rows, int64_t n);

// y, dy, dx (rows, n) -> dx, from the forward output y:
//   softmax_backward:     dx = y·(dy - Σ_j dy_j·y_j)
//   log_softmax_backward: dx = dy - exp(y)·Σ_j dy_j
using SoftmaxBackwardRowsKernel = void (*)(const float* y, const float* dy, float* dx,
                                           int64_t rows, int64_t n);

// The row primitives below share one description of a coefficient row, so the cross-entropy's
// index and probability targets need no scratch buffer:
//   coef_c = A_c·(u·B_c + v),  A_c = a ? a[c] : 1,  B_c = b ? b[c] : 0,  computed in float.

// x (n) -> its max; NaN if any element is NaN; -inf for n == 0.
using RowMaxKernel = float (*)(const float* x, int64_t n);
// x (n) -> Σ exp(x_c - shift).
using RowSumExpKernel = double (*)(const float* x, int64_t n, float shift);
// x (n) -> sums[0] = Σ coef_c, sums[1] = Σ coef_c·(shift - x_c) (a coef of 0 against an
// infinite gap gives NaN, as 0·inf does in PyTorch's loss).
using RowCoefSumsKernel = void (*)(const float* a, const float* b, float u, float v,
                                   const float* x, int64_t n, float shift, double* sums);
// x (n) -> y_c = scale·exp(x_c - shift) - coef_c. y may alias x, a or b.
using RowExpMinusCoefKernel = void (*)(const float* x, int64_t n, float shift, float scale,
                                       const float* a, const float* b, float u, float v,
                                       float* y);

struct SoftmaxKernels {
  SoftmaxRowsKernel softmax;
  SoftmaxRowsKernel log_softmax;
  SoftmaxBackwardRowsKernel softmax_backward;
  SoftmaxBackwardRowsKernel log_softmax_backward;
  RowMaxKernel row_max;
  RowSumExpKernel sum_exp;
  RowCoefSumsKernel coef_sums;
  RowExpMinusCoefKernel exp_minus_coef;
};

extern const SoftmaxKernels kSoftmaxRef;
#if defined(__x86_64__) || defined(_M_X64)
extern const SoftmaxKernels kSoftmaxAvx2;
extern const SoftmaxKernels kSoftmaxAvx512;
#endif

}  // namespace tg
