// Batch norm and dropout. The fused batch-norm kernels against their reference twins over odd
// sizes (N, C and the trailing size S straddling the eight summing lanes), training and eval,
// any split of the channels; the backward against finite differences of a double-precision
// forward; the op's running-statistics update, validation and thread-count independence; the
// autograd node. Dropout: the fraction dropped, the scale, reproducibility from a seed,
// channel-wise masks, the backward, p at 0 and 1, and bad p.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "kernels/norm.h"
#include "ops/norm.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

namespace {

using tg_testing::Contains;
using tg_testing::ErrorOf;
using tg_testing::SameBits;
using tg_testing::ExpectNear;

using tg_testing::Uniform;

Tensor FromVector(const std::vector<float>& v, const Shape& shape) { return FromCopy(v.data(), shape, DType::kFloat32); }

std::vector<float> ToVector(const Tensor& t) {
  const Tensor c = Contiguous(t);
  return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}

// One batch-norm problem on raw buffers: x (N, C, S) away from zero mean, weight, bias, running
// stats, an output gradient.
struct Problem {
  int64_t n, c, s;
  std::vector<float> x, weight, bias, running_mean, running_var, dy;
  Problem(int64_t n_, int64_t c_, int64_t s_, uint32_t seed) : n(n_), c(c_), s(s_) {
    const size_t count = static_cast<size_t>(n * c * s);
    x = Uniform(count, 1.0f, 5.0f, seed);  // mean ~3: the subtraction of the mean matters
    weight = Uniform(static_cast<size_t>(c), 0.5f, 2.0f, seed + 1);
    bias = Uniform(static_cast<size_t>(c), -1.0f, 1.0f, seed + 2);
    running_mean = Uniform(static_cast<size_t>(c), 2.0f, 4.0f, seed + 3);
    running_var = Uniform(static_cast<size_t>(c), 0.5f, 2.0f, seed + 4);
    dy = Uniform(count, -1.0f, 1.0f, seed + 5);
  }
  BatchNormArgs Args(bool affine) const {
    return BatchNormArgs{x.data(), n, c, s, affine ? weight.data() : nullptr, affine ? bias.data() : nullptr, 1e-5};
  }
  size_t count() const { return x.size(); }
};

struct Outputs {
  std::vector<float> y, mean, var, invstd, dx, dweight, dbias;
};

// The forward (training or eval) and the backward of one kernel family over channel chunks of
// `chunk` channels.
Outputs RunKernels(const Problem& p, bool affine, bool training, bool reference, int64_t chunk) {
  Outputs o;
  o.y.assign(p.count(), 0.0f);
  o.mean.assign(static_cast<size_t>(p.c), 0.0f);
  o.var = o.invstd = o.dweight = o.dbias = o.mean;
  o.dx.assign(p.count(), 0.0f);
  const BatchNormArgs a = p.Args(affine);
  for (int64_t cb = 0; cb < p.c; cb += chunk) {
    const int64_t ce = std::min(p.c, cb + chunk);
    if (training) {
      (reference ? BatchNormTrainForwardReference : BatchNormTrainForward)(a, cb, ce, o.y.data(), o.mean.data(), o.var.data(),
                                                                           o.invstd.data());
    } else {
      (reference ? BatchNormEvalForwardReference : BatchNormEvalForward)(a, p.running_mean.data(), p.running_var.data(), cb, ce,
                                                                         o.y.data(), o.invstd.data());
      o.mean = p.running_mean;
    }
  }
  // Both families' backwards read the same mean and invstd (the reference forward's), so a
  // difference there is the backward's own.
  for (int64_t cb = 0; cb < p.c; cb += chunk) {
    const int64_t ce = std::min(p.c, cb + chunk);
    (reference ? BatchNormBackwardReference : BatchNormBackward)(a, p.dy.data(), o.mean.data(), o.invstd.data(), training, cb, ce,
                                                                o.dx.data(), o.dweight.data(), o.dbias.data());
  }
  return o;
}

const int64_t kNs[] = {1, 2, 5, 16};
const int64_t kCs[] = {1, 3, 17};
const int64_t kSs[] = {1, 5, 63};  // 63 = 7x9: more than the eight lanes, with a tail

}  // namespace

