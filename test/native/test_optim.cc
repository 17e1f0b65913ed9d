// Optimizer kernels (kernels/optim.h) on every ISA the CPU supports. Each configuration of
// each optimizer (momentum, dampening, Nesterov, weight decay, maximize; lr decay; centered;
// AMSGrad; AdamW) runs several consecutive steps over lengths that straddle the vector widths:
//  - every SIMD table gives the reference twin's bits, also for infinities, NaN and signed
//    zeros in the parameters and gradients;
//  - the reference follows a plain double-precision implementation of PyTorch's update to
//    float rounding.
// The norm kernels of gradient clipping are checked the same way. The ops-level step, its
// validation and clipping: test_optim_ops.cc.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/optim.h"
#include "nn_kernel_testing.h"
#include "testing.h"

namespace {

using namespace nn_testing;  // NOLINT: Tables, Inputs, Same

const int64_t kSizes[] = {1, 7, 8, 15, 16, 17, 33, 1000, 100003};
constexpr int kSteps = 3;

const std::vector<float> kSpecials = {0.0f, -0.0f, kInf, -kInf, kNan, 1e30f, -1e30f, 1e-30f, 3.4e38f, 1e-45f};

// One optimizer configuration: a step on a table's kernels, and the same step on one element
// in double. States start at state_init (NaN for a buffer the first step must overwrite).
struct Config {
  std::string name;
  bool uses[3];
  float state_init[3];
  std::function<void(const tg::OptimKernels&, double step, float* p, const float* g, float* const* s, int64_t n)> run;
  std::function<void(double step, double& p, double g, double* s)> naive;
};

std::string Flag(const char* name, bool on) { return on ? std::string(" ") + name : std::string(); }

std::vector<Config> SgdConfigs() {
  std::vector<Config> out;
  for (double momentum : {0.0, 0.9})
    for (double dampening : {0.0, 0.1})
      for (bool nesterov : {false, true})
        for (double wd : {0.0, 0.01})
          for (bool maximize : {false, true}) {
            tg::SgdOptions o;
            o.lr = 0.1, o.momentum = momentum, o.dampening = dampening, o.weight_decay = wd;
            o.nesterov = nesterov, o.maximize = maximize;
            Config c{"sgd m=" + std::to_string(momentum) + " d=" + std::to_string(dampening) + Flag("nesterov", nesterov) +
                         Flag("wd", wd != 0) + Flag("maximize", maximize),
                     {momentum != 0, false, false}, {kNan, 0, 0}, nullptr, nullptr};
            c.run = [o](const tg::OptimKernels& k, double step, float* p, const float* g, float* const* s, int64_t n) {
              tg::SgdOptions x = o;
              x.step = step;
              k.sgd(tg::SgdCoefficientsFor(x), p, g, s[0], n);
            };
            c.naive = [o](double step, double& p, double g, double* s) {
              double d = o.maximize ? -g : g;
              if (o.weight_decay != 0) d += o.weight_decay * p;
              if (o.momentum != 0) {
                s[0] = step == 1 ? d : o.momentum * s[0] + (1 - o.dampening) * d;
                d = o.nesterov ? d + o.momentum * s[0] : s[0];
              }
              p -= o.lr * d;
            };
            out.push_back(c);
          }
  return out;
}

std::vector<Config> AdagradConfigs() {
  std::vector<Config> out;
  for (double lr_decay : {0.0, 0.05})
    for (double wd : {0.0, 0.01})
      for (bool maximize : {false, true}) {
        tg::AdagradOptions o;
        o.lr = 0.05, o.lr_decay = lr_decay, o.weight_decay = wd, o.eps = 1e-10, o.maximize = maximize;
        Config c{"adagrad" + Flag("lr_decay", lr_decay != 0) + Flag("wd", wd != 0) + Flag("maximize", maximize),
                 {true, false, false}, {0.1f, 0, 0}, nullptr, nullptr};
        c.run = [o](const tg::OptimKernels& k, double step, float* p, const float* g, float* const* s, int64_t n) {
          tg::AdagradOptions x = o;
          x.step = step;
          k.adagrad(tg::AdagradCoefficientsFor(x), p, g, s[0], n);
        };
        c.naive = [o](double step, double& p, double g, double* s) {
          if (o.maximize) g = -g;
          if (o.weight_decay != 0) g += o.weight_decay * p;
          const double clr = o.lr / (1 + (step - 1) * o.lr_decay);
          s[0] += g * g;
          p -= clr * g / (std::sqrt(s[0]) + o.eps);
        };
        out.push_back(c);
      }
  return out;
}

std::vector<Config> RmspropConfigs() {
  std::vector<Config> out;
  for (bool centered : {false, true})
    for (double momentum : {0.0, 0.9})
      for (double wd : {0.0, 0.01})
        for (bool maximize : {false, true}) {
          tg::RmspropOptions o;
          o.lr = 0.01, o.alpha = 0.9, o.eps = 1e-8, o.weight_decay = wd, o.momentum = momentum;
          o.centered = centered, o.maximize = maximize;
          Config c{"rmsprop" + Flag("centered", centered) + Flag("momentum", momentum != 0) + Flag("wd", wd != 0) +
                       Flag("maximize", maximize),
                   {true, momentum != 0, centered}, {0, 0, 0}, nullptr, nullptr};
          c.run = [o](const tg::OptimKernels& k, double, float* p, const float* g, float* const* s, int64_t n) {
            k.rmsprop(tg::RmspropCoefficientsFor(o), p, g, s[0], s[1], s[2], n);
          };
          c.naive = [o](double, double& p, double g, double* s) {
            if (o.maximize) g = -g;
            if (o.weight_decay != 0) g += o.weight_decay * p;
            s[0] = o.alpha * s[0] + (1 - o.alpha) * g * g;
            double avg;
            if (o.centered) {
              s[2] = o.alpha * s[2] + (1 - o.alpha) * g;
              avg = std::sqrt(s[0] - s[2] * s[2]) + o.eps;
            } else {
              avg = std::sqrt(s[0]) + o.eps;
            }
            if (o.momentum > 0) {
              s[1] = o.momentum * s[1] + g / avg;
              p -= o.lr * s[1];
            } else {
              p -= o.lr * g / avg;
            }
          };
          out.push_back(c);
        }
  return out;
}

std::vector<Config> AdamConfigs() {
  std::vector<Config> out;
  for (bool decoupled : {false, true})
    for (bool amsgrad : {false, true})
      for (double wd : {0.0, 0.05})
        for (bool maximize : {false, true}) {
          tg::AdamOptions o;
          o.lr = 0.01, o.beta1 = 0.9, o.beta2 = 0.999, o.eps = 1e-8, o.weight_decay = wd;
          o.amsgrad = amsgrad, o.maximize = maximize, o.decoupled = decoupled;
          Config c{std::string(decoupled ? "adamw" : "adam") + Flag("amsgrad", amsgrad) + Flag("wd", wd != 0) +
                       Flag("maximize", maximize),
                   {true, true, amsgrad}, {0, 0, 0}, nullptr, nullptr};
          c.run = [o](const tg::OptimKernels& k, double step, float* p, const float* g, float* const* s, int64_t n) {
            tg::AdamOptions x = o;
            x.step = step;
            k.adam(tg::AdamCoefficientsFor(x), p, g, s[0], s[1], s[2], n);
          };
          c.naive = [o](double step, double& p, double g, double* s) {
            if (o.maximize) g = -g;
            if (o.decoupled) p *= 1 - o.lr * o.weight_decay;
            else if (o.weight_decay != 0) g += o.weight_decay * p;
            s[0] = o.beta1 * s[0] + (1 - o.beta1) * g;
            s[1] = o.beta2 * s[1] + (1 - o.beta2) * g * g;
            double v = s[1];
            if (o.amsgrad) v = s[2] = std::max(s[2], s[1]);
            const double step_size = o.lr / (1 - std::pow(o.beta1, step));
            p -= step_size * s[0] / (std::sqrt(v) / std::sqrt(1 - std::pow(o.beta2, step)) + o.eps);
          };
          out.push_back(c);
        }
  return out;
}

// A parameter and its states, as floats.
struct Run {
  std::vector<float> p, s[3];
  Run(const Config& c, const std::vector<float>& p0) : p(p0) {
    for (int k = 0; k < 3; ++k) s[k].assign(c.uses[k] ? p0.size() : 0, c.state_init[k]);
  }
  void Step(const Config& c, const tg::OptimKernels& kernels, int step, const std::vector<float>& g) {
    float* const states[3] = {s[0].empty() ? nullptr : s[0].data(), s[1].empty() ? nullptr : s[1].data(),
                              s[2].empty() ? nullptr : s[2].data()};
    c.run(kernels, step, p.data(), g.data(), states, static_cast<int64_t>(p.size()));
  }
};

// Bit for bit; reports the first difference only.
void ExpectSameBits(const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (!Same(got[i], want[i])) {
      char buf[120];
      std::snprintf(buf, sizeof buf, " at %zu: got %.9g, reference %.9g", i, double{got[i]}, double{want[i]});
      tg_testing::Report(__FILE__, __LINE__, what + buf);
      return;
    }
  }
}

