// The fused optimizer step and gradient clipping of ops/optim.h as the binding exposes them:
// on parameters, whose gradients are read here from their autograd state.
#pragma once

#include <vector>

#include "ops/optim.h"

namespace tg::autograd {

// ops/optim.h's OptimizerStep with grads[i] = params[i].grad. Throws, naming the index, for a
// param that is not a leaf or has no gradient. A step is never recorded, whatever the grad
// mode (PyTorch's step() runs under no_grad); it bumps the params' versions, so a backward
// through a graph that saved one of them before the step refuses to run.
void OptimizerStep(OptimizerKind kind, const std::vector<Tensor>& params, const std::vector<Tensor>& states,
                   const std::vector<double>& hyper);

// ops/optim.h's clipping on the params' gradients; params without one are skipped.
// ClipGradNorm returns the total norm as a 0-D float32 tensor (without autograd state).
Tensor ClipGradNorm(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite);
void ClipGradValue(const std::vector<Tensor>& params, double clip_value);

}  // namespace tg::autograd
