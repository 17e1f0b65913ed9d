// Optimizer updates and gradient-norm reductions on raw float spans. An update sees one
// parameter, or a piece of one, with its gradient and state buffers of the same length; ops/
// splits the parameters of a whole optimizer step across threads and calls these per piece.
//
// Each update is PyTorch 1.13's single-tensor implementation (torch/optim/*.py,
// _single_tensor_*) element by element, with the same float operations in the same order, so
// a training run follows PyTorch's bit for bit where PyTorch runs its AVX2 CPU kernels
// (checked over every option combination and several steps). On those kernels:
//   x.add(y, alpha=a)            fma(y, a, x)          (one rounding)
//   x.addcmul(y, z, value=v)     fma(v·y, z, x)
//   x.addcdiv(y, z, value=v)     x + (v·y) / z         (three roundings)
//   x.mul(s), x / s, x + s, x.sqrt(), torch.maximum    one rounding each (maximum keeps NaN)
// and every Python double it passes to a tensor op is rounded to float first. The
// *Coefficients structs hold those floats and the branches taken; ops/ computes them once per
// parameter and step with *CoefficientsFor (optim.cc), from the options as the user gives them.
//
// Updates are elementwise: any split of a span gives the same bits, and every ISA gives the
// reference's bits (optim_ref.cc is the twin the tests compare the SIMD tables with).
#pragma once

#include <cstdint>

namespace tg {

// ---- SGD -------------------------------------------------------------------------------------

// torch.optim.SGD for one parameter; step counts this step (1 on the first).
struct SgdOptions {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
  double step = 1;
};
struct SgdCoefficients {
  float neg_lr;               // param.add_(d_p, alpha=-lr)
  float weight_decay;         // d_p = d_p.add(param, alpha=weight_decay)    (if decay)
  float momentum;             // buf.mul_(momentum); d_p.add(buf, alpha=momentum)
  float one_minus_dampening;  // buf.add_(d_p, alpha=1 - dampening)
  bool decay;                 // weight_decay != 0
  bool use_momentum;          // momentum != 0
  bool first_step;            // buf = clone(d_p): PyTorch creates the buffer on the first step
  bool nesterov, maximize;
};
SgdCoefficients SgdCoefficientsFor(const SgdOptions& o);
// param, grad, momentum_buffer (n). The buffer is written on the first step and read after;
// it may be null when !use_momentum.
using SgdKernel = void (*)(const SgdCoefficients& c, float* param, const float* grad,
                           float* momentum_buffer, int64_t n);

// ---- Adagrad ---------------------------------------------------------------------------------

struct AdagradOptions {
  double lr = 0, lr_decay = 0, weight_decay = 0, eps = 0;
  bool maximize = false;
  double step = 1;
};
struct AdagradCoefficients {
  float neg_clr;       // param.addcdiv_(grad, std, value=-clr), clr = lr / (1 + (step-1)·lr_decay)
  float weight_decay;  // grad = grad.add(param, alpha=weight_decay)    (if decay)
  float eps;           // std = state_sum.sqrt().add_(eps)
  bool decay, maximize;
};
AdagradCoefficients AdagradCoefficientsFor(const AdagradOptions& o);
// param, grad, sum (n)
using AdagradKernel = void (*)(const AdagradCoefficients& c, float* param, const float* grad,
                               float* sum, int64_t n);

// ---- RMSprop ---------------------------------------------------------------------------------

struct RmspropOptions {
  double lr = 0, alpha = 0, eps = 0, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};
struct RmspropCoefficients {
  float neg_lr;           // param.add_(buf, alpha=-lr) / param.addcdiv_(grad, avg, value=-lr)
  float alpha;            // square_avg.mul_(alpha), grad_avg.mul_(alpha)
  float one_minus_alpha;  // .addcmul_(grad, grad, value=1 - alpha), .add_(grad, alpha=1 - alpha)
  float eps;              // avg.add_(eps)
  float weight_decay;     // (if decay)
  float momentum;         // buf.mul_(momentum).addcdiv_(grad, avg)    (if use_momentum)
  bool decay;             // weight_decay != 0
  bool centered;
  bool use_momentum;      // momentum > 0
  bool maximize;
};
RmspropCoefficients RmspropCoefficientsFor(const RmspropOptions& o);
// param, grad, square_avg, momentum_buffer, grad_avg (n). momentum_buffer may be null when
// !use_momentum, grad_avg when !centered.
using RmspropKernel = void (*)(const RmspropCoefficients& c, float* param, const float* grad,
                               float* square_avg, float* momentum_buffer, float* grad_avg,
                               int64_t n);

// ---- Adam and AdamW --------------------------------------------------------------------------

// decoupled selects AdamW (weight decay applied to the parameter, not added to the gradient).
struct AdamOptions {
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
  bool amsgrad = false, maximize = false, decoupled = false;
  double step = 1;
};
struct AdamCoefficients {
  float neg_step_size;          // param.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1^step))
  float beta1, one_minus_beta1;  // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
  float beta2, one_minus_beta2;  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
  float bias_correction2_sqrt;  // denom = (v.sqrt() / sqrt(1 - beta2^step)).add_(eps)
  float eps;
  float weight_decay;  // Adam: grad = grad.add(param, alpha=weight_decay)    (if decay)
  float param_scale;   // AdamW: param.mul_(1 - lr·weight_decay)    (if decoupled)
  bool decay;          // !decoupled && weight_decay != 0
  bool decoupled, amsgrad, maximize;
};
AdamCoefficients AdamCoefficientsFor(const AdamOptions& o);
// param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq (n); max_exp_avg_sq may be null when
// !amsgrad.
using AdamKernel = void (*)(const AdamCoefficients& c, float* param, const float* grad,
                            float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq, int64_t n);

// ---- gradient norms (clip_grad_norm_) --------------------------------------------------------

// x (n) -> Σ x[i]² or Σ |x[i]|, accumulated in double. The order of the additions depends only
// on n and the ISA, so the same span always gives the same sum (ops/ sums fixed chunks of the
// gradients and adds the chunk sums in order: no dependence on the thread count).
using NormSumKernel = double (*)(const float* x, int64_t n);
// x (n) -> max |x[i]|; 0 for n == 0, NaN when any element is NaN.
using AbsMaxKernel = float (*)(const float* x, int64_t n);

struct OptimKernels {
  SgdKernel sgd;
  AdagradKernel adagrad;
  RmspropKernel rmsprop;
  AdamKernel adam;  // Adam and AdamW
  NormSumKernel square_sum;
  NormSumKernel abs_sum;
  AbsMaxKernel abs_max;
};

extern const OptimKernels kOptimRef;
#if defined(__x86_64__) || defined(_M_X64)
extern const OptimKernels kOptimAvx2;
extern const OptimKernels kOptimAvx512;
#endif

}  // namespace tg
