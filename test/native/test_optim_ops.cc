// The fused optimizer step and gradient clipping of ops/optim.h and autograd/optim.h: every
// kind over several params of different sizes and options in one call (against the kernels
// called directly, and the row layout lib/native.ts writes), version bumps, the errors bad
// arguments raise (naming the index, before anything is written), clip_grad_norm_ for norms
// 2, 1, 3 and inf with and without clipping and with non-finite gradients, clip_grad_value_,
// and results independent of the thread count. The kernels themselves: test_optim.cc.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/optim.h"
#include "kernels/kernel_table.h"
#include "ops/ops.h"
#include "ops/optim.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

namespace {

Tensor RandomTensor(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return Randn(shape, gen);
}
// Non-negative, as a sum or a squared average.
Tensor RandomState(const Shape& shape, uint64_t seed) { return Unary(UnaryOp::kAbs, RandomTensor(shape, seed)); }

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data<float>(), b.data<float>(), a.numel() * sizeof(float)) == 0;
}
uint32_t Version(const Tensor& t) { return t.storage()->version(); }

#define EXPECT_ERROR(stmt, status, text)                                                               \
  do {                                                                                                 \
    bool tg_threw = false;                                                                             \
    try {                                                                                              \
      stmt;                                                                                            \
    } catch (const Error& e) {                                                                         \
      tg_threw = true;                                                                                 \
      if (e.code() != (status) || std::string(e.what()).find(text) == std::string::npos) {             \
        tg_testing::Report(__FILE__, __LINE__, std::string("unexpected error: ") + e.what());          \
      }                                                                                                \
    }                                                                                                  \
    if (!tg_threw) tg_testing::Report(__FILE__, __LINE__, "expected an error containing: " text);      \
  } while (0)

// The slots each kind uses for a row: lib/native.ts's layout, written out again.
bool Used(OptimizerKind kind, int slot, const std::vector<double>& r) {
  switch (kind) {
    case OptimizerKind::kSgd: return slot == 0 && r[1] != 0;
    case OptimizerKind::kAdagrad: return slot == 0;
    case OptimizerKind::kRmsprop: return slot == 0 || (slot == 1 && r[4] > 0) || (slot == 2 && r[5] != 0);
    default: return slot < 2 || r[5] != 0;
  }
}

// One param's update through the kernel table directly.
void DirectStep(OptimizerKind kind, const std::vector<double>& r, float* p, const float* g, float* const* s, int64_t n) {
  const OptimKernels& k = *Kernels().optim;
  switch (kind) {
    case OptimizerKind::kSgd:
      return k.sgd(SgdCoefficientsFor({r[0], r[1], r[2], r[3], r[4] != 0, r[5] != 0, r[6]}), p, g, s[0], n);
    case OptimizerKind::kAdagrad:
      return k.adagrad(AdagradCoefficientsFor({r[0], r[1], r[2], r[3], r[4] != 0, r[5]}), p, g, s[0], n);
    case OptimizerKind::kRmsprop:
      return k.rmsprop(RmspropCoefficientsFor({r[0], r[1], r[2], r[3], r[4], r[5] != 0, r[6] != 0}), p, g, s[0], s[1],
                       s[2], n);
    default: {
      const AdamOptions o{r[0], r[1], r[2], r[3], r[4], r[5] != 0, r[6] != 0, kind == OptimizerKind::kAdamW, r[7]};
      return k.adam(AdamCoefficientsFor(o), p, g, s[0], s[1], s[2], n);
    }
  }
}