// ---- kernels ----------------------------------------------------------------------------------

TG_TEST(fused_kernels_match_their_reference_twins) {
  uint32_t seed = 1;
  for (int64_t n : kNs) {
    for (int64_t c : kCs) {
      for (int64_t s : kSs) {
        for (bool training : {true, false}) {
          for (bool affine : {true, false}) {
            const Problem p(n, c, s, seed++);
            const Outputs ref = RunKernels(p, affine, training, true, c);
            const Outputs fast = RunKernels(p, affine, training, false, c);
            const std::string where = "N=" + std::to_string(n) + " C=" + std::to_string(c) + " S=" + std::to_string(s) +
                                      (training ? " train" : " eval") + (affine ? " affine" : "");
            ExpectNear(where + " y", fast.y, ref.y, 1e-5, 2e-5);
            ExpectNear(where + " mean", fast.mean, ref.mean, 1e-6, 1e-6);
            ExpectNear(where + " invstd", fast.invstd, ref.invstd, 1e-6, 0);
            if (training) ExpectNear(where + " var", fast.var, ref.var, 1e-5, 1e-7);
            // M = 1 in training: var 0, invstd 1/√eps; dx is the difference of near-equal terms.
            const double dx_atol = training && n * s == 1 ? 1e-2 : 2e-5;
            ExpectNear(where + " dx", fast.dx, ref.dx, 1e-4, dx_atol);
            ExpectNear(where + " dweight", fast.dweight, ref.dweight, 1e-5, 1e-5);
            ExpectNear(where + " dbias", fast.dbias, ref.dbias, 1e-6, 1e-6);
          }
        }
      }
    }
  }
}

TG_TEST(fused_kernels_give_the_same_bits_for_any_channel_split) {
  const Problem p(7, 17, 63, 99);
  for (bool training : {true, false}) {
    const Outputs whole = RunKernels(p, true, training, false, 17);
    for (int64_t chunk : {1, 4, 16}) {
      const Outputs split = RunKernels(p, true, training, false, chunk);
      EXPECT_TRUE(SameBits(whole.y, split.y));
      EXPECT_TRUE(SameBits(whole.invstd, split.invstd));
      EXPECT_TRUE(SameBits(whole.dx, split.dx));
      EXPECT_TRUE(SameBits(whole.dweight, split.dweight));
      EXPECT_TRUE(SameBits(whole.dbias, split.dbias));
    }
  }
}

namespace {

// L = Σ r·y of batch norm in double: the finite-difference target.
double LossDouble(const std::vector<double>& x, const std::vector<double>& w, const std::vector<double>& b,
                  const std::vector<double>& r, const Problem& p, bool training, double eps) {
  double loss = 0.0;
  const double count = static_cast<double>(p.n * p.s);
  for (int64_t c = 0; c < p.c; ++c) {
    double mean = p.running_mean[c], var = p.running_var[c];
    if (training) {
      double s1 = 0.0, s2 = 0.0;
      for (int64_t n = 0; n < p.n; ++n)
        for (int64_t s = 0; s < p.s; ++s) s1 += x[(n * p.c + c) * p.s + s];
      mean = s1 / count;
      for (int64_t n = 0; n < p.n; ++n)
        for (int64_t s = 0; s < p.s; ++s) s2 += std::pow(x[(n * p.c + c) * p.s + s] - mean, 2);
      var = s2 / count;
    }
    for (int64_t n = 0; n < p.n; ++n) {
      for (int64_t s = 0; s < p.s; ++s) {
        const int64_t i = (n * p.c + c) * p.s + s;
        loss += r[i] * ((x[i] - mean) / std::sqrt(var + eps) * w[c] + b[c]);
      }
    }
  }
  return loss;
}

}  // namespace

