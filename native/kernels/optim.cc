// The coefficients of one optimizer step: PyTorch's Python-side arithmetic, in double as
// Python computes it, then each value rounded to float as the tensor op that takes it does.
// Kept apart from the kernels so every ISA's table shares it (optim.h says why the floats).
#include <cmath>

#include "kernels/optim.h"

namespace tg {

SgdCoefficients SgdCoefficientsFor(const SgdOptions& o) {
  SgdCoefficients c{};
  c.neg_lr = static_cast<float>(-o.lr);
  c.weight_decay = static_cast<float>(o.weight_decay);
  c.momentum = static_cast<float>(o.momentum);
  c.one_minus_dampening = static_cast<float>(1.0 - o.dampening);
  c.decay = o.weight_decay != 0;
  c.use_momentum = o.momentum != 0;
  c.first_step = o.step <= 1;
  c.nesterov = o.nesterov;
  c.maximize = o.maximize;
  return c;
}

AdagradCoefficients AdagradCoefficientsFor(const AdagradOptions& o) {
  AdagradCoefficients c{};
  const double clr = o.lr / (1 + (o.step - 1) * o.lr_decay);
  c.neg_clr = static_cast<float>(-clr);
  c.weight_decay = static_cast<float>(o.weight_decay);
  c.eps = static_cast<float>(o.eps);
  c.decay = o.weight_decay != 0;
  c.maximize = o.maximize;
  return c;
}

RmspropCoefficients RmspropCoefficientsFor(const RmspropOptions& o) {
  RmspropCoefficients c{};
  c.neg_lr = static_cast<float>(-o.lr);
  c.alpha = static_cast<float>(o.alpha);
  c.one_minus_alpha = static_cast<float>(1.0 - o.alpha);
  c.eps = static_cast<float>(o.eps);
  c.weight_decay = static_cast<float>(o.weight_decay);
  c.momentum = static_cast<float>(o.momentum);
  c.decay = o.weight_decay != 0;
  c.centered = o.centered;
  c.use_momentum = o.momentum > 0;
  c.maximize = o.maximize;
  return c;
}

AdamCoefficients AdamCoefficientsFor(const AdamOptions& o) {
  AdamCoefficients c{};
  // Python: beta ** step (libm pow on doubles), math.sqrt.
  const double bias_correction1 = 1 - std::pow(o.beta1, o.step);
  const double bias_correction2 = 1 - std::pow(o.beta2, o.step);
  const double step_size = o.lr / bias_correction1;
  c.neg_step_size = static_cast<float>(-step_size);
  c.beta1 = static_cast<float>(o.beta1);
  c.one_minus_beta1 = static_cast<float>(1.0 - o.beta1);
  c.beta2 = static_cast<float>(o.beta2);
  c.one_minus_beta2 = static_cast<float>(1.0 - o.beta2);
  c.bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  c.eps = static_cast<float>(o.eps);
  c.weight_decay = static_cast<float>(o.weight_decay);
  c.param_scale = static_cast<float>(1.0 - o.lr * o.weight_decay);
  c.decay = !o.decoupled && o.weight_decay != 0;
  c.decoupled = o.decoupled;
  c.amsgrad = o.amsgrad;
  c.maximize = o.maximize;
  return c;
}

}  // namespace tg