// Per kind, one hyperparameter row per param: the options differ between params.
std::vector<std::vector<double>> Rows(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd:
      return {{0.1, 0.9, 0.1, 0.01, 0, 1, 2, 0}, {0.05, 0, 0, 0, 0, 0, 1, 0},
              {0.1, 0.9, 0, 0, 1, 0, 1, 0}, {0.2, 0.5, 0, 0.1, 0, 0, 5, 0}};
    case OptimizerKind::kAdagrad:
      return {{0.05, 0.01, 0.01, 1e-10, 0, 3, 0, 0}, {0.1, 0, 0, 1e-8, 1, 1, 0, 0},
              {0.01, 0, 0.1, 1e-10, 0, 7, 0, 0}, {0.5, 0.1, 0, 1e-6, 1, 2, 0, 0}};
    case OptimizerKind::kRmsprop:
      return {{0.01, 0.99, 1e-8, 0.01, 0.9, 1, 0, 0}, {0.01, 0.9, 1e-8, 0, 0, 0, 1, 0},
              {0.02, 0.95, 1e-6, 0, 0.5, 0, 0, 0}, {0.001, 0.99, 1e-8, 0.1, 0, 1, 1, 0}};
    default:
      return {{1e-3, 0.9, 0.999, 1e-8, 0.01, 1, 0, 4}, {2e-3, 0.8, 0.99, 1e-6, 0, 0, 1, 1},
              {1e-2, 0.9, 0.999, 1e-8, 0.1, 0, 0, 10}, {1e-3, 0.5, 0.9, 1e-8, 0, 1, 1, 2}};
  }
}

const OptimizerKind kKinds[] = {OptimizerKind::kSgd, OptimizerKind::kAdagrad, OptimizerKind::kRmsprop, OptimizerKind::kAdam,
                                OptimizerKind::kAdamW};
// Straddling the step grain (1 << 15) and a zero-size param; the total spans several threads.
const Shape kShapes[] = {{5}, {0}, {200, 200}, {70001}};

}  // namespace

TG_TEST(step_updates_every_param_as_its_kernel_does) {
  for (OptimizerKind kind : kKinds) {
    const std::vector<std::vector<double>> rows = Rows(kind);
    std::vector<Tensor> params, grads, states, want_params, want_states;
    std::vector<double> hyper;
    for (size_t i = 0; i < 4; ++i) {
      params.push_back(RandomTensor(kShapes[i], 10 * i + 1));
      grads.push_back(RandomTensor(kShapes[i], 10 * i + 2));
      hyper.insert(hyper.end(), rows[i].begin(), rows[i].end());
      for (int s = 0; s < 3; ++s) {
        // An unused slot gets a tensor anyway for param 1: it must be ignored.
        const bool give = Used(kind, s, rows[i]) || (i == 1 && s == 0);
        states.push_back(give ? RandomState(kShapes[i], 10 * i + 3 + s) : Tensor());
      }
    }
    for (const Tensor& p : params) want_params.push_back(Clone(p));
    for (const Tensor& s : states) want_states.push_back(s.defined() ? Clone(s) : Tensor());
    for (size_t i = 0; i < 4; ++i) {
      float* s[3];
      for (int k = 0; k < 3; ++k) s[k] = Used(kind, k, rows[i]) ? want_states[3 * i + k].data<float>() : nullptr;
      DirectStep(kind, rows[i], want_params[i].data<float>(), grads[i].data<float>(), s, params[i].numel());
    }
    std::vector<uint32_t> before;
    for (const Tensor& t : params) before.push_back(Version(t));
    for (const Tensor& t : grads) before.push_back(Version(t));
    for (const Tensor& t : states) before.push_back(t.defined() ? Version(t) : 0);
    OptimizerStep(kind, params, grads, states, hyper);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(SameBits(params[i], want_params[i]));
      EXPECT_EQ(Version(params[i]), before[i] + 1);
      EXPECT_EQ(Version(grads[i]), before[4 + i]);
      for (int k = 0; k < 3; ++k) {
        const size_t j = 3 * i + k;
        if (!states[j].defined()) continue;
        EXPECT_TRUE(SameBits(states[j], want_states[j]));  // unused ones untouched
        EXPECT_EQ(Version(states[j]), before[8 + j] + (Used(kind, k, rows[i]) ? 1 : 0));
      }
    }
  }
}