TG_TEST(fused_backward_matches_finite_differences_in_double) {
  for (bool training : {true, false}) {
    for (int64_t s : {1, 5}) {
      Problem p(3, 3, s, 40 + static_cast<uint32_t>(s));
      const Outputs fast = RunKernels(p, true, training, false, p.c);
      std::vector<double> x(p.x.begin(), p.x.end()), w(p.weight.begin(), p.weight.end()), b(p.bias.begin(), p.bias.end()),
          r(p.dy.begin(), p.dy.end());
      const double h = 1e-6;
      auto numeric = [&](std::vector<double>& v, size_t i) {
        const double keep = v[i];
        v[i] = keep + h;
        const double plus = LossDouble(x, w, b, r, p, training, 1e-5);
        v[i] = keep - h;
        const double minus = LossDouble(x, w, b, r, p, training, 1e-5);
        v[i] = keep;
        return (plus - minus) / (2 * h);
      };
      for (size_t i = 0; i < x.size(); ++i) EXPECT_CLOSE(fast.dx[i], numeric(x, i), 1e-4, 1e-5);
      for (size_t c = 0; c < w.size(); ++c) {
        EXPECT_CLOSE(fast.dweight[c], numeric(w, c), 1e-4, 1e-5);
        EXPECT_CLOSE(fast.dbias[c], numeric(b, c), 1e-4, 1e-5);
      }
    }
  }
}

TG_TEST(eval_backward_without_parameter_grads_skips_the_sums) {
  const Problem p(4, 3, 5, 7);
  const BatchNormArgs a = p.Args(true);
  std::vector<float> y(p.count()), invstd(3), dx(p.count()), want(p.count());
  BatchNormEvalForward(a, p.running_mean.data(), p.running_var.data(), 0, 3, y.data(), invstd.data());
  BatchNormBackward(a, p.dy.data(), p.running_mean.data(), invstd.data(), false, 0, 3, dx.data(), nullptr, nullptr);
  BatchNormBackwardReference(a, p.dy.data(), p.running_mean.data(), invstd.data(), false, 0, 3, want.data(), nullptr, nullptr);
  ExpectNear("eval dx", dx, want, 1e-6, 1e-7);
}

// ---- the op -----------------------------------------------------------------------------------

TG_TEST(training_updates_running_stats_with_the_unbiased_variance) {
  const Problem p(6, 3, 5, 11);
  const Tensor x = FromVector(p.x, {6, 3, 5});
  Tensor rm = FromVector(p.running_mean, {3}), rv = FromVector(p.running_var, {3});
  const uint32_t vm = rm.storage()->version(), vv = rv.storage()->version();
  const BatchNormForwardResult r = BatchNormForward(x, nullptr, nullptr, &rm, &rv, true, 0.25, 1e-5);
  EXPECT_EQ(rm.storage()->version(), vm + 1);
  EXPECT_EQ(rv.storage()->version(), vv + 1);
  const Outputs ref = RunKernels(p, false, true, true, 3);
  for (int c = 0; c < 3; ++c) {
    EXPECT_CLOSE(rm.data<float>()[c], 0.75 * p.running_mean[c] + 0.25 * ref.mean[c], 1e-6, 1e-6);
    EXPECT_CLOSE(rv.data<float>()[c], 0.75 * p.running_var[c] + 0.25 * ref.var[c] * 30.0 / 29.0, 1e-5, 1e-6);
    EXPECT_CLOSE(r.mean.data<float>()[c], ref.mean[c], 1e-6, 1e-6);
  }
  ExpectNear("y", ToVector(r.y), ref.y, 1e-5, 2e-5);

  // Eval reads the running statistics and leaves them (and their versions) alone.
  const std::vector<float> rm_now = ToVector(rm);
  const BatchNormForwardResult e = BatchNormForward(x, nullptr, nullptr, &rm, &rv, false, 0.25, 1e-5);
  EXPECT_TRUE(SameBits(ToVector(rm), rm_now));
  EXPECT_EQ(rm.storage()->version(), vm + 1);
  EXPECT_CLOSE(e.y.data<float>()[0], (p.x[0] - rm_now[0]) / std::sqrt(rv.data<float>()[0] + 1e-5), 1e-5, 1e-5);
}

