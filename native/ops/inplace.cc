#include "ops/inplace.h"

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

}  // namespace tg