TG_TEST(autograd_step_reads_the_leaves_gradients) {
  Tensor p = RandomTensor({3, 4}, 1);
  SetRequiresGrad(p, true);
  const Tensor g = RandomTensor({3, 4}, 2);
  SetGrad(p, g);
  Tensor want = Clone(p);
  float* none[3] = {nullptr, nullptr, nullptr};
  const std::vector<double> row = {0.1, 0, 0, 0, 0, 0, 1, 0};
  DirectStep(OptimizerKind::kSgd, row, want.data<float>(), g.data<float>(), none, 12);
  autograd::OptimizerStep(OptimizerKind::kSgd, {p}, {Tensor(), Tensor(), Tensor()}, row);
  EXPECT_TRUE(SameBits(p, want));

  Tensor q = RandomTensor({2}, 3);
  SetRequiresGrad(q, true);
  const std::vector<Tensor> no_states(6);
  const std::vector<double> rows = {0.1, 0, 0, 0, 0, 0, 1, 0, 0.1, 0, 0, 0, 0, 0, 1, 0};
  EXPECT_ERROR(autograd::OptimizerStep(OptimizerKind::kSgd, {p, q}, no_states, rows), StatusCode::kArgument,
               "params[1] has no gradient");
  const Tensor made = autograd::Binary(BinaryOp::kMul, q, q);
  EXPECT_ERROR(autograd::OptimizerStep(OptimizerKind::kSgd, {p, made}, no_states, rows), StatusCode::kArgument,
               "params[1] was made by MulBackward0");
}

TG_TEST(step_errors_name_the_index_and_write_nothing) {
  const Tensor p0 = RandomTensor({2, 3}, 1), p1 = RandomTensor({4}, 2);
  const Tensor g0 = RandomTensor({2, 3}, 3), g1 = RandomTensor({4}, 4);
  const Tensor p0_before = Clone(p0);
  const uint32_t version = Version(p0);
  auto st = [](const Shape& s) { return Full(s, 0.0, DType::kFloat32); };
  const std::vector<Tensor> ps = {p0, p1}, gs = {g0, g1};
  const std::vector<Tensor> adam = {st({2, 3}), st({2, 3}), Tensor(), st({4}), st({4}), Tensor()};
  std::vector<double> hyper = {1e-3, 0.9, 0.999, 1e-8, 0, 0, 0, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0, 1};
  const OptimizerKind kAdam = OptimizerKind::kAdam;

  EXPECT_ERROR(OptimizerStep(kAdam, ps, gs, {adam.begin(), adam.end() - 1}, hyper), StatusCode::kArgument,
               "expected 3 states per param (6 for 2 params, null where unused), got 5");
  EXPECT_ERROR(OptimizerStep(kAdam, ps, gs, adam, {hyper.begin(), hyper.end() - 8}), StatusCode::kArgument,
               "expected 8 hyperparameters per param (16 for 2 params), got 8");
  const Tensor ints = Full({4}, 1.0, DType::kInt32);
  EXPECT_ERROR(OptimizerStep(kAdam, {p0, ints}, gs, adam, hyper), StatusCode::kDType,
               "params[1] must be float32, got int32");
  EXPECT_ERROR(OptimizerStep(kAdam, ps, {g0, Tensor()}, adam, hyper), StatusCode::kArgument, "params[1] has no gradient");
  EXPECT_ERROR(OptimizerStep(kAdam, ps, {Transpose(RandomTensor({3, 2}, 5), 0, 1), g1}, adam, hyper), StatusCode::kArgument,
               "params[0].grad must be contiguous");
  EXPECT_ERROR(OptimizerStep(kAdam, ps, {RandomTensor({3, 2}, 5), g1}, adam, hyper), StatusCode::kShape,
               "params[0].grad must have the param's shape [2, 3], got [3, 2]");
  std::vector<Tensor> missing = adam;
  missing[4] = Tensor();
  EXPECT_ERROR(OptimizerStep(kAdam, ps, gs, missing, hyper), StatusCode::kArgument,
               "states[4] (exp_avg_sq of params[1]) is missing: Adam with these options needs it");
  std::vector<double> amsgrad = hyper;
  amsgrad[5] = 1;
  EXPECT_ERROR(OptimizerStep(kAdam, ps, gs, adam, amsgrad), StatusCode::kArgument,
               "states[2] (max_exp_avg_sq of params[0]) is missing");
  std::vector<Tensor> shaped = adam;
  shaped[0] = st({6});
  EXPECT_ERROR(OptimizerStep(kAdam, ps, gs, shaped, hyper), StatusCode::kShape,
               "states[0] (exp_avg of params[0]) must have the param's shape [2, 3], got [6]");
  shaped[0] = Transpose(st({3, 2}), 0, 1);
  EXPECT_ERROR(OptimizerStep(kAdam, ps, gs, shaped, hyper), StatusCode::kArgument,
               "states[0] (exp_avg of params[0]) must be contiguous");
  std::vector<double> step0 = hyper;
  step0[15] = 0;
  EXPECT_ERROR(OptimizerStep(kAdam, ps, gs, adam, step0), StatusCode::kArgument,
               "the step count of params[1] (hyper[15]) must be an integer >= 1, got 0");
  const std::vector<Tensor> same_shape = {st({2, 3}), st({2, 3}), Tensor(), st({2, 3}), st({2, 3}), Tensor()};
  EXPECT_ERROR(OptimizerStep(kAdam, {p0, p0}, {g0, RandomTensor({2, 3}, 6)}, same_shape, hyper), StatusCode::kArgument,
               "params[1] shares memory with params[0]");
  std::vector<Tensor> aliased = adam;
  aliased[3] = p1;  // the param as its own exp_avg
  EXPECT_ERROR(OptimizerStep(kAdam, ps, gs, aliased, hyper), StatusCode::kArgument,
               "states[3] shares memory with params[1]");
  EXPECT_ERROR(OptimizerStep(kAdam, ps, {g0, View(p1, {4})}, adam, hyper), StatusCode::kArgument,
               "params[1].grad shares memory with params[1]");
  EXPECT_ERROR(OptimizerStep(OptimizerKind::kCount, ps, gs, adam, hyper), StatusCode::kArgument, "unknown optimizer kind");
  EXPECT_TRUE(SameBits(p0, p0_before));
  EXPECT_EQ(Version(p0), version);
  // Nothing to do is no error.
  OptimizerStep(kAdam, {}, {}, {}, {});
}

