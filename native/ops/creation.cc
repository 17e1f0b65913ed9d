#include <cmath>
#include <cstring>

#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {
constexpr int64_t kFillGrain = 1 << 16;

template <typename T>
void FillWith(const Tensor& t, T value) {
  T* p = t.data<T>();
  const int64_t n = t.numel();
  Launch([=] {
    ParallelFor(0, n, kFillGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = value;
    });
  }, t);
}

void CheckIntRange(double value, const char* what) {
  if (!(value >= -2147483648.0 && value <= 2147483647.0)) {
    Fail(StatusCode::kArgument, what, " must fit in int32 for an int32 tensor, got ", value);
  }
}
}  // namespace

Tensor Full(const Shape& shape, double value, DType dtype) {
  Tensor t = Tensor::Empty(shape, dtype);
  if (dtype == DType::kInt32) {
    CheckIntRange(value, "fill value");
    FillWith<int32_t>(t, static_cast<int32_t>(value));
  } else {
    FillWith<float>(t, static_cast<float>(value));
  }
  return t;
}

Tensor Arange(double start, double end, double step, DType dtype) {
  if (!std::isfinite(start) || !std::isfinite(end)) {
    Fail(StatusCode::kArgument, "arange expects finite start and end, got ", start, " and ", end);
  }
  if (!std::isfinite(step) || step == 0) Fail(StatusCode::kArgument, "arange expects a finite non-zero step, got ", step);
  if ((end - start) / step > static_cast<double>(kMaxNumel)) {
    Fail(StatusCode::kArgument, "arange(", start, ", ", end, ", ", step, ") would have more than 2^48 elements");
  }
  const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((end - start) / step)));
  if (dtype == DType::kInt32) {
    CheckIntRange(start, "arange start");
    CheckIntRange(start + step * static_cast<double>(std::max<int64_t>(n - 1, 0)), "arange end");
  }
  Tensor t = Tensor::Empty({n}, dtype);
  int32_t* pi = dtype == DType::kInt32 ? t.data<int32_t>() : nullptr;
  float* pf = dtype == DType::kInt32 ? nullptr : t.data<float>();
  Launch([=] {
    ParallelFor(0, n, kFillGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const double v = start + step * static_cast<double>(i);
        if (dtype == DType::kInt32) {
          pi[i] = static_cast<int32_t>(v);
        } else {
          pf[i] = static_cast<float>(v);
        }
      }
    });
  }, t);
  return t;
}

Tensor Rand(const Shape& shape, Generator& gen) {
  Tensor t = Tensor::Empty(shape);
  const uint64_t first = gen.Reserve(static_cast<uint64_t>(t.numel()));
  // The counters are reserved now; the closure draws from a copy with gen's seed, as later
  // draws or a reseed of gen must not change these numbers.
  const Generator draw(gen.seed());
  float* p = t.data<float>();
  const int64_t n = t.numel();
  Launch([=] {
    ParallelFor(0, n, kFillGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = BitsToUniform(draw.Bits(first + static_cast<uint64_t>(i)));
    });
  }, t);
  return t;
}

Tensor Randn(const Shape& shape, Generator& gen) {
  Tensor t = Tensor::Empty(shape);
  const int64_t n = t.numel(), pairs = (n + 1) / 2;
  const uint64_t first = gen.Reserve(static_cast<uint64_t>(2 * pairs));
  const Generator draw(gen.seed());  // as in Rand: the seed and counters fixed at planning
  float* p = t.data<float>();
  // Box-Muller: each pair of uniforms gives two independent normals.
  Launch([=] {
    ParallelFor(0, pairs, kFillGrain / 2, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const uint64_t c = first + 2 * static_cast<uint64_t>(i);
        const double u1 = 1.0 - static_cast<double>(draw.Bits(c) >> 11) * 0x1.0p-53;  // (0, 1]
        const double u2 = static_cast<double>(draw.Bits(c + 1) >> 11) * 0x1.0p-53;
        const double r = std::sqrt(-2.0 * std::log(u1)), theta = 6.283185307179586 * u2;
        p[2 * i] = static_cast<float>(r * std::cos(theta));
        if (2 * i + 1 < n) p[2 * i + 1] = static_cast<float>(r * std::sin(theta));
      }
    });
  }, t);
  return t;
}

// Copies now, on the calling thread, not through Launch: `data` is the caller's memory (a JS
// typed array), alive and unchanged only during this call, and t is fresh memory that no
// queued task can touch yet.
Tensor FromCopy(const void* data, const Shape& shape, DType dtype) {
  Tensor t = Tensor::EmptyForHostWrite(shape, dtype);
  if (t.numel() > 0) std::memcpy(t.bytes(), data, static_cast<size_t>(t.numel()) * ElementSize(dtype));
  return t;
}

}  // namespace tg
