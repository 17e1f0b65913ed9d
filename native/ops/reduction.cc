// Reductions. The input is laid out as [outer, r, inner] (reduced dimensions moved together
// and made contiguous when needed). Long spans are cut into fixed blocks whose partial
// results are combined in order, so a result never depends on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels/kernel_table.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kBlock = 1 << 14;       // elements per partial result of a span
constexpr int64_t kInnerBlock = 1 << 12;  // accumulator columns per task in row reductions
constexpr int64_t kMinParallel = 1 << 15;  // fewer elements than this per thread is not worth a wake-up

// Grain, in tasks, for tasks of `per_task` elements each.
int64_t TaskGrain(int64_t per_task) { return std::max<int64_t>(1, kMinParallel / std::max<int64_t>(per_task, 1)); }

const char* ReduceName(ReduceOp op) {
  static const char* names[] = {"sum", "max", "min"};
  return names[static_cast<int>(op)];
}

struct Layout {
  Tensor data;  // contiguous, reduced dimensions adjacent
  int64_t outer = 1, r = 1, inner = 1;
  Shape out_shape;  // with keepdim applied
};

// Moves the reduced dimensions (sorted, unique) next to each other: [kept-before..., reduced..., kept-after...]
// is only possible without a copy for one dimension; several go to the end through Permute.
Layout MakeLayout(const Tensor& x, Shape dims, bool keepdim, const char* op) {
  const int nd = x.ndim();
  std::vector<bool> reduced(std::max(nd, 1), false);
  if (dims.empty()) {
    std::fill(reduced.begin(), reduced.end(), true);
  } else {
    for (int64_t d : dims) {
      const int k = NormalizeDim(d, nd, "dim");
      if (reduced[k]) Fail(StatusCode::kArgument, op, " expects each dim once, got dimension ", k, " twice");
      reduced[k] = true;
    }
  }
  Layout L;
  for (int d = 0; d < nd; ++d) {
    if (!reduced[d]) L.out_shape.push_back(x.shape()[d]);
    else if (keepdim) L.out_shape.push_back(1);
  }
  std::vector<int> kept, red;
  for (int d = 0; d < nd; ++d) (reduced[d] ? red : kept).push_back(d);
  const bool one_block = red.empty() || red.back() - red.front() + 1 == static_cast<int>(red.size());
  if (one_block) {
    L.data = Contiguous(x);
    const int first = red.empty() ? nd : red.front(), last = red.empty() ? nd : red.back() + 1;
    for (int d = 0; d < first; ++d) L.outer *= x.shape()[d];
    for (int d = first; d < last; ++d) L.r *= x.shape()[d];
    for (int d = last; d < nd; ++d) L.inner *= x.shape()[d];
  } else {
    Shape order(kept.begin(), kept.end());
    order.insert(order.end(), red.begin(), red.end());
    L.data = Clone(Permute(x, order));
    for (int d : kept) L.outer *= x.shape()[d];
    for (int d : red) L.r *= x.shape()[d];
  }
  return L;
}

// out[j] = sum over r rows (stride `stride`) of x[i][j], j < n. Rows are summed in float
// blocks of kSumRowBlock with the SIMD row kernel, and the blocks in double: the error stays
// that of a short float sum however many rows there are (a plain float running sum over a
// million rows drifts by ~1e-5 relative).
constexpr int64_t kSumRowBlock = 32;

void SumRows(RowReduceKernel add_row, const float* x, int64_t r, int64_t stride, int64_t n, float* out) {
  std::vector<double> total(static_cast<size_t>(n), 0.0);
  for (int64_t i0 = 0; i0 < r; i0 += kSumRowBlock) {
    const float* first = x + i0 * stride;
    std::copy(first, first + n, out);
    for (int64_t i = i0 + 1; i < std::min(r, i0 + kSumRowBlock); ++i) add_row(out, x + i * stride, n);
    for (int64_t j = 0; j < n; ++j) total[static_cast<size_t>(j)] += out[j];
  }
  for (int64_t j = 0; j < n; ++j) out[j] = static_cast<float>(total[static_cast<size_t>(j)]);
}

float Combine(ReduceOp op, float a, float b) {
  if (op == ReduceOp::kSum) return a + b;
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  return op == ReduceOp::kMax ? std::max(a, b) : std::min(a, b);
}

}  // namespace