TG_TEST(clip_grad_norm_matches_the_definition) {
  const Tensor a = RandomTensor({3}, 1), b = RandomTensor({100, 7}, 2), c = RandomTensor({70001}, 3);
  const std::vector<Tensor> originals = {a, Tensor(), b, c};  // the second param has no grad
  for (double p : {2.0, 1.0, 3.0, double(INFINITY)}) {
    double sum = 0, max = 0;
    for (const Tensor& g : originals) {
      for (int64_t i = 0; i < g.numel(); ++i) {
        const double v = std::fabs(double{g.data<float>()[i]});
        sum += std::isinf(p) ? 0 : std::pow(v, p);
        max = std::max(max, v);
      }
    }
    const double norm = std::isinf(p) ? max : std::pow(sum, 1 / p);
    for (double scale : {2.0, 0.5}) {  // no clipping, then clipping
      std::vector<Tensor> grads;
      for (const Tensor& g : originals) grads.push_back(g.defined() ? Clone(g) : Tensor());
      const uint32_t version = Version(grads[2]);
      const Tensor total_norm = ClipGradNorm(grads, scale * norm, p, true);
      EXPECT_TRUE(total_norm.dtype() == DType::kFloat32 && total_norm.ndim() == 0);  // PyTorch's float32 total
      const double total = total_norm.data<float>()[0];
      EXPECT_CLOSE(total, norm, 1e-6, 0);
      const float coef = (1.0f / (static_cast<float>(total) + 1e-6f)) * static_cast<float>(scale * norm);
      for (size_t k = 0; k < grads.size(); ++k) {
        if (!grads[k].defined()) continue;
        for (int64_t i = 0; i < grads[k].numel(); ++i) {
          const float g = originals[k].data<float>()[i];
          EXPECT_EQ(grads[k].data<float>()[i], scale > 1 ? g : g * coef);
        }
      }
      EXPECT_EQ(Version(grads[2]), version + 1);  // bumped scaled or not: PyTorch always multiplies
    }
  }
  EXPECT_EQ(ClipGradNorm({Tensor(), Tensor()}, 1.0, 2.0, true).data<float>()[0], 0.0f);
  EXPECT_ERROR(ClipGradNorm({Clone(a)}, 1.0, 0.0, false), StatusCode::kArgument,
               "normType must be a positive number or Infinity");
  EXPECT_ERROR(ClipGradNorm({Clone(a)}, NAN, 2.0, false), StatusCode::kArgument, "maxNorm must be a number");
  const Tensor shared = Clone(a);
  EXPECT_ERROR(ClipGradNorm({shared, shared}, 1.0, 2.0, false), StatusCode::kArgument,
               "params[1].grad shares memory with params[0].grad");
}