TG_TEST(running_stats_may_be_strided_views) {
  const Problem p(4, 3, 1, 12);
  const Tensor x = FromVector(p.x, {4, 3});
  // Column 0 of a (3, 2) tensor: stride 2.
  Tensor stats = FromVector({0.5f, 9.0f, 1.5f, 9.0f, 2.5f, 9.0f}, {3, 2});
  const Tensor rm = Select(Transpose(stats, 0, 1), 0);
  Tensor rv = Full({3}, 1.0, DType::kFloat32);
  BatchNormForward(x, nullptr, nullptr, &rm, &rv, true, 0.5, 1e-5);
  const Outputs ref = RunKernels(p, false, true, true, 3);
  const float* s = stats.data<float>();
  for (int c = 0; c < 3; ++c) {
    EXPECT_CLOSE(s[2 * c], 0.5 * (0.5 + c) + 0.5 * ref.mean[c], 1e-6, 1e-6);
    EXPECT_EQ(s[2 * c + 1], 9.0f);  // the other column untouched
  }
}

TG_TEST(op_matches_reference_and_ignores_thread_count_and_layout) {
  const Problem p(9, 5, 35, 13);
  const Tensor x = FromVector(p.x, {9, 5, 5, 7}), w = FromVector(p.weight, {5}), b = FromVector(p.bias, {5}),
               g = FromVector(p.dy, {9, 5, 5, 7});
  const int threads = NumThreads();
  SetNumThreads(1);
  const BatchNormForwardResult one = BatchNormForward(x, &w, &b, nullptr, nullptr, true, 0.1, 1e-5);
  const BatchNormGrads d_one = BatchNormGradients(x, &w, one.mean, one.invstd, true, g, true, true, true);
  SetNumThreads(4);
  const BatchNormForwardResult four = BatchNormForward(x, &w, &b, nullptr, nullptr, true, 0.1, 1e-5);
  const BatchNormGrads d_four = BatchNormGradients(x, &w, four.mean, four.invstd, true, g, true, true, true);
  SetNumThreads(threads);
  EXPECT_TRUE(SameBits(ToVector(one.y), ToVector(four.y)));
  EXPECT_TRUE(SameBits(ToVector(d_one.x), ToVector(d_four.x)));
  EXPECT_TRUE(SameBits(ToVector(d_one.weight), ToVector(d_four.weight)));

  const BatchNormForwardResult ref = BatchNormForward(x, &w, &b, nullptr, nullptr, true, 0.1, 1e-5, /*reference=*/true);
  const BatchNormGrads d_ref = BatchNormGradients(x, &w, ref.mean, ref.invstd, true, g, true, true, true, true);
  ExpectNear("op y", ToVector(one.y), ToVector(ref.y), 1e-5, 2e-5);
  ExpectNear("op dx", ToVector(d_one.x), ToVector(d_ref.x), 1e-4, 2e-5);
  ExpectNear("op dbias", ToVector(d_one.bias), ToVector(d_ref.bias), 1e-5, 1e-5);

  // A non-contiguous input: (N, C) as the transpose of a (C, N) tensor.
  const Tensor xt = FromVector(Uniform(12, -1, 1, 3), {3, 4});
  const BatchNormForwardResult strided = BatchNormForward(Transpose(xt, 0, 1), nullptr, nullptr, nullptr, nullptr, true, 0.1, 1e-5);
  const BatchNormForwardResult packed =
      BatchNormForward(Contiguous(Transpose(xt, 0, 1)), nullptr, nullptr, nullptr, nullptr, true, 0.1, 1e-5);
  EXPECT_TRUE(SameBits(ToVector(strided.y), ToVector(packed.y)));
}

