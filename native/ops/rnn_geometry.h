// Shared by ops/rnn.cc and ops/rnn_backward.cc: the checked sizes of one recurrent layer, the
// packed row offset of each step, and the kernels (fast or reference) that run it.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "kernels/rnn.h"
#include "ops/rnn.h"

namespace tg::rnn_detail {

struct Geometry {
  RnnMode mode;
  int64_t n, in, batch, hidden, out, gates;  // N, I, B, H, P and G·H
  std::vector<int64_t> sizes, offsets;        // per step: active rows, first packed row
  bool reverse;
  int64_t steps() const { return static_cast<int64_t>(sizes.size()); }
  // The step processed s-th (the forward runs s = 0, 1, ...; reverse runs time backwards).
  int64_t TimeAt(int64_t s) const { return reverse ? steps() - 1 - s : s; }
  // The step whose state step t starts from, or -1 where every row starts from h0.
  int64_t PreviousTime(int64_t t) const { return reverse ? (t + 1 < steps() ? t + 1 : -1) : t - 1; }
  // The step that holds sequence b's final state.
  int64_t LastTime(int64_t b) const;
};

// Validates every argument (a tg::Error naming it) and works out the sizes.
Geometry CheckLayer(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                    const Tensor& c0, const RnnWeights& w, bool reverse);

using GemmFn = void (*)(Trans, Trans, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                        float, float*, int64_t, const GemmEpilogue*);

// The GEMM and the gate kernels a layer runs: the selected ISA's, or the reference twins.
struct CellKernels {
  GemmFn gemm;
  RnnKernels cell;
};
const CellKernels& CellKernelsFor(bool reference);

// Rows per task for a gate kernel over rows of `width` floats: about 8K floats, so a small
// batch runs inline and a large one splits across the pool.
int64_t RowGrain(int64_t width);

// dst (cols, rows; leading dimension ld >= rows) = srcᵀ, src (rows, cols) row-major.
void Transpose(const float* __restrict src, int64_t rows, int64_t cols, float* __restrict dst, int64_t ld);

// Floats of padding after each row of a transposed weight (ops/rnn.cc says why).
constexpr int64_t kRowPad = 16;

// Copies rows [0, rows) of one step's starting state into dst (rows, width): row b from the
// previous step's rows (prev, when b < prev_rows) or else from the initial state init.
void GatherStart(float* dst, int64_t rows, int64_t width, const float* prev, int64_t prev_rows, const float* init);

}  // namespace tg::rnn_detail
