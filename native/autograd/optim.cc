#include "autograd/optim.h"

#include "autograd/engine.h"
#include "runtime/status.h"

namespace tg::autograd {
namespace {

std::vector<Tensor> GradsOf(const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  grads.reserve(params.size());
  for (const Tensor& p : params) grads.push_back(Grad(p));
  return grads;
}

}  // namespace

void OptimizerStep(OptimizerKind kind, const std::vector<Tensor>& params, const std::vector<Tensor>& states,
                   const std::vector<double>& hyper) {
  for (size_t i = 0; i < params.size(); ++i) {
    if (!IsLeaf(params[i])) {
      Fail(StatusCode::kArgument, "optimizerStep: params[", i, "] was made by ", GradFn(params[i])->name(),
           ", but an optimizer updates leaf tensors (parameters) only");
    }
  }
  // ops/ names a missing gradient by its index.
  tg::OptimizerStep(kind, params, GradsOf(params), states, hyper);
}

Tensor ClipGradNorm(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  return tg::ClipGradNorm(GradsOf(params), max_norm, norm_type, error_if_nonfinite);
}

void ClipGradValue(const std::vector<Tensor>& params, double clip_value) { tg::ClipGradValue(GradsOf(params), clip_value); }

}  // namespace tg::autograd