TG_TEST(op_rejects_bad_arguments) {
  const Tensor x = FromVector(Uniform(12, -1, 1, 5), {4, 3});
  const Tensor c3 = Full({3}, 1.0, DType::kFloat32), c4 = Full({4}, 1.0, DType::kFloat32);
  auto bn = [&](const Tensor& in, const Tensor* w, const Tensor* rm, const Tensor* rv, bool training, double eps = 1e-5) {
    return ErrorOf([&] { BatchNormForward(in, w, nullptr, rm, rv, training, 0.1, eps); });
  };
  EXPECT_TRUE(Contains(bn(FromVector({1, 2, 3}, {3}), nullptr, nullptr, nullptr, true), "at least 2 dimensions"));
  EXPECT_TRUE(Contains(bn(x, &c4, nullptr, nullptr, true), "weight must have one entry per channel, shape [3], got [4]"));
  EXPECT_TRUE(Contains(bn(x, nullptr, &c4, &c4, false), "runningMean must have one entry per channel"));
  EXPECT_TRUE(Contains(bn(x, nullptr, nullptr, nullptr, false), "required in evaluation mode"));
  EXPECT_TRUE(Contains(bn(x, nullptr, &c3, nullptr, true), "given together"));
  EXPECT_TRUE(Contains(bn(x, nullptr, nullptr, nullptr, true, -1.0), "eps"));
  EXPECT_TRUE(Contains(bn(Full({4, 3}, 1.0, DType::kInt32), nullptr, nullptr, nullptr, true), "float32"));
  const std::string one_value = bn(Full({1, 3}, 1.0, DType::kFloat32), nullptr, nullptr, nullptr, true);
  EXPECT_TRUE(Contains(one_value, "Expected more than 1 value per channel when training, got input size [1, 3]"));
  EXPECT_TRUE(Contains(bn(Full({1, 3, 1}, 1.0, DType::kFloat32), nullptr, nullptr, nullptr, true), "input size [1, 3, 1]"));
  // One value per channel is fine in eval.
  EXPECT_EQ(bn(Full({1, 3}, 1.0, DType::kFloat32), nullptr, &c3, &c3, false), std::string());
}

TG_TEST(an_empty_batch_normalises_nothing_and_keeps_the_running_stats) {
  Tensor rm = Full({3}, 0.5, DType::kFloat32), rv = Full({3}, 2.0, DType::kFloat32);
  const Tensor x = Tensor::Empty({0, 3, 4});
  const BatchNormForwardResult r = BatchNormForward(x, nullptr, nullptr, &rm, &rv, true, 0.1, 1e-5);
  EXPECT_EQ(r.y.numel(), 0);
  EXPECT_EQ(rm.data<float>()[1], 0.5f);
  EXPECT_EQ(rv.data<float>()[1], 2.0f);
  const Tensor w = Full({3}, 1.0, DType::kFloat32);
  const BatchNormGrads d = BatchNormGradients(x, &w, r.mean, r.invstd, true, x, true, true, true);
  EXPECT_EQ(d.x.numel(), 0);
  EXPECT_EQ(d.weight.data<float>()[2], 0.0f);
}

// ---- autograd ----------------------------------------------------------------------------------

