// Portable scalar optimizer kernels: the reference every SIMD table is tested against, and the
// table used where no SIMD ISA is available (arm64). One element at a time, the float
// operations of optim.h in PyTorch's order: std::fma where PyTorch's kernel fuses (exact on
// every target: libm's fmaf when the CPU lacks the instruction), Rounded() where it rounds a
// product before adding.
#include <cmath>

#include "kernels/nan_extreme.h"
#include "kernels/optim.h"

namespace tg {
namespace {

// x, rounded on its own. PyTorch rounds this product in one op and adds in the next; GCC
// contracts a product and a following add into one FMA by default (also with -std=c++17)
// where the target has the instruction (arm64), which rounds once. An empty asm that takes
// the value in a register hides it from that.
inline float Rounded(float x) {
#if defined(__GNUC__) && defined(__x86_64__)
  __asm__("" : "+x"(x));
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(x));
#else
  volatile float held = x;
  x = held;
#endif
  return x;
}

// param, grad, buf (n)
void Sgd(const SgdCoefficients& c, float* param, const float* grad, float* buf, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float p = param[i];
    float d = c.maximize ? -grad[i] : grad[i];
    if (c.decay) d = std::fma(p, c.weight_decay, d);
    if (c.use_momentum) {
      const float b = c.first_step ? d : std::fma(d, c.one_minus_dampening, buf[i] * c.momentum);
      buf[i] = b;
      d = c.nesterov ? std::fma(b, c.momentum, d) : b;
    }
    param[i] = std::fma(d, c.neg_lr, p);
  }
}

// param, grad, sum (n)
void Adagrad(const AdagradCoefficients& c, float* param, const float* grad, float* sum, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float p = param[i];
    float g = c.maximize ? -grad[i] : grad[i];
    if (c.decay) g = std::fma(p, c.weight_decay, g);
    const float s = std::fma(g, g, sum[i]);
    sum[i] = s;
    const float std_dev = std::sqrt(s) + c.eps;
    param[i] = p + (c.neg_clr * g) / std_dev;
  }
}

// param, grad, square_avg, buf, grad_avg (n)
void Rmsprop(const RmspropCoefficients& c, float* param, const float* grad, float* square_avg,
             float* buf, float* grad_avg, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float p = param[i];
    float g = c.maximize ? -grad[i] : grad[i];
    if (c.decay) g = std::fma(p, c.weight_decay, g);
    const float sa = std::fma(c.one_minus_alpha * g, g, square_avg[i] * c.alpha);
    square_avg[i] = sa;
    float avg;
    if (c.centered) {
      const float ga = std::fma(g, c.one_minus_alpha, grad_avg[i] * c.alpha);
      grad_avg[i] = ga;
      avg = std::sqrt(std::fma(-ga, ga, sa));
    } else {
      avg = std::sqrt(sa);
    }
    avg = avg + c.eps;
    if (c.use_momentum) {
      const float b = Rounded(buf[i] * c.momentum) + g / avg;
      buf[i] = b;
      param[i] = std::fma(b, c.neg_lr, p);
    } else {
      param[i] = p + (c.neg_lr * g) / avg;
    }
  }
}

// param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq (n)
void Adam(const AdamCoefficients& c, float* param, const float* grad, float* exp_avg,
          float* exp_avg_sq, float* max_exp_avg_sq, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float p = param[i];
    float g = c.maximize ? -grad[i] : grad[i];
    if (c.decoupled) p = Rounded(p * c.param_scale);
    if (c.decay) g = std::fma(p, c.weight_decay, g);
    const float m = std::fma(g, c.one_minus_beta1, exp_avg[i] * c.beta1);
    exp_avg[i] = m;
    float v = std::fma(c.one_minus_beta2 * g, g, exp_avg_sq[i] * c.beta2);
    exp_avg_sq[i] = v;
    if (c.amsgrad) {
      v = NanMax(max_exp_avg_sq[i], v);
      max_exp_avg_sq[i] = v;
    }
    const float denom = std::sqrt(v) / c.bias_correction2_sqrt + c.eps;
    param[i] = p + (c.neg_step_size * m) / denom;
  }
}

// x (n) -> Σ x². Four accumulators, combined in a fixed order. x² is exact in double.
double SquareSum(const float* x, int64_t n) {
  double s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) s[k] += double{x[i + k]} * x[i + k];
  }
  for (; i < n; ++i) s[0] += double{x[i]} * x[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

// x (n) -> Σ |x|
double AbsSum(const float* x, int64_t n) {
  double s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) s[k] += std::fabs(double{x[i + k]});
  }
  for (; i < n; ++i) s[0] += std::fabs(double{x[i]});
  return (s[0] + s[1]) + (s[2] + s[3]);
}

// x (n) -> max |x|, NaN if any is NaN
float AbsMax(const float* x, int64_t n) {
  float m = 0.0f;
  for (int64_t i = 0; i < n; ++i) m = NanMax(std::fabs(x[i]), m);
  return m;
}

}  // namespace

const OptimKernels kOptimRef = {&Sgd, &Adagrad, &Rmsprop, &Adam, &SquareSum, &AbsSum, &AbsMax};

}  // namespace tg
