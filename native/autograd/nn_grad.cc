// Activations and softmax, and their gradients (computed from the saved output where the
// derivative allows it, so the input can be freed).
#include "autograd/functions.h"
#include "autograd/record.h"

namespace tg::autograd {
namespace {

const char* ActivationGradName(Activation act) {
  static const char* names[] = {"AliasBackward0", "ReluBackward0", "LeakyReluBackward0", "SigmoidBackward0", "TanhBackward0"};
  return names[static_cast<int>(act)];
}

}  // namespace

Tensor Activate(const Tensor& x, Activation act, float negative_slope) {
  Tensor y = tg::Activate(x, act, negative_slope);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  // Leaky relu's derivative needs the input's sign (a negative slope flips the output's);
  // the others read it off the output.
  const Tensor v = act == Activation::kLeakyRelu ? Saved(x) : Saved(y);
  return Record(y, ActivationGradName(act), {&x}, [v, act, negative_slope](const Tensor& g, const Node&) {
    return GradList{ActivationBackward(v, g, act, negative_slope)};
  });
}

Tensor Step(const Tensor& x) { return Plain(tg::Step(x)); }

Tensor Softmax(const Tensor& x, int64_t dim, bool log) {
  Tensor y = tg::Softmax(x, dim, log);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  return Record(y, log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {&x}, [y = Saved(y), dim, log](const Tensor& g, const Node&) {
    return GradList{SoftmaxBackward(y, g, dim, log)};
  });
}

}  // namespace tg::autograd
