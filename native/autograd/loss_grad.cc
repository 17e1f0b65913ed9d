// Losses, each one node with the reduction folded in (as torch: the loss's grad_fn is
// MseLossBackward0, NllLossBackward0, ...). Class-dimension losses take input (C), (N, C) or
// (N, C, d1, ...): the class dimension is moved last so the row kernels see (rows, C).
#include "autograd/functions.h"
#include "autograd/record.h"
#include "runtime/status.h"

namespace tg::autograd {
namespace {

const char* PointwiseLossGradName(PointwiseLossKind kind) {
  static const char* names[] = {"MseLossBackward0", "L1LossBackward0", "BinaryCrossEntropyBackward0",
                                "BinaryCrossEntropyWithLogitsBackward0"};
  return names[static_cast<int>(kind)];
}

// t / denom, for 'mean': a count known when planning, or a () float32 tensor the loss's kernel
// computed from the data (the summed class weights), which is not read on this thread.
Tensor DivideBy(const Tensor& t, double denom) { return tg::BinaryScalar(BinaryOp::kDiv, t, static_cast<float>(denom), false); }
Tensor DivideBy(const Tensor& t, const Tensor& denom) { return tg::Binary(BinaryOp::kDiv, t, denom); }

// Reduces per-element (or per-row) losses: none keeps them, sum adds them, mean divides the
// sum by `denom` (the element count, or the summed class weights).
template <class Denom>
Tensor ReduceLoss(const Tensor& per, Reduction reduction, const Denom& denom) {
  if (reduction == Reduction::kNone) return per;
  Tensor total = tg::Reduce(ReduceOp::kSum, per, {}, false);
  if (reduction == Reduction::kSum) return total;
  return DivideBy(total, denom);
}

// The gradient of each per-element loss, given the reduced loss's gradient g.
template <class Denom>
Tensor SpreadLossGrad(const Tensor& g, Reduction reduction, const Denom& denom, const Shape& per_shape) {
  if (reduction == Reduction::kNone) return g;
  const Tensor scaled = reduction == Reduction::kMean ? DivideBy(g, denom) : g;
  return tg::Expand(scaled, per_shape);
}

// input (C), (N, C) or (N, C, d...) seen as rows (M, C), and back.
struct ClassRows {
  Shape input_shape;
  Shape permuted_shape;  // (N, d..., C) when the class dimension was moved
  bool moved = false;

  explicit ClassRows(const Tensor& input, const char* op) : input_shape(input.shape()) {
    if (input.ndim() == 0) Fail(StatusCode::kShape, op, ": input must have a class dimension, got a 0-D tensor");
    moved = input.ndim() > 2;
    if (moved) {
      permuted_shape = Shape{input_shape[0]};
      for (int d = 2; d < input.ndim(); ++d) permuted_shape.push_back(input_shape[d]);
      permuted_shape.push_back(input_shape[1]);
    }
  }
  int64_t classes() const { return input_shape.size() == 1 ? input_shape[0] : input_shape[1]; }
  // Per-sample shape: () for (C), (N) for (N, C), (N, d...) for (N, C, d...).
  Shape SampleShape() const {
    if (input_shape.size() == 1) return Shape{};
    if (!moved) return Shape{input_shape[0]};
    return Shape(permuted_shape.begin(), permuted_shape.end() - 1);
  }
  Tensor ToRows(const Tensor& t) const {
    const Tensor last = moved ? ClassLast(t) : t;
    return tg::Contiguous(tg::Reshape(last, {-1, classes()}));
  }
  Tensor FromRows(const Tensor& rows) const {
    if (!moved) return tg::Reshape(rows, input_shape);
    Shape back(input_shape.size(), 0);  // (N, d..., C) -> (N, C, d...)
    back[0] = 0;
    back[1] = static_cast<int64_t>(input_shape.size()) - 1;
    for (size_t d = 2; d < input_shape.size(); ++d) back[d] = static_cast<int64_t>(d) - 1;
    return tg::Permute(tg::Reshape(rows, permuted_shape), back);
  }

