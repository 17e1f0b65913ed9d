#include "ops/inplace.h"

#include <algorithm>
#include <cmath>

#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {
constexpr int64_t kMapGrain = 1 << 16;

// t = f(draws), where draws is a fresh contiguous tensor of t's shape: mapped in place, then
// copied into t (whatever its strides). f is copied into the kernel's closure, so it must hold
// its values, not references to the caller's locals.
template <typename F>
void WriteMapped(const Tensor& t, const Tensor& draws, F f) {
  float* p = draws.data<float>();
  const int64_t n = draws.numel();
  Launch([=] {
    ParallelFor(0, n, kMapGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = f(p[i]);
    });
  }, draws);
  CopyInto(draws, t);
  t.storage()->BumpVersion();
}

// A broadcast view (stride 0 over a dimension longer than 1) has several elements in one
// memory location: writing it would race between threads and keep an arbitrary value.
void CheckWritable(const Tensor& t, const char* op) {
  for (int d = 0; d < t.ndim(); ++d) {
    if (t.strides()[d] == 0 && t.shape()[d] > 1) {
      Fail(StatusCode::kArgument, op, ": more than one element of the tensor (shape ", ShapeToString(t.shape()),
           ", a broadcast view from expand()) refers to the same memory; write into a contiguous() copy");
    }
  }
}

void CheckFinite(double v, const char* op, const char* what) {
  if (!std::isfinite(v)) Fail(StatusCode::kArgument, op, ": ", what, " must be a finite number, got ", v);
}
}  // namespace

void FillInPlace(const Tensor& t, double value) {
  CheckWritable(t, "fill_");
  if (t.numel() == 0) return;
  CopyInto(Expand(Full({}, value, t.dtype()), t.shape()), t);
  t.storage()->BumpVersion();
}

void CopyInPlace(const Tensor& dst, const Tensor& src) {
  CheckWritable(dst, "copy_");
  if (dst.numel() == 0 && src.numel() <= 1) return;
  // Expand throws a ShapeError naming both shapes when src does not broadcast to dst.
  Tensor from = Expand(src, dst.shape());
  // Reading and writing the same memory through different strides would see half-written
  // values: copy the source out first.
  if (src.storage() == dst.storage()) from = Clone(from);
  CopyInto(from, dst);
  dst.storage()->BumpVersion();
}

void UniformInPlace(const Tensor& t, double lo, double hi, Generator& gen) {
  RequireFloat(t, "uniform_");
  CheckWritable(t, "uniform_");
  CheckFinite(lo, "uniform_", "a");
  CheckFinite(hi, "uniform_", "b");
  if (!(lo <= hi)) Fail(StatusCode::kArgument, "uniform_: expects a <= b, got a = ", lo, " and b = ", hi);
  const float base = static_cast<float>(lo), width = static_cast<float>(hi - lo);
  WriteMapped(t, Rand(t.shape(), gen), [base, width](float u) { return base + width * u; });
}

void NormalInPlace(const Tensor& t, double mean, double std, Generator& gen) {
  RequireFloat(t, "normal_");
  CheckWritable(t, "normal_");
  CheckFinite(mean, "normal_", "mean");
  CheckFinite(std, "normal_", "std");
  if (std < 0) Fail(StatusCode::kArgument, "normal_: expects std >= 0, got ", std);
  const float m = static_cast<float>(mean), s = static_cast<float>(std);
  WriteMapped(t, Randn(t.shape(), gen), [m, s](float z) { return m + s * z; });
}

void MaskedFillInPlace(const Tensor& t, const Tensor& mask, const Tensor& value) {
  CheckWritable(t, "masked_fill_");
  // The selection is computed out of place, then copied: mask or value may share t's memory.
  const Tensor filled = MaskedFill(t, mask, value);
  if (t.numel() == 0) return;
  CopyInto(filled, t);
  t.storage()->BumpVersion();
}

void EmbeddingRenormInPlace(const Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
  const char* op = "embedding";
  RequireFloat(weight, op, "weight");
  if (weight.ndim() != 2) Fail(StatusCode::kShape, op, ": weight must be 2-D (numEmbeddings, embeddingDim), got shape ", ShapeToString(weight.shape()));
  if (indices.dtype() != DType::kInt32) Fail(StatusCode::kDType, op, ": indices must be int32, got ", DTypeName(indices.dtype()));
  if (!(max_norm > 0) || !(norm_type > 0)) {
    Fail(StatusCode::kArgument, op, ": maxNorm and normType must be > 0, got maxNorm ", max_norm, " and normType ", norm_type);
  }
  CheckWritable(weight, "embedding renorm");
  const Tensor idx = CheckedIndex(Reshape(indices, {-1}), weight.shape()[0], 0, op);
  const int64_t n = idx.numel();
  if (n == 0) return;
  // Scratch for the sorted, deduplicated indices: each row is renormalised once, as torch does
  // (a second pass could scale a row that rounding left a hair above max_norm).
  const Tensor scratch = Tensor::Empty({n}, DType::kInt32);
  const int32_t* ix = idx.data<int32_t>();
  int32_t* sorted = scratch.data<int32_t>();
  float* w = weight.data<float>();
  const int64_t row_stride = weight.strides()[0], col_stride = weight.strides()[1], dim = weight.shape()[1];
  const bool inf = std::isinf(norm_type);
  Launch([=] {
    std::copy(ix, ix + n, sorted);
    std::sort(sorted, sorted + n);
    int32_t* end = std::unique(sorted, sorted + n);
    ParallelFor(0, end - sorted, std::max<int64_t>(1, kMapGrain / std::max<int64_t>(dim, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        float* row = w + static_cast<int64_t>(sorted[r]) * row_stride;
        double norm = 0.0;
        for (int64_t j = 0; j < dim; ++j) {
          const double v = std::fabs(static_cast<double>(row[j * col_stride]));
          norm = inf ? std::max(norm, v) : norm + (norm_type == 2.0 ? v * v : norm_type == 1.0 ? v : std::pow(v, norm_type));
        }
        if (!inf) norm = norm_type == 2.0 ? std::sqrt(norm) : norm_type == 1.0 ? norm : std::pow(norm, 1.0 / norm_type);
        if (norm > max_norm) {
          const float scale = static_cast<float>(max_norm / (norm + 1e-7));
          for (int64_t j = 0; j < dim; ++j) row[j * col_stride] *= scale;
        }
      }
    });
  }, idx, scratch, weight);
  weight.storage()->BumpVersion();
}

}  // namespace tg
