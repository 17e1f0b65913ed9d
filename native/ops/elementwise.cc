// Elementwise ops: broadcast the operands, then run the selected ISA's kernel over spans.
#include <algorithm>
#include <cmath>

#include "kernels/kernel_table.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "ops/strided_loop.h"
#include "runtime/status.h"

namespace tg {
namespace {

// Memory-bound work: below this many elements a second thread costs more than it saves.
constexpr int64_t kEltwiseGrain = 1 << 15;
// Inputs whose innermost stride is neither 0 nor 1 (transposed views) are gathered into
// contiguous blocks of this size on the stack before the kernel runs.
constexpr int64_t kGatherBlock = 256;

const char* UnaryName(UnaryOp op) {
  static const char* names[] = {"neg", "exp", "log", "sqrt", "abs"};
  return names[static_cast<int>(op)];
}

const char* BinaryName(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum"};
  return names[static_cast<int>(op)];
}

// The strides of t seen through a broadcast to `shape` (0 along broadcast dimensions).
Shape BroadcastStrides(const Tensor& t, const Shape& shape) {
  Shape strides(shape.size(), 0);
  const size_t lead = shape.size() - t.shape().size();
  for (size_t i = 0; i < t.shape().size(); ++i) {
    strides[lead + i] = t.shape()[i] == 1 ? 0 : t.strides()[i];
  }
  return strides;
}

void Gather(const float* x, int64_t stride, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = x[i * stride];
}

}  // namespace

Tensor Unary(UnaryOp op, const Tensor& x) {
  RequireFloat(x, UnaryName(op));
  Tensor out = Tensor::Empty(x.shape());
  if (out.numel() == 0) return out;
  const UnaryKernel kernel = Kernels().eltwise->unary[static_cast<int>(op)];
  if (x.is_contiguous()) {  // the common case, without the strided walk's bookkeeping
    const float* in = x.data<float>();
    float* o = out.data<float>();
    const int64_t n = out.numel();
    Launch([=] { ParallelFor(0, n, kEltwiseGrain, [&](int64_t b, int64_t e) { kernel(in + b, o + b, e - b); }); }, x, out);
    return out;
  }
  const Shape xs = x.strides(), os = out.strides();
  const auto layout = Coalesce<2>(x.shape(), {&os, &xs});
  float* o = out.data<float>();
  const float* in = x.data<float>();
  Launch([=] {
    ForEachSpan(layout, kEltwiseGrain, [&](const std::array<int64_t, 2>& off, int64_t len, const std::array<int64_t, 2>& st) {
      if (st[1] == 1) return kernel(in + off[1], o + off[0], len);
      float block[kGatherBlock];
      for (int64_t i = 0; i < len; i += kGatherBlock) {
        const int64_t n = std::min(kGatherBlock, len - i);
        Gather(in + off[1] + i * st[1], st[1], n, block);
        kernel(block, o + off[0] + i, n);
      }
    });
  }, x, out);
  return out;
}

Tensor Clamp(const Tensor& x, float lo, float hi) {
  RequireFloat(x, "clamp");
  if (std::isnan(lo) || std::isnan(hi)) Fail(StatusCode::kArgument, "clamp bounds must not be NaN, got min ", lo, " and max ", hi);
  if (lo > hi) Fail(StatusCode::kArgument, "clamp expects min <= max, got min ", lo, " and max ", hi);
  const Tensor in = Contiguous(x);
  Tensor out = Tensor::Empty(x.shape());
  const ClampKernel kernel = Kernels().eltwise->clamp;
  const float* src = in.data<float>();
  float* dst = out.data<float>();
  const int64_t n = out.numel();
  Launch([=] { ParallelFor(0, n, kEltwiseGrain, [&](int64_t b, int64_t e) { kernel(src + b, dst + b, e - b, lo, hi); }); }, in, out);
  return out;
}

Tensor Binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  RequireFloat(a, BinaryName(op), "input");
  RequireFloat(b, BinaryName(op), "other");
  const Shape shape = BroadcastShapes(a.shape(), b.shape(), BinaryName(op));
  Tensor out = Tensor::Empty(shape);
  if (out.numel() == 0) return out;
  const BinaryKernel kernel = Kernels().eltwise->binary[static_cast<int>(op)];
  // Common cases without the strided walk's bookkeeping: equal contiguous shapes, or one side
  // a single value.
  const bool a_flat = a.is_contiguous() && (a.numel() == out.numel() || a.numel() == 1);
  const bool b_flat = b.is_contiguous() && (b.numel() == out.numel() || b.numel() == 1);
  if (a_flat && b_flat) {
    const int64_t sa = a.numel() == 1 ? 0 : 1, sb = b.numel() == 1 ? 0 : 1;
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    float* o = out.data<float>();
    const int64_t n = out.numel();
    Launch([=] {
      ParallelFor(0, n, kEltwiseGrain, [&](int64_t lo, int64_t hi) { kernel(pa + lo * sa, sa, pb + lo * sb, sb, o + lo, hi - lo); });
    }, a, b, out);
    return out;
  }
  const Shape as = BroadcastStrides(a, shape), bs = BroadcastStrides(b, shape), os = out.strides();
  const auto layout = Coalesce<3>(shape, {&os, &as, &bs});
  float* o = out.data<float>();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  Launch([=] {
    ForEachSpan(layout, kEltwiseGrain, [&](const std::array<int64_t, 3>& off, int64_t len, const std::array<int64_t, 3>& st) {
      const float* x = pa + off[1];
      const float* y = pb + off[2];
      if (st[1] <= 1 && st[2] <= 1) return kernel(x, st[1], y, st[2], o + off[0], len);
      float xb[kGatherBlock], yb[kGatherBlock];
      for (int64_t i = 0; i < len; i += kGatherBlock) {
        const int64_t n = std::min(kGatherBlock, len - i);
        const float* xi = x + i * st[1];
        const float* yi = y + i * st[2];
        if (st[1] > 1) Gather(xi, st[1], n, xb), xi = xb;
        if (st[2] > 1) Gather(yi, st[2], n, yb), yi = yb;
        kernel(xi, st[1] > 1 ? 1 : st[1], yi, st[2] > 1 ? 1 : st[2], o + off[0] + i, n);
      }
    });
  }, a, b, out);
  return out;
}

Tensor BinaryScalar(BinaryOp op, const Tensor& a, float b, bool scalar_first) {
  RequireFloat(a, BinaryName(op), "input");
  const Tensor in = Contiguous(a);
  Tensor out = Tensor::Empty(a.shape());
  const BinaryKernel kernel = Kernels().eltwise->binary[static_cast<int>(op)];
  const float* x = in.data<float>();
  float* o = out.data<float>();
  const int64_t n = out.numel();
  Launch([=] {
    ParallelFor(0, n, kEltwiseGrain, [&](int64_t lo, int64_t hi) {
      if (scalar_first) kernel(&b, 0, x + lo, 1, o + lo, hi - lo);
      else kernel(x + lo, 1, &b, 0, o + lo, hi - lo);
    });
  }, in, out);
  return out;
}

}  // namespace tg