TG_TEST(batch_norm_records_one_node_over_input_weight_and_bias) {
  const Problem p(5, 3, 4, 21);
  for (bool training : {true, false}) {
    Tensor x = FromVector(p.x, {5, 3, 4}), w = FromVector(p.weight, {3}), b = FromVector(p.bias, {3});
    Tensor rm = FromVector(p.running_mean, {3}), rv = FromVector(p.running_var, {3});
    SetRequiresGrad(x, true);
    SetRequiresGrad(w, true);
    SetRequiresGrad(b, true);
    const Tensor y = autograd::BatchNorm(x, &w, &b, &rm, &rv, training, 0.1, 1e-5);
    EXPECT_TRUE(GradFn(y) != nullptr && std::string(GradFn(y)->name()) == "NativeBatchNormBackward0");
    EXPECT_EQ(GradFn(y)->edges().size(), size_t{3});
    const Tensor g = FromVector(p.dy, {5, 3, 4});
    Backward(y, &g, false);
    const Outputs ref = RunKernels(p, true, training, true, 3);
    ExpectNear("autograd dx", ToVector(Grad(x)), ref.dx, 1e-4, 2e-5);
    ExpectNear("autograd dweight", ToVector(Grad(w)), ref.dweight, 1e-5, 1e-5);
    ExpectNear("autograd dbias", ToVector(Grad(b)), ref.dbias, 1e-5, 1e-5);
  }
  // Only x requires grad: no weight or bias gradient, and no parameters at all works too.
  Tensor x = FromVector(p.x, {5, 3, 4});
  SetRequiresGrad(x, true);
  const Tensor y = autograd::BatchNorm(x, nullptr, nullptr, nullptr, nullptr, true, 0.1, 1e-5);
  const Tensor g = FromVector(p.dy, {5, 3, 4});
  Backward(y, &g, false);
  ExpectNear("no affine dx", ToVector(Grad(x)), RunKernels(p, false, true, true, 3).dx, 1e-4, 2e-5);
  // No input requires grad: a plain result.
  const Tensor plain = autograd::BatchNorm(FromVector(p.x, {5, 3, 4}), nullptr, nullptr, nullptr, nullptr, true, 0.1, 1e-5);
  EXPECT_TRUE(!RequiresGrad(plain));
}

TG_TEST(batch_norm_rejects_running_stats_that_require_grad) {
  Tensor rm = Full({3}, 0.0, DType::kFloat32), rv = Full({3}, 1.0, DType::kFloat32);
  SetRequiresGrad(rm, true);
  const Tensor x = FromVector(Uniform(12, -1, 1, 6), {4, 3});
  EXPECT_TRUE(Contains(ErrorOf([&] { autograd::BatchNorm(x, nullptr, nullptr, &rm, &rv, true, 0.1, 1e-5); }), "runningMean must not require grad"));
}

// ---- dropout -----------------------------------------------------------------------------------

TG_TEST(dropout_drops_a_fraction_p_and_scales_the_rest) {
  for (double p : {0.1, 0.5, 0.8}) {
    Generator gen(1234);
    const int64_t n = 1 << 20;
    const Tensor x = Full({n}, 1.0, DType::kFloat32);
    const Tensor y = autograd::Dropout(x, p, false, gen);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    int64_t dropped = 0, other = 0;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = y.data<float>()[i];
      dropped += v == 0.0f;
      other += v != 0.0f && v != scale;
      sum += v;
    }
    // 6 standard deviations of the binomial fraction.
    EXPECT_CLOSE(static_cast<double>(dropped) / n, p, 0, 6 * std::sqrt(p * (1 - p) / n));
    EXPECT_EQ(other, 0);
    EXPECT_CLOSE(sum / n, 1.0, 0, 6 * std::sqrt(p / (1 - p) / n));
  }
}

TG_TEST(dropout_is_reproducible_from_a_seed_for_any_thread_count) {
  const Tensor x = FromVector(Uniform(300000, -1, 1, 8), {300, 1000});
  Generator a(77), b(77);
  const int threads = NumThreads();
  SetNumThreads(1);
  const std::vector<float> first = ToVector(autograd::Dropout(x, 0.3, false, a));
  SetNumThreads(3);
  const std::vector<float> again = ToVector(autograd::Dropout(x, 0.3, false, b));
  SetNumThreads(threads);
  EXPECT_TRUE(SameBits(first, again));
  // The next draw from the same generator is a different mask.
  EXPECT_TRUE(!SameBits(first, ToVector(autograd::Dropout(x, 0.3, false, a))));
  a.ManualSeed(77);
  EXPECT_TRUE(SameBits(first, ToVector(autograd::Dropout(x, 0.3, false, a))));
}

