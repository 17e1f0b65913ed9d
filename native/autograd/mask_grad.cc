// Selections by a mask, and their gradients: the output gradient goes to where each element
// came from (the same mask applied to it), and is summed back over broadcast dimensions.
#include "autograd/functions.h"
#include "autograd/record.h"

namespace tg::autograd {
namespace {

// condition ? g : 0 and condition ? 0 : g, each summed to its operand's shape.
Tensor Chosen(const Tensor& condition, const Tensor& g, const Shape& shape, bool when_true) {
  const Tensor zero = Full({}, 0.0, DType::kFloat32);
  return SumTo(when_true ? tg::Where(condition, g, zero) : tg::Where(condition, zero, g), shape);
}

}  // namespace

Tensor Where(const Tensor& condition, const Tensor& input, const Tensor& other) {
  Tensor y = tg::Where(condition, input, other);
  if (!AnyRequiresGrad({&input, &other})) return Plain(y);
  return Record(y, "WhereBackward0", {nullptr, &input, &other},
                [c = Saved(condition), a_shape = input.shape(), b_shape = other.shape()](const Tensor& g, const Node& self) {
                  GradList grads(3);
                  if (self.NeedsGrad(1)) grads[1] = Chosen(c, g, a_shape, true);
                  if (self.NeedsGrad(2)) grads[2] = Chosen(c, g, b_shape, false);
                  return grads;
                });
}

Tensor MaskedFill(const Tensor& input, const Tensor& mask, const Tensor& value) {
  Tensor y = tg::MaskedFill(input, mask, value);
  if (!AnyRequiresGrad({&input, &value})) return Plain(y);
  // As torch: the input gets g where the mask is 0, a 0-D value the sum of g where it is set.
  return Record(y, "MaskedFillBackward0", {&input, nullptr, &value},
                [m = Saved(mask), shape = input.shape()](const Tensor& g, const Node& self) {
                  GradList grads(3);
                  if (self.NeedsGrad(0)) grads[0] = Chosen(m, g, shape, false);
                  if (self.NeedsGrad(2)) grads[2] = Chosen(m, g, Shape{}, true);
                  return grads;
                });
}

Tensor Triangle(const Tensor& x, int64_t diagonal, bool upper) {
  Tensor y = tg::Triangle(x, diagonal, upper);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  return Record(y, upper ? "TriuBackward0" : "TrilBackward0", {&x},
                [diagonal, upper](const Tensor& g, const Node&) { return GradList{tg::Triangle(g, diagonal, upper)}; });
}

}  // namespace tg::autograd
