// Comparisons and selections: eq/ne/lt/le/gt/ge, where and masked fill, the masks that
// sequence models and attention build. There is no bool dtype: a comparison returns float32
// 1/0, which multiplies into a tensor directly, and a condition is any nonzero value.
//
// Operands are broadcast (Expand gives their stride-0 views) and walked as spans; the span
// loops are plain templates, over float32 or int32, that the compiler vectorises.
#include <cmath>
#include <functional>
#include <type_traits>

#include "ops/launch.h"
#include "ops/ops.h"
#include "ops/strided_loop.h"
#include "runtime/status.h"

namespace tg {
namespace {

constexpr int64_t kGrain = 1 << 15;  // memory-bound work, as elementwise.cc

const char* CompareName(CompareOp op) {
  static const char* names[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  return names[static_cast<int>(op)];
}

// Both operands in one dtype: int32 meets float32 as float32 (as torch promotes).
void Promote(Tensor* a, Tensor* b) {
  if (a->dtype() == b->dtype()) return;
  if (a->dtype() == DType::kInt32) *a = ToDType(*a, DType::kFloat32);
  else *b = ToDType(*b, DType::kFloat32);
}

template <typename T, typename Cmp>
void CompareSpan(Cmp cmp, const T* a, int64_t sa, const T* b, int64_t sb, float* o, int64_t n) {
  // The common strides as constants, so that the compiler vectorises those loops.
  auto loop = [&](auto a_stride, auto b_stride) {
    for (int64_t i = 0; i < n; ++i) o[i] = cmp(a[i * a_stride], b[i * b_stride]) ? 1.0f : 0.0f;
  };
  using One = std::integral_constant<int64_t, 1>;
  using Zero = std::integral_constant<int64_t, 0>;
  if (sa == 1 && sb == 1) loop(One{}, One{});
  else if (sa == 1 && sb == 0) loop(One{}, Zero{});
  else if (sa == 0 && sb == 1) loop(Zero{}, One{});
  else loop(sa, sb);
}

template <typename T>
void CompareSpan(CompareOp op, const T* a, int64_t sa, const T* b, int64_t sb, float* o, int64_t n) {
  switch (op) {
    case CompareOp::kEq: return CompareSpan(std::equal_to<T>{}, a, sa, b, sb, o, n);
    case CompareOp::kNe: return CompareSpan(std::not_equal_to<T>{}, a, sa, b, sb, o, n);
    case CompareOp::kLt: return CompareSpan(std::less<T>{}, a, sa, b, sb, o, n);
    case CompareOp::kLe: return CompareSpan(std::less_equal<T>{}, a, sa, b, sb, o, n);
    case CompareOp::kGt: return CompareSpan(std::greater<T>{}, a, sa, b, sb, o, n);
    default: return CompareSpan(std::greater_equal<T>{}, a, sa, b, sb, o, n);
  }
}

// The result keeps input's shape, so the mask may broadcast to it but not grow it.
void CheckMask(const Tensor& input, const Tensor& mask, const char* op) {
  const Shape joint = BroadcastShapes(mask.shape(), input.shape(), op);
  if (joint != input.shape()) {
    Fail(StatusCode::kShape, op, ": mask of shape ", ShapeToString(mask.shape()), " must broadcast to the input's shape ",
         ShapeToString(input.shape()), " (the result keeps the input's shape)");
  }
}

}  // namespace

Tensor Compare(CompareOp op, const Tensor& input, const Tensor& other) {
  const Shape shape = BroadcastShapes(input.shape(), other.shape(), CompareName(op));
  Tensor a = input, b = other;
  Promote(&a, &b);
  Tensor out = Tensor::Empty(shape);
  if (out.numel() == 0) return out;
  const Shape as = Expand(a, shape).strides(), bs = Expand(b, shape).strides(), os = out.strides();
  const auto layout = Coalesce<3>(shape, {&os, &as, &bs});
  float* o = out.data<float>();
  ByDType(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    Launch([=] {
      ForEachSpan(layout, kGrain, [&](const std::array<int64_t, 3>& off, int64_t len, const std::array<int64_t, 3>& st) {
        CompareSpan<T>(op, pa + off[1], st[1], pb + off[2], st[2], o + off[0], len);
      });
    }, a, b, out);
  });
  return out;
}

Tensor CompareScalar(CompareOp op, const Tensor& input, double other) {
  // An int32 tensor meets an integral number as int32 (exact); any other number as float32,
  // as torch compares a float32 tensor with a Python float in float32.
  const bool integral = std::nearbyint(other) == other && std::fabs(other) < 2147483648.0;
  const DType dtype = input.dtype() == DType::kInt32 && integral ? DType::kInt32 : DType::kFloat32;
  return Compare(op, input, Full({}, other, dtype));
}

Tensor Where(const Tensor& condition, const Tensor& input, const Tensor& other) {
  const Shape shape = BroadcastShapes(condition.shape(), BroadcastShapes(input.shape(), other.shape(), "where"), "where");
  Tensor a = input, b = other;
  Promote(&a, &b);
  Tensor out = Tensor::Empty(shape, a.dtype());
  if (out.numel() == 0) return out;
  const Shape cs = Expand(condition, shape).strides(), as = Expand(a, shape).strides(), bs = Expand(b, shape).strides();
  const Shape os = out.strides();
  const auto layout = Coalesce<4>(shape, {&os, &cs, &as, &bs});
  ByDType(condition.dtype(), [&](auto ctag) {
    using C = decltype(ctag);
    ByDType(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const C* pc = condition.data<C>();
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      T* o = out.data<T>();
      Launch([=] {
        ForEachSpan(layout, kGrain, [&](const std::array<int64_t, 4>& off, int64_t len, const std::array<int64_t, 4>& st) {
          const C* c = pc + off[1];
          const T* x = pa + off[2];
          const T* y = pb + off[3];
          T* dst = o + off[0];
          for (int64_t i = 0; i < len; ++i) dst[i] = c[i * st[1]] != C{0} ? x[i * st[2]] : y[i * st[3]];
        });
      }, condition, a, b, out);
    });
  });
  return out;
}

Tensor MaskedFill(const Tensor& input, const Tensor& mask, const Tensor& value) {
  CheckMask(input, mask, "masked_fill");
  if (value.ndim() != 0) {
    Fail(StatusCode::kShape, "masked_fill: value must be a number or a 0-dimensional tensor, got shape ", ShapeToString(value.shape()));
  }
  return Where(mask, ToDType(value, input.dtype()), input);
}

}  // namespace tg
