// Fused optimizer steps and gradient clipping: one call updates every parameter of an
// optimizer, split across threads over the parameters' elements taken end to end. The
// gradients come in explicitly (autograd/optim.h reads them from the leaves); the kernels and
// the float semantics (PyTorch 1.13's single-tensor updates) are in kernels/optim.h.
#pragma once

#include <vector>

#include "ops/tensor.h"

namespace tg {

// Keep in sync with lib/native.ts OptimizerKind.
enum class OptimizerKind : int { kSgd, kAdagrad, kRmsprop, kAdam, kAdamW, kCount };

// Per parameter: this many state slots, and this many hyperparameters (a row).
constexpr int kOptimizerStateSlots = 3;
constexpr int kOptimizerHyperSlots = 8;

// Updates params[i] in place from grads[i], with its state tensors
// states[3i .. 3i+2] (undefined where unused) and its hyperparameters hyper[8i .. 8i+7]:
//   SGD       states [momentum_buffer (if momentum != 0), -, -]
//             hyper  [lr, momentum, dampening, weightDecay, nesterov, maximize, step, -]
//   Adagrad   states [sum, -, -]
//             hyper  [lr, lrDecay, weightDecay, eps, maximize, step, -, -]
//   RMSprop   states [square_avg, momentum_buffer (if momentum > 0), grad_avg (if centered)]
//             hyper  [lr, alpha, eps, weightDecay, momentum, centered, maximize, -]
//   Adam(W)   states [exp_avg, exp_avg_sq, max_exp_avg_sq (if amsgrad)]
//             hyper  [lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, step]
// Flags are 0 or 1; step counts this step (1 on the first). A state in an unused slot is
// ignored. Every tensor is float32 and contiguous, grads and states have their param's shape,
// and no two of them share memory; a violation throws before anything is written, naming the
// index. Bumps the version of every param and state written.
void OptimizerStep(OptimizerKind kind, const std::vector<Tensor>& params,
                   const std::vector<Tensor>& grads, const std::vector<Tensor>& states,
                   const std::vector<double>& hyper);

// torch.nn.utils.clip_grad_norm_ over the defined gradients (undefined ones are skipped):
// the norm of all their elements together, of order norm_type (a positive number, or
// infinity for max |g|), summed in double over fixed chunks (the same for every thread count)
// and rounded to float, as PyTorch's float32 total. Unless the coefficient
// max_norm / (total + 1e-6) is >= 1, every gradient is scaled by it in place (a NaN total
// scales by NaN, as PyTorch's clamp does). With error_if_nonfinite a NaN or infinite total
// throws instead (from the kernel's task: at the next wait when deferred). Returns the total
// as a 0-D float32 tensor (0 when there is no gradient), written by that task, as PyTorch's
// clip_grad_norm_ returns a tensor. Bumps every gradient's version, scaled or not (PyTorch
// always multiplies).
Tensor ClipGradNorm(const std::vector<Tensor>& grads, double max_norm, double norm_type,
                    bool error_if_nonfinite);

// torch.nn.utils.clip_grad_value_: clamps every defined gradient to [-clip_value, clip_value]
// in place (NaN stays NaN).
void ClipGradValue(const std::vector<Tensor>& grads, double clip_value);

}  // namespace tg
