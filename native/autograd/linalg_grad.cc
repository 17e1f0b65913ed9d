// matmul and linear, and their gradients. Both backward passes hand transposed views to the
// GEMM, which reads them in place: no operand is copied.
#include "autograd/functions.h"
#include "autograd/record.h"

namespace tg::autograd {

Tensor Matmul(const Tensor& a, const Tensor& b) {
  Tensor y = tg::Matmul(a, b);
  if (!AnyRequiresGrad({&a, &b})) return Plain(y);
  return Record(y, "MmBackward0", {&a, &b}, [a = Saved(a), b = Saved(b)](const Tensor& g, const Node& self) {
    // A 1-D operand is a row (left) or a column (right) whose dimension the output dropped:
    // put it back, so the matrix rule applies, and drop it from the gradient after.
    const bool a_vec = a.ndim() == 1, b_vec = b.ndim() == 1;
    const Tensor a2 = a_vec ? tg::Reshape(a, {1, a.shape()[0]}) : a;
    const Tensor b2 = b_vec ? tg::Reshape(b, {b.shape()[0], 1}) : b;
    Shape g_shape = g.shape();
    if (a_vec) g_shape.insert(g_shape.end() - (b_vec ? 0 : 1), 1);
    if (b_vec) g_shape.push_back(1);
    const Tensor g2 = tg::Reshape(g, g_shape);
    GradList grads(2);
    // dA = G·Bᵀ and dB = Aᵀ·G, summed over the batch dimensions the operand was broadcast along.
    if (self.NeedsGrad(0)) grads[0] = tg::Reshape(SumTo(tg::Matmul(g2, tg::Transpose(b2, -1, -2)), a2.shape()), a.shape());
    if (self.NeedsGrad(1)) grads[1] = tg::Reshape(SumTo(tg::Matmul(tg::Transpose(a2, -1, -2), g2), b2.shape()), b.shape());
    return grads;
  });
}

Tensor Linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Activation act, float negative_slope) {
  // The fused backward recovers act'(z) from the output, which a negative slope makes
  // ambiguous (y > 0 for both signs of z): run that case as linear, then the activation.
  if (act == Activation::kLeakyRelu && negative_slope < 0.0f && AnyRequiresGrad({&x, &weight, bias})) {
    return autograd::Activate(autograd::Linear(x, weight, bias, Activation::kIdentity, 0.0f), act, negative_slope);
  }
  Tensor y = tg::Linear(x, weight, bias, act, negative_slope);
  if (!AnyRequiresGrad({&x, &weight, bias})) return Plain(y);
  const char* name = bias != nullptr ? "AddmmBackward0" : "MmBackward0";
  return Record(y, name, {&x, &weight, bias},
                [x = Saved(x), w = Saved(weight), y = act == Activation::kIdentity ? Tensor() : Saved(y), act,
                 negative_slope](const Tensor& g, const Node& self) {
                  LinearGrads d = LinearBackward(x, w, y, g, act, negative_slope, self.NeedsGrad(0), self.NeedsGrad(1), self.NeedsGrad(2));
                  return GradList{std::move(d.x), std::move(d.weight), std::move(d.bias)};
                });
}

}  // namespace tg::autograd
