// 2-D pooling, forward and backward side by side, one node each as PyTorch 1.13 names them.
// Max pool saves its argmax indices (not the input), so its backward is a scatter; the avg
// pools need only the input's shape.
#include "autograd/functions.h"
#include "autograd/record.h"
#include "ops/pool.h"

namespace tg::autograd {

Tensor MaxPool2d(const Tensor& x, const Pool2dParams& p) {
  MaxPool2dResult r = MaxPool2dForward(x, p);
  if (!AnyRequiresGrad({&x})) return Plain(r.y);
  return Record(r.y, "MaxPool2DWithIndicesBackward0", {&x},
                [shape = x.shape(), indices = r.indices](const Tensor& g, const Node&) {
                  return GradList{MaxPool2dGradient(shape, indices, g)};
                });
}

Tensor AvgPool2d(const Tensor& x, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override) {
  Tensor y = AvgPool2dForward(x, p, count_include_pad, divisor_override);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  return Record(y, "AvgPool2DBackward0", {&x}, [shape = x.shape(), p, count_include_pad, divisor_override](const Tensor& g, const Node&) {
    return GradList{AvgPool2dGradient(shape, p, count_include_pad, divisor_override, g)};
  });
}

Tensor AdaptiveAvgPool2d(const Tensor& x, int64_t output_h, int64_t output_w) {
  Tensor y = AdaptiveAvgPool2dForward(x, output_h, output_w);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  // torch 1.13 computes a 1x1 output as x.mean((-2, -1), keepdim=True), hence its node's name.
  const char* name = output_h == 1 && output_w == 1 ? "MeanBackward1" : "AdaptiveAvgPool2DBackward0";
  return Record(y, name, {&x}, [shape = x.shape()](const Tensor& g, const Node&) {
    return GradList{AdaptiveAvgPool2dGradient(shape, g)};
  });
}

}  // namespace tg::autograd
