// conv2d and its gradient: one node over (input, weight, bias), PyTorch's
// "ConvolutionBackward0". The forward runs the fused activation; the backward recovers act'
// from the saved output, as linear does.
#include "autograd/functions.h"
#include "autograd/record.h"
#include "ops/conv.h"

namespace tg::autograd {

Tensor Conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, const Conv2dParams& p) {
  // A negative leaky slope makes act'(z) ambiguous from y (y > 0 for both signs of z): run
  // that case as the plain convolution, then the activation with its own node.
  if (p.act == Activation::kLeakyRelu && p.negative_slope < 0.0f && AnyRequiresGrad({&x, &weight, bias})) {
    Conv2dParams plain = p;
    plain.act = Activation::kIdentity;
    return autograd::Activate(autograd::Conv2d(x, weight, bias, plain), p.act, p.negative_slope);
  }
  Tensor y = tg::Conv2d(x, weight, bias, p);
  if (!AnyRequiresGrad({&x, &weight, bias})) return Plain(y);
  return Record(y, "ConvolutionBackward0", {&x, &weight, bias},
                [x = Saved(x), w = Saved(weight), y = p.act == Activation::kIdentity ? Tensor() : Saved(y), p](
                    const Tensor& g, const Node& self) {
                  Conv2dGrads d = Conv2dBackward(x, w, y, g, p, self.NeedsGrad(0), self.NeedsGrad(1), self.NeedsGrad(2));
                  return GradList{std::move(d.x), std::move(d.weight), std::move(d.bias)};
                });
}

}  // namespace tg::autograd
