// Reduction kernels on raw float spans. ops/ lays a reduction out as [outer, r, inner]:
// with inner == 1 it calls the span kernels on each contiguous run of r values; otherwise it
// folds r rows of `inner` contiguous values into an accumulator row with the row kernels.
#pragma once

#include <cstdint>

namespace tg {

enum class ReduceOp : int { kSum, kMax, kMin, kCount };

// Reduces x[0..n). n >= 1 for max/min; the sum of an empty span is 0.
// max/min return NaN if any element is NaN (as torch.max).
using SpanReduceKernel = float (*)(const float* x, int64_t n);
// acc[j] = op(acc[j], x[j]) for j < n; NaN propagates as above.
using RowReduceKernel = void (*)(float* acc, const float* x, int64_t n);
// Index of the first maximum (or minimum) of x[0..n), n >= 1; the first NaN wins outright.
using SpanArgKernel = int64_t (*)(const float* x, int64_t n);
// Row form of argmax/argmin for reductions over a non-inner axis: for j < n, if x[j] beats
// best[j] (strictly, or x[j] is NaN and best[j] is not), best[j] = x[j] and index[j] = row.
using RowArgKernel = void (*)(float* best, int32_t* index, const float* x, int64_t n, int32_t row);

struct ReduceKernels {
  SpanReduceKernel span[static_cast<int>(ReduceOp::kCount)];
  RowReduceKernel row[static_cast<int>(ReduceOp::kCount)];
  SpanArgKernel argmax_span;
  SpanArgKernel argmin_span;
  RowArgKernel argmax_row;
  RowArgKernel argmin_row;
};

extern const ReduceKernels kReduceRef;
#if defined(__x86_64__) || defined(_M_X64)
extern const ReduceKernels kReduceAvx2;
extern const ReduceKernels kReduceAvx512;
#endif

}  // namespace tg