TG_TEST(clip_grad_norm_with_non_finite_gradients) {
  for (float bad : {NAN, INFINITY}) {
    for (double p : {2.0, double(INFINITY)}) {
      Tensor g = RandomTensor({50}, 4), h = RandomTensor({9}, 5);
      g.data<float>()[17] = bad;
      const Tensor g_before = Clone(g);
      EXPECT_ERROR(ClipGradNorm({g, h}, 1.0, p, true), StatusCode::kArgument, "is non-finite");
      EXPECT_TRUE(SameBits(g, g_before));
      // Without the check, PyTorch's arithmetic: an infinite total scales by 0 (inf * 0 = NaN),
      // a NaN total by NaN.
      const double total = ClipGradNorm({g, h}, 1.0, p, false).data<float>()[0];
      EXPECT_TRUE(std::isnan(bad) ? std::isnan(total) : total == INFINITY);
      EXPECT_TRUE(std::isnan(g.data<float>()[17]));
      EXPECT_TRUE(std::isnan(bad) ? std::isnan(h.data<float>()[3]) : h.data<float>()[3] == 0.0f);
    }
  }
}

TG_TEST(clip_grad_value_clamps_present_gradients) {
  Tensor g = FromCopy(std::vector<float>{-3, -0.5f, 0, 0.25f, 2, NAN}.data(), {6}, DType::kFloat32);
  const uint32_t version = Version(g);
  ClipGradValue({Tensor(), g}, 1.0);
  const float want[] = {-1, -0.5f, 0, 0.25f, 1};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(g.data<float>()[i], want[i]);
  EXPECT_TRUE(std::isnan(g.data<float>()[5]));
  EXPECT_EQ(Version(g), version + 1);
  EXPECT_ERROR(ClipGradValue({g}, NAN), StatusCode::kArgument, "clipValue must be a number");
}

TG_TEST(results_do_not_depend_on_the_thread_count) {
  const int saved = NumThreads();
  const Shape shapes[] = {{100000}, {3}, {150001}};
  const std::vector<double> row = {1e-3, 0.9, 0.999, 1e-8, 0.01, 1, 0, 3};
  std::vector<std::vector<Tensor>> runs;
  std::vector<std::vector<double>> totals;
  for (int threads : {1, 2, 3, 4}) {
    SetNumThreads(threads);
    std::vector<Tensor> params, grads, states;
    std::vector<double> hyper;
    for (size_t i = 0; i < 3; ++i) {
      params.push_back(RandomTensor(shapes[i], i + 1));
      grads.push_back(RandomTensor(shapes[i], i + 11));
      for (int k = 0; k < 3; ++k) states.push_back(RandomState(shapes[i], 3 * i + k + 21));
      hyper.insert(hyper.end(), row.begin(), row.end());
    }
    OptimizerStep(OptimizerKind::kAdamW, params, grads, states, hyper);
    std::vector<double> t;
    for (double p : {2.0, 1.0, 3.0, double(INFINITY)}) t.push_back(ClipGradNorm(grads, 1e9, p, true).data<float>()[0]);
    t.push_back(ClipGradNorm(grads, 1.0, 2.0, true).data<float>()[0]);  // scales
    params.insert(params.end(), states.begin(), states.end());
    params.insert(params.end(), grads.begin(), grads.end());
    runs.push_back(params);
    totals.push_back(t);
  }
  SetNumThreads(saved);
  for (size_t r = 1; r < runs.size(); ++r) {
    for (size_t k = 0; k < runs[0].size(); ++k) EXPECT_TRUE(SameBits(runs[0][k], runs[r][k]));
    for (size_t k = 0; k < totals[0].size(); ++k) EXPECT_EQ(totals[0][k], totals[r][k]);
  }
}

TG_TEST_MAIN()