TG_TEST(channelwise_dropout_drops_whole_channels) {
  Generator gen(5);
  const int64_t n = 64, c = 64, h = 3, w = 5;
  const Tensor x = Full({n, c, h, w}, 2.0, DType::kFloat32);
  const Tensor y = autograd::Dropout(x, 0.25, true, gen);
  EXPECT_TRUE(y.shape() == x.shape());
  const float* v = y.data<float>();
  int64_t dropped = 0;
  for (int64_t k = 0; k < n * c; ++k) {
    const float first = v[k * h * w];
    EXPECT_TRUE(first == 0.0f || first == 2.0f / 0.75f);
    for (int64_t i = 1; i < h * w; ++i) {
      if (v[k * h * w + i] != first) {
        tg_testing::Report(__FILE__, __LINE__, "a channel is partly dropped");
        return;
      }
    }
    dropped += first == 0.0f;
  }
  EXPECT_CLOSE(static_cast<double>(dropped) / (n * c), 0.25, 0, 6 * std::sqrt(0.25 * 0.75 / (n * c)));
  EXPECT_TRUE(Contains(ErrorOf([&] { autograd::Dropout(Full({5}, 1.0, DType::kFloat32), 0.5, true, gen); }), "at least 2 dimensions"));
}

TG_TEST(dropout_backward_is_the_same_scaled_mask) {
  for (bool channelwise : {false, true}) {
    Generator gen(9);
    Tensor x = FromVector(Uniform(2 * 3 * 10, 0.5f, 1.5f, 10), {2, 3, 10});
    SetRequiresGrad(x, true);
    const Tensor y = autograd::Dropout(x, 0.4, channelwise, gen);
    EXPECT_TRUE(GradFn(y) != nullptr && std::string(GradFn(y)->name()) == "MulBackward0");
    const Tensor g = Full({2, 3, 10}, 1.0, DType::kFloat32);
    Backward(y, &g, false);
    const std::vector<float> gx = ToVector(Grad(x)), yv = ToVector(y), xv = ToVector(x);
    for (size_t i = 0; i < gx.size(); ++i) EXPECT_CLOSE(gx[i], yv[i] / xv[i], 1e-6, 0);  // mask = y / x
  }
}

TG_TEST(dropout_edge_probabilities) {
  Generator gen(3);
  Tensor x = FromVector({1, -2, 3, 4}, {2, 2});
  SetRequiresGrad(x, true);
  // p = 0: the input itself, autograd state included.
  const Tensor same = autograd::Dropout(x, 0.0, false, gen);
  EXPECT_TRUE(same.storage() == x.storage());
  EXPECT_TRUE(same.autograd() == x.autograd());
  // p = 1: zeros, with a zero gradient.
  const Tensor zeros = autograd::Dropout(x, 1.0, false, gen);
  for (float v : ToVector(zeros)) EXPECT_EQ(v, 0.0f);
  const Tensor g = Full({2, 2}, 1.0, DType::kFloat32);
  Backward(zeros, &g, false);
  for (float v : ToVector(Grad(x))) EXPECT_EQ(v, 0.0f);
  for (double bad : {-0.1, 1.5, static_cast<double>(NAN)}) {
    const std::string msg = ErrorOf([&] { autograd::Dropout(x, bad, false, gen); });
    EXPECT_TRUE(Contains(msg, "dropout: p must be a probability in [0, 1]"));
  }
  EXPECT_TRUE(Contains(ErrorOf([&] { autograd::Dropout(Full({2}, 1.0, DType::kInt32), 0.5, false, gen); }), "float32"));
}

TG_TEST_MAIN()