Tensor Reduce(ReduceOp op, const Tensor& x, const Shape& dims, bool keepdim) {
  RequireFloat(x, ReduceName(op));
  const Layout L = MakeLayout(x, dims, keepdim, ReduceName(op));
  if (op != ReduceOp::kSum && L.r == 0) {
    Fail(StatusCode::kArgument, ReduceName(op), " of an empty tensor (shape ", ShapeToString(x.shape()),
         ") along the reduced dimension(s) is undefined: there is no identity for it");
  }
  Tensor out = Tensor::Empty(L.out_shape);
  float* o = out.data<float>();
  const float* in = L.data.data<float>();
  const ReduceKernels& k = *Kernels().reduce;
  const int opi = static_cast<int>(op);
  // The layout's sizes as plain values for the closures (L holds a Tensor).
  const int64_t outer = L.outer, r = L.r, inner = L.inner, numel = out.numel();
  if (r == 0 || numel == 0) {
    Launch([=] { std::fill(o, o + numel, 0.0f); }, out);
    return out;
  }
  if (inner == 1) {
    // Each output reduces one contiguous span of r values, in fixed blocks.
    const int64_t blocks = (r + kBlock - 1) / kBlock;
    const SpanReduceKernel span = k.span[opi];
    // The partial results live in a scratch tensor allocated here, not in the closure.
    const Tensor partial_buffer = Tensor::Empty({outer * blocks});
    float* partial = partial_buffer.data<float>();
    Launch([=] {
      ParallelFor(0, outer * blocks, TaskGrain(std::min(r, kBlock)), [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const int64_t row = t / blocks, blk = t % blocks, start = blk * kBlock;
          partial[t] = span(in + row * r + start, std::min(kBlock, r - start));
        }
      });
      for (int64_t row = 0; row < outer; ++row) {
        float acc = partial[row * blocks];
        for (int64_t blk = 1; blk < blocks; ++blk) acc = Combine(op, acc, partial[row * blocks + blk]);
        o[row] = acc;
      }
    }, L.data, partial_buffer, out);
    return out;
  }
  // Fold r rows of `inner` values into the output row, column blocks in parallel.
  const int64_t col_blocks = (inner + kInnerBlock - 1) / kInnerBlock;
  const RowReduceKernel row_kernel = k.row[opi];
  Launch([=] {
    ParallelFor(0, outer * col_blocks, TaskGrain(r * std::min(kInnerBlock, inner)), [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t outer_i = t / col_blocks, col = (t % col_blocks) * kInnerBlock;
        const int64_t n = std::min(kInnerBlock, inner - col);
        const float* base = in + outer_i * r * inner + col;
        float* acc = o + outer_i * inner + col;
        if (op == ReduceOp::kSum) {
          SumRows(row_kernel, base, r, inner, n, acc);
        } else {
          std::copy(base, base + n, acc);
          for (int64_t i = 1; i < r; ++i) row_kernel(acc, base + i * inner, n);
        }
      }
    });
  }, L.data, out);
  return out;
}

Tensor Mean(const Tensor& x, const Shape& dims, bool keepdim) {
  RequireFloat(x, "mean");
  Tensor sum = Reduce(ReduceOp::kSum, x, dims, keepdim);
  const int64_t count = sum.numel() == 0 ? 0 : x.numel() / std::max<int64_t>(sum.numel(), 1);
  // The mean of nothing is NaN, as in PyTorch.
  const float scale = count == 0 ? std::numeric_limits<float>::quiet_NaN() : 1.0f / static_cast<float>(count);
  float* p = sum.data<float>();
  const int64_t n = sum.numel();
  Launch([=] {
    for (int64_t i = 0; i < n; ++i) p[i] = count == 0 ? scale : p[i] * scale;
  }, sum);
  return sum;
}

Tensor ArgExtreme(bool is_max, const Tensor& x, bool has_dim, int64_t dim, bool keepdim) {
  const char* name = is_max ? "argmax" : "argmin";
  RequireFloat(x, name);
  Shape dims;
  if (has_dim) dims.push_back(dim);
  const Layout L = MakeLayout(x, dims, keepdim, name);
  if (L.r == 0) Fail(StatusCode::kArgument, name, " of an empty tensor (shape ", ShapeToString(x.shape()), ") is undefined");
  if (L.r > std::numeric_limits<int32_t>::max()) {
    Fail(StatusCode::kArgument, name, " indices are int32: the reduced size ", L.r, " is larger than 2^31-1");
  }
  Tensor out = Tensor::Empty(L.out_shape, DType::kInt32);
  int32_t* o = out.data<int32_t>();
  const float* in = L.data.data<float>();
  const ReduceKernels& k = *Kernels().reduce;
  // The layout's sizes as plain values for the closures (L holds a Tensor).
  const int64_t outer = L.outer, r = L.r, inner = L.inner;
  if (inner == 1) {
    const SpanArgKernel span = is_max ? k.argmax_span : k.argmin_span;
    Launch([=] {
      ParallelFor(0, outer, TaskGrain(r), [&](int64_t b, int64_t e) {
        for (int64_t row = b; row < e; ++row) o[row] = static_cast<int32_t>(span(in + row * r, r));
      });
    }, L.data, out);
    return out;
  }
  const RowArgKernel row_kernel = is_max ? k.argmax_row : k.argmin_row;
  const int64_t col_blocks = (inner + kInnerBlock - 1) / kInnerBlock;
  Launch([=] {
    ParallelFor(0, outer * col_blocks, TaskGrain(r * std::min(kInnerBlock, inner)), [&](int64_t b, int64_t e) {
      std::vector<float> best(static_cast<size_t>(std::min(kInnerBlock, inner)));
      for (int64_t t = b; t < e; ++t) {
        const int64_t outer_i = t / col_blocks, col = (t % col_blocks) * kInnerBlock;
        const int64_t n = std::min(kInnerBlock, inner - col);
        const float* base = in + outer_i * r * inner + col;
        int32_t* idx = o + outer_i * inner + col;
        std::copy(base, base + n, best.begin());
        std::fill(idx, idx + n, 0);
        for (int64_t i = 1; i < r; ++i) row_kernel(best.data(), idx, base + i * inner, n, static_cast<int32_t>(i));
      }
    });
  }, L.data, out);
  return out;
}

}  // namespace tg