void ExpectNear(const std::string& what, const std::vector<float>& got, const std::vector<double>& want, double rtol,
                double atol) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (!tg_testing::Close(got[i], want[i], rtol, atol)) {
      char buf[120];
      std::snprintf(buf, sizeof buf, " at %zu: got %.9g, want %.9g", i, double{got[i]}, want[i]);
      tg_testing::Report(__FILE__, __LINE__, what + buf);
      return;
    }
  }
}

// kSteps steps of c from the same start on every table, the reference, and in double.
void CheckConfig(const Config& c, int64_t n, bool specials, uint32_t seed) {
  const std::vector<float> none;
  const std::vector<float> p0 = Inputs(n, -1.0f, 1.0f, specials ? kSpecials : none, seed);
  std::vector<std::vector<float>> grads;
  for (int t = 0; t < kSteps; ++t) {
    grads.push_back(Inputs(n, -1.0f, 1.0f, specials ? kSpecials : none, seed + 101 * (t + 1)));
    // |g| >= 0.1: away from the cancellations (g + weight_decay·p near 0, a momentum buffer
    // summing to near 0) where float and double legitimately part ways.
    if (!specials) {
      for (float& v : grads.back()) v = std::copysign(0.1f + 0.9f * std::fabs(v), v);
    }
  }
  const std::vector<const tg::KernelTable*> tables = Tables();
  Run ref(c, p0);
  std::vector<Run> runs(tables.size(), Run(c, p0));
  std::vector<double> dp(p0.begin(), p0.end());
  std::vector<double> ds(3 * static_cast<size_t>(n));
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    for (int k = 0; k < 3; ++k) ds[3 * i + k] = c.uses[k] ? c.state_init[k] : 0.0;
  }
  for (int t = 1; t <= kSteps; ++t) {
    const std::vector<float>& g = grads[t - 1];
    ref.Step(c, tg::kOptimRef, t, g);
    const std::string at = c.name + " n=" + std::to_string(n) + " step " + std::to_string(t) + (specials ? " specials" : "");
    for (size_t k = 0; k < tables.size(); ++k) {
      runs[k].Step(c, *tables[k]->optim, t, g);
      const std::string where = std::string(tg::IsaName(tables[k]->isa)) + " " + at;
      ExpectSameBits(where + " param", runs[k].p, ref.p);
      for (int s = 0; s < 3; ++s) ExpectSameBits(where + " state " + std::to_string(s), runs[k].s[s], ref.s[s]);
    }
    if (specials) continue;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) c.naive(t, dp[i], g[i], &ds[3 * i]);
    ExpectNear("double " + at + " param", ref.p, dp, 2e-5, 1e-6);
    for (int s = 0; s < 3; ++s) {
      if (!c.uses[s]) continue;
      std::vector<double> want(static_cast<size_t>(n));
      for (size_t i = 0; i < want.size(); ++i) want[i] = ds[3 * i + s];
      // States sum terms of up to about 10 (RMSprop's g / avg) that may cancel: a few float
      // roundings of those.
      ExpectNear("double " + at + " state " + std::to_string(s), ref.s[s], want, 2e-5, 5e-6);
    }
  }
}

