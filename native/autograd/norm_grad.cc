// Batch norm and dropout, forward and backward side by side. Batch norm is one node over
// (input, weight, bias), as torch's NativeBatchNormBackward0; the running statistics are
// buffers updated in place, never differentiated. Dropout is x·mask, so its node is torch's
// MulBackward0 with the mask saved.
#include "autograd/functions.h"
#include "autograd/record.h"
#include "ops/norm.h"
#include "runtime/status.h"

namespace tg::autograd {
namespace {

void RejectGradOnBuffer(const Tensor* t, const char* name) {
  if (t != nullptr && RequiresGrad(*t)) {
    Fail(StatusCode::kArgument, "batchNorm: ", name,
         " must not require grad: it is a buffer updated in place, and batch norm has no gradient for it");
  }
}

}  // namespace

Tensor BatchNorm(const Tensor& x, const Tensor* weight, const Tensor* bias, const Tensor* running_mean,
                 const Tensor* running_var, bool training, double momentum, double eps) {
  RejectGradOnBuffer(running_mean, "runningMean");
  RejectGradOnBuffer(running_var, "runningVar");
  BatchNormForwardResult r = BatchNormForward(x, weight, bias, running_mean, running_var, training, momentum, eps);
  if (!AnyRequiresGrad({&x, weight, bias})) return Plain(r.y);
  return Record(r.y, "NativeBatchNormBackward0", {&x, weight, bias},
                [x = Saved(x), weight = weight ? Saved(*weight) : Tensor(), mean = r.mean, invstd = r.invstd, training](
                    const Tensor& g, const Node& self) {
                  BatchNormGrads d = BatchNormGradients(x, weight.defined() ? &weight : nullptr, mean, invstd, training, g,
                                                        self.NeedsGrad(0), self.NeedsGrad(1), self.NeedsGrad(2));
                  return GradList{std::move(d.x), std::move(d.weight), std::move(d.bias)};
                });
}

Tensor Dropout(const Tensor& x, double p, bool channelwise, Generator& gen) {
  RequireFloat(x, channelwise ? "dropout2d" : "dropout", "input");
  CheckDropoutProbability(p, channelwise ? "dropout2d" : "dropout");
  const Shape mask_shape = DropoutMaskShape(x, channelwise);
  if (p == 0.0) return x;  // torch returns the input itself: same data, same autograd state
  const Tensor mask = DropoutMask(mask_shape, p, gen);
  Tensor y = tg::Binary(BinaryOp::kMul, x, mask);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  return Record(y, "MulBackward0", {&x}, [mask](const Tensor& g, const Node&) {
    return GradList{tg::Binary(BinaryOp::kMul, g, mask)};
  });
}

}  // namespace tg::autograd