 private:
  Tensor ClassLast(const Tensor& t) const {
    Shape order{0};
    for (size_t d = 2; d < input_shape.size(); ++d) order.push_back(static_cast<int64_t>(d));
    order.push_back(1);
    return tg::Permute(t, order);
  }
};

// Class-index targets must have the per-sample shape; they are flattened to (M).
Tensor TargetRows(const ClassRows& layout, const Tensor& target, const char* op) {
  const Shape want = layout.SampleShape();
  if (target.shape() != want) {
    Fail(StatusCode::kShape, op, ": target of class indices must have shape ", ShapeToString(want), " for input of shape ",
         ShapeToString(layout.input_shape), ", got ", ShapeToString(target.shape()));
  }
  return tg::Contiguous(tg::Reshape(target, {-1}));
}

}  // namespace

Tensor PointwiseLoss(PointwiseLossKind kind, const Tensor& input, const Tensor& target, const Tensor* weight,
                     const Tensor* pos_weight, Reduction reduction) {
  const Tensor per = PointwiseLossForward(kind, input, target, weight, pos_weight);
  const double count = static_cast<double>(per.numel());
  Tensor y = ReduceLoss(per, reduction, count);
  if (!AnyRequiresGrad({&input, &target})) return Plain(y);
  return Record(y, PointwiseLossGradName(kind), {&input, &target},
                [kind, reduction, count, input = Saved(input), target = Saved(target), weight = weight ? Saved(*weight) : Tensor(),
                 pos_weight = pos_weight ? Saved(*pos_weight) : Tensor()](const Tensor& g, const Node& self) {
                  const Tensor g_per = SpreadLossGrad(g, reduction, count, input.shape());
                  PointwiseLossGrads d =
                      PointwiseLossBackward(kind, input, target, weight.defined() ? &weight : nullptr,
                                            pos_weight.defined() ? &pos_weight : nullptr, g_per, self.NeedsGrad(0), self.NeedsGrad(1));
                  return GradList{std::move(d.input), std::move(d.target)};
                });
}

Tensor CrossEntropy(const Tensor& input, const Tensor& target, const Tensor* weight, int64_t ignore_index, float label_smoothing,
                    Reduction reduction) {
  RequireFloat(input, "crossEntropy", "input");
  const ClassRows layout(input, "crossEntropy");
  const bool probabilities = target.dtype() == DType::kFloat32;
  if (probabilities && target.shape() != input.shape()) {
    Fail(StatusCode::kShape, "crossEntropy: target probabilities must have the input's shape ", ShapeToString(input.shape()),
         ", got ", ShapeToString(target.shape()));
  }
  const Tensor logits = layout.ToRows(input);
  const Tensor rows_target = probabilities ? layout.ToRows(target) : TargetRows(layout, target, "crossEntropy");
  CrossEntropyForwardResult r = CrossEntropyRows(logits, rows_target, weight, ignore_index, label_smoothing);
  // Probability targets: 'mean' divides by the row count (as torch), not by the kernel's Σ.
  const Tensor denom = probabilities ? tg::Full({}, static_cast<double>(logits.shape()[0]), DType::kFloat32) : r.denom;
  Tensor y = ReduceLoss(tg::Reshape(r.loss, layout.SampleShape()), reduction, denom);
  if (!AnyRequiresGrad({&input})) return Plain(y);
  return Record(y, "CrossEntropyLossBackward0", {&input, nullptr},
                [layout, logits = Saved(logits), rows_target = Saved(rows_target), weight = weight ? Saved(*weight) : Tensor(),
                 ignore_index, label_smoothing, reduction, denom, lse = r.lse](const Tensor& g, const Node&) {
                  const Tensor dloss = tg::Contiguous(tg::Reshape(SpreadLossGrad(g, reduction, denom, layout.SampleShape()), {-1}));
                  const Tensor d = CrossEntropyRowsBackward(logits, rows_target, weight.defined() ? &weight : nullptr, ignore_index,
                                                            label_smoothing, lse, dloss);
                  return GradList{layout.FromRows(d), Tensor()};
                });
}

Tensor NllLoss(const Tensor& input, const Tensor& target, const Tensor* weight, int64_t ignore_index, Reduction reduction) {
  RequireFloat(input, "nllLoss", "input");
  const ClassRows layout(input, "nllLoss");
  if (target.dtype() != DType::kInt32) {
    Fail(StatusCode::kDType, "nllLoss: target must be int32 class indices, got ", DTypeName(target.dtype()));
  }
  const Tensor rows = layout.ToRows(input);
  const Tensor rows_target = TargetRows(layout, target, "nllLoss");
  CrossEntropyForwardResult r = NllRows(rows, rows_target, weight, ignore_index);
  Tensor y = ReduceLoss(tg::Reshape(r.loss, layout.SampleShape()), reduction, r.denom);
  if (!AnyRequiresGrad({&input})) return Plain(y);
  return Record(y, "NllLossBackward0", {&input, nullptr},
                [layout, rows_shape = rows.shape(), rows_target = Saved(rows_target), weight = weight ? Saved(*weight) : Tensor(),
                 ignore_index, reduction, denom = r.denom](const Tensor& g, const Node&) {
                  const Tensor dloss = tg::Contiguous(tg::Reshape(SpreadLossGrad(g, reduction, denom, layout.SampleShape()), {-1}));
                  const Tensor d = NllRowsBackward(rows_shape, rows_target, weight.defined() ? &weight : nullptr, ignore_index, dloss);
                  return GradList{layout.FromRows(d), Tensor()};
                });
}

}  // namespace tg::autograd