void CheckConfigs(const std::vector<Config>& configs) {
  uint32_t seed = 1;
  for (const Config& c : configs) {
    for (int64_t n : kSizes) {
      CheckConfig(c, n, false, ++seed);
      if (n <= 1000) CheckConfig(c, n, true, ++seed);
    }
  }
}

}  // namespace

TG_TEST(sgd_kernels_match_the_reference_and_double) { CheckConfigs(SgdConfigs()); }
TG_TEST(adagrad_kernels_match_the_reference_and_double) { CheckConfigs(AdagradConfigs()); }
TG_TEST(rmsprop_kernels_match_the_reference_and_double) { CheckConfigs(RmspropConfigs()); }
TG_TEST(adam_and_adamw_kernels_match_the_reference_and_double) { CheckConfigs(AdamConfigs()); }

// The coefficients are PyTorch's Python arithmetic rounded to float (spot checks).
TG_TEST(coefficients_round_pythons_doubles) {
  tg::AdamOptions o;
  o.lr = 1e-3, o.beta1 = 0.9, o.beta2 = 0.999, o.eps = 1e-8, o.weight_decay = 0.01, o.decoupled = true, o.step = 3;
  const tg::AdamCoefficients c = tg::AdamCoefficientsFor(o);
  EXPECT_EQ(c.neg_step_size, static_cast<float>(-(1e-3 / (1 - std::pow(0.9, 3.0)))));
  EXPECT_EQ(c.bias_correction2_sqrt, static_cast<float>(std::sqrt(1 - std::pow(0.999, 3.0))));
  EXPECT_EQ(c.one_minus_beta2, static_cast<float>(1 - 0.999));
  EXPECT_EQ(c.param_scale, static_cast<float>(1 - 1e-3 * 0.01));
  EXPECT_TRUE(!c.decay && c.decoupled);
  tg::AdagradOptions a;
  a.lr = 0.1, a.lr_decay = 0.5, a.step = 3;
  EXPECT_EQ(tg::AdagradCoefficientsFor(a).neg_clr, static_cast<float>(-0.05));
  tg::SgdOptions s;
  s.momentum = 0.9, s.step = 2;
  EXPECT_TRUE(tg::SgdCoefficientsFor(s).use_momentum && !tg::SgdCoefficientsFor(s).first_step);
}

