// Batch normalisation: argument checks, the running-statistics update, and the split of the
// channels over threads; the arithmetic is in kernels/norm.h.
#include <algorithm>
#include <cmath>

#include "kernels/norm.h"
#include "ops/launch.h"
#include "ops/norm.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per task

// x (N, C, *) seen as (N, C, S).
struct Layout {
  int64_t n, c, s;
  int64_t PerChannel() const { return n * s; }
};

Layout LayoutOf(const Tensor& x) {
  RequireFloat(x, "batchNorm", "input");
  if (x.ndim() < 2) {
    Fail(StatusCode::kShape, "batchNorm: input must have at least 2 dimensions (N, C, ...), got shape ",
         ShapeToString(x.shape()));
  }
  Layout l{x.shape()[0], x.shape()[1], 1};
  for (int d = 2; d < x.ndim(); ++d) l.s *= x.shape()[d];
  return l;
}

// A per-channel tensor (C) made contiguous, or an undefined tensor for nullptr.
Tensor ChannelParam(const Tensor* t, int64_t channels, const char* name) {
  if (t == nullptr) return Tensor();
  RequireFloat(*t, "batchNorm", name);
  if (t->ndim() != 1 || t->shape()[0] != channels) {
    Fail(StatusCode::kShape, "batchNorm: ", name, " must have one entry per channel, shape [", channels, "], got ",
         ShapeToString(t->shape()));
  }
  return Contiguous(*t);
}

float* DataOrNull(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

template <class Fn>
void ForChannelBlocks(const Layout& l, Fn fn) {
  ParallelFor(0, l.c, std::max<int64_t>(1, kGrain / std::max<int64_t>(l.PerChannel(), 1)), fn);
}

// A running statistic (C), written in place through its stride.
struct RunningStat {
  float* p;
  int64_t stride, count;
};

RunningStat RunningStatOf(const Tensor& stat) { return {stat.data<float>(), stat.strides()[0], stat.numel()}; }

// stat = (1 - momentum)·stat + momentum·value[c]·factor. Runs in the kernel; the caller bumps
// the storage's version when planning.
void UpdateRunning(const RunningStat& stat, const float* value, double factor, double momentum) {
  for (int64_t c = 0; c < stat.count; ++c) {
    stat.p[c * stat.stride] = static_cast<float>((1.0 - momentum) * stat.p[c * stat.stride] + momentum * (value[c] * factor));
  }
}

}  // namespace

