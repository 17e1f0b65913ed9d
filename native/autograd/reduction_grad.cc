// Reductions and their gradients: the output gradient is spread back over the reduced
// dimensions (a broadcast view, no copy, for sum and mean). max/min follow torch.amax/amin:
// tied extremes share the gradient equally.
#include <algorithm>
#include <vector>

#include "autograd/functions.h"
#include "ops/map.h"
#include "autograd/record.h"

namespace tg::autograd {
namespace {

// x's shape with every reduced dimension set to 1: the shape the output has with keepdim.
Shape KeptShape(const Shape& x_shape, const Shape& dims) {
  Shape kept = x_shape;
  const int nd = static_cast<int>(x_shape.size());
  if (dims.empty()) {
    std::fill(kept.begin(), kept.end(), 1);
  } else {
    for (int64_t d : dims) kept[NormalizeDim(d, nd, "dim")] = 1;
  }
  return kept;
}

// g (the output's gradient) broadcast back to x's shape.
Tensor SpreadBack(const Tensor& g, const Shape& kept, const Shape& x_shape) {
  return tg::Expand(tg::Reshape(g, kept), x_shape);
}

}  // namespace

Tensor Reduce(ReduceOp op, const Tensor& x, const Shape& dims, bool keepdim) {
  Tensor y = tg::Reduce(op, x, dims, keepdim);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  const Shape kept = KeptShape(x.shape(), dims);
  if (op == ReduceOp::kSum) {
    const char* name = dims.empty() ? "SumBackward0" : "SumBackward1";
    return Record(y, name, {&x}, [kept, x_shape = x.shape()](const Tensor& g, const Node&) {
      return GradList{SpreadBack(g, kept, x_shape)};
    });
  }
  const char* name = op == ReduceOp::kMax ? "AmaxBackward0" : "AminBackward0";
  return Record(y, name, {&x}, [kept, dims, x = Saved(x), y = Saved(y)](const Tensor& g, const Node&) {
    const Tensor extreme = tg::Reshape(y, kept);
    const Tensor mask = Map(x.shape(), [](float xi, float yi) { return xi == yi ? 1.0f : 0.0f; }, x, extreme);
    const Tensor count = tg::Reduce(ReduceOp::kSum, mask, dims, /*keepdim=*/true);
    return GradList{Map(x.shape(), [](float m, float gi, float c) { return m * gi / c; }, mask, tg::Reshape(g, kept), count)};
  });
}

Tensor Mean(const Tensor& x, const Shape& dims, bool keepdim) {
  Tensor y = tg::Mean(x, dims, keepdim);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  const Shape kept = KeptShape(x.shape(), dims);
  const int64_t count = std::max<int64_t>(1, x.numel() / std::max<int64_t>(1, y.numel()));
  const char* name = dims.empty() ? "MeanBackward0" : "MeanBackward1";
  return Record(y, name, {&x}, [kept, count, x_shape = x.shape()](const Tensor& g, const Node&) {
    return GradList{SpreadBack(tg::BinaryScalar(BinaryOp::kDiv, g, static_cast<float>(count), false), kept, x_shape)};
  });
}

Tensor Cumsum(const Tensor& x, int64_t dim) {
  Tensor y = tg::Cumsum(x, dim, /*reverse=*/false);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  // Element k feeds every output from k on: its gradient is the sum of g from k to the end.
  return Record(y, "CumsumBackward0", {&x}, [dim](const Tensor& g, const Node&) { return GradList{tg::Cumsum(g, dim, /*reverse=*/true)}; });
}

}  // namespace tg::autograd