TG_TEST(norm_kernels_match_double) {
  for (const tg::KernelTable* t : Tables()) {
    for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 33, 1000, 100003}) {
      const std::vector<float> x = Inputs(n, -3.0f, 3.0f, {}, static_cast<uint32_t>(n + 5));
      double squares = 0, abs_sum = 0, abs_max = 0;
      for (float v : x) {
        squares += double{v} * v;
        abs_sum += std::fabs(double{v});
        abs_max = std::max(abs_max, std::fabs(double{v}));
      }
      EXPECT_CLOSE(t->optim->square_sum(x.data(), n), squares, 1e-11, 0);
      EXPECT_CLOSE(t->optim->abs_sum(x.data(), n), abs_sum, 1e-11, 0);
      EXPECT_EQ(t->optim->abs_max(x.data(), n), static_cast<float>(abs_max));
      if (n == 0) continue;
      std::vector<float> y = x;
      y[n / 2] = -kInf;
      EXPECT_EQ(t->optim->abs_max(y.data(), n), kInf);
      EXPECT_TRUE(std::isinf(t->optim->square_sum(y.data(), n)));
      y[n - 1] = kNan;  // NaN wins over inf, wherever it is
      EXPECT_TRUE(std::isnan(t->optim->abs_max(y.data(), n)));
      EXPECT_TRUE(std::isnan(t->optim->abs_sum(y.data(), n)));
    }
  }
}

TG_TEST_MAIN()