BatchNormForwardResult BatchNormForward(const Tensor& x, const Tensor* weight, const Tensor* bias,
                                        const Tensor* running_mean, const Tensor* running_var, bool training,
                                        double momentum, double eps, bool reference) {
  const Layout l = LayoutOf(x);
  const Tensor w = ChannelParam(weight, l.c, "weight"), b = ChannelParam(bias, l.c, "bias");
  const Tensor rm = ChannelParam(running_mean, l.c, "runningMean"), rv = ChannelParam(running_var, l.c, "runningVar");
  if ((running_mean == nullptr) != (running_var == nullptr)) {
    Fail(StatusCode::kArgument, "batchNorm: runningMean and runningVar must be given together, got only ",
         running_mean != nullptr ? "runningMean" : "runningVar");
  }
  if (!training && running_mean == nullptr) {
    Fail(StatusCode::kArgument, "batchNorm: runningMean and runningVar are required in evaluation mode (training false)");
  }
  if (!(eps >= 0.0) || !std::isfinite(eps)) Fail(StatusCode::kArgument, "batchNorm: eps must be a finite number >= 0, got ", eps);
  if (!std::isfinite(momentum)) Fail(StatusCode::kArgument, "batchNorm: momentum must be a finite number, got ", momentum);
  if (training && l.PerChannel() == 1) {
    Fail(StatusCode::kShape, "batchNorm: Expected more than 1 value per channel when training, got input size ",
         ShapeToString(x.shape()));
  }

  const Tensor xc = Contiguous(x);
  const BatchNormArgs a{xc.data<float>(), l.n, l.c, l.s, DataOrNull(w), DataOrNull(b), eps};
  BatchNormForwardResult r{Tensor::Empty(x.shape()), Tensor::Empty({l.c}), Tensor::Empty({l.c})};
  float* y = r.y.data<float>();
  float* mean = r.mean.data<float>();
  float* invstd = r.invstd.data<float>();
  if (!training) {
    CopyInto(rm, r.mean);  // the backward's mean: a copy, as the running mean may change later
    const auto forward = reference ? BatchNormEvalForwardReference : BatchNormEvalForward;
    const float* prv = rv.data<float>();
    Launch([=] { ForChannelBlocks(l, [&](int64_t cb, int64_t ce) { forward(a, mean, prv, cb, ce, y, invstd); }); }, xc, w, b, rv,
           r.y, r.mean, r.invstd);
    return r;
  }
  if (l.PerChannel() == 0) {  // an empty batch: nothing to normalise, running stats unchanged (as torch)
    const int64_t c = l.c;
    Launch([=] {
      std::fill(mean, mean + c, 0.0f);
      std::fill(invstd, invstd + c, 0.0f);
    }, r.mean, r.invstd);
    return r;
  }
  Tensor var = Tensor::Empty({l.c});
  float* pvar = var.data<float>();
  const auto forward = reference ? BatchNormTrainForwardReference : BatchNormTrainForward;
  // The running statistics are updated in the same task, from the batch's mean and var; their
  // versions are bumped now, as the write is part of this op in program order.
  const bool update = running_mean != nullptr;
  const RunningStat run_mean = update ? RunningStatOf(*running_mean) : RunningStat{nullptr, 0, 0};
  const RunningStat run_var = update ? RunningStatOf(*running_var) : RunningStat{nullptr, 0, 0};
  const double m = static_cast<double>(l.PerChannel());
  Launch([=] {
    ForChannelBlocks(l, [&](int64_t cb, int64_t ce) { forward(a, cb, ce, y, mean, pvar, invstd); });
    if (update) {
      UpdateRunning(run_mean, mean, 1.0, momentum);
      UpdateRunning(run_var, pvar, m / (m - 1.0), momentum);
    }
  }, xc, w, b, r.y, r.mean, r.invstd, var, running_mean, running_var);
  if (update) {
    running_mean->storage()->BumpVersion();
    running_var->storage()->BumpVersion();
  }
  return r;
}

BatchNormGrads BatchNormGradients(const Tensor& x, const Tensor* weight, const Tensor& mean, const Tensor& invstd,
                                  bool training, const Tensor& g, bool need_x, bool need_weight, bool need_bias,
                                  bool reference) {
  const Layout l = LayoutOf(x);
  if (g.shape() != x.shape()) {
    Fail(StatusCode::kShape, "batchNorm backward: the output gradient must have the input's shape ", ShapeToString(x.shape()),
         ", got ", ShapeToString(g.shape()));
  }
  const Tensor w = ChannelParam(weight, l.c, "weight");
  const Tensor m = ChannelParam(&mean, l.c, "mean"), is = ChannelParam(&invstd, l.c, "invstd");
  BatchNormGrads d;
  if (need_x) d.x = Tensor::Empty(x.shape());
  if (need_weight) d.weight = Tensor::Empty({l.c});
  if (need_bias) d.bias = Tensor::Empty({l.c});
  if (l.PerChannel() == 0) {  // no values: the parameters' gradients are empty sums
    if (need_weight) d.weight = Full({l.c}, 0.0, DType::kFloat32);
    if (need_bias) d.bias = Full({l.c}, 0.0, DType::kFloat32);
    return d;
  }
  const Tensor xc = Contiguous(x), gc = Contiguous(g);
  const BatchNormArgs a{xc.data<float>(), l.n, l.c, l.s, DataOrNull(w), nullptr, 0.0};
  const auto backward = reference ? BatchNormBackwardReference : BatchNormBackward;
  const float* pg = gc.data<float>();
  const float* pm = m.data<float>();
  const float* pis = is.data<float>();
  float* pdx = DataOrNull(d.x);
  float* pdw = DataOrNull(d.weight);
  float* pdb = DataOrNull(d.bias);
  Launch([=] {
    ForChannelBlocks(l, [&](int64_t cb, int64_t ce) { backward(a, pg, pm, pis, training, cb, ce, pdx, pdw, pdb); });
  }, xc, gc, w, m, is, d.x, d.weight, d.bias);
  return d;
}

}  // namespace tg
