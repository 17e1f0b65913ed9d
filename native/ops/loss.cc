// Losses: cross-entropy over the fused softmax kernels (kernels/cross_entropy.h), nll, and
// the pointwise losses (mse, l1, bce, bce-with-logits). Formulas follow torch, including its
// clamp of log at -100 in bce and its 'mean' over summed class weights.
#include <algorithm>
#include <cmath>

#include "kernels/cross_entropy.h"
#include "ops/launch.h"
#include "ops/map.h"
#include "ops/nn.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kRowGrain = 1 << 13;  // elements per task

const char* PointwiseLossName(PointwiseLossKind kind) {
  static const char* names[] = {"mseLoss", "l1Loss", "binaryCrossEntropy", "binaryCrossEntropyWithLogits"};
  return names[static_cast<int>(kind)];
}

void CheckTargetDType(const Tensor& target, const char* op) {
  if (target.dtype() != DType::kInt32) Fail(StatusCode::kDType, op, ": class-index target must be int32, got ", DTypeName(target.dtype()));
}

// Checks class-index targets (n of them) against the class count; ignore_index may lie outside.
// They are data, so this runs in the kernel (a failure surfaces at the next wait when deferred).
void CheckTargetValues(const int32_t* t, int64_t n, int64_t classes, int64_t ignore_index, const char* op) {
  for (int64_t i = 0; i < n; ++i) {
    if (t[i] != ignore_index && (t[i] < 0 || t[i] >= classes)) {
      Fail(StatusCode::kArgument, op, ": target must hold class indices in [0, ", classes, ") (or ignoreIndex ", ignore_index,
           "), got ", t[i], " at position ", i);
    }
  }
}

const float* WeightData(const Tensor* weight, int64_t classes, const char* op, Tensor* keep) {
  if (weight == nullptr) return nullptr;
  RequireFloat(*weight, op, "weight");
  if (weight->ndim() != 1 || weight->shape()[0] != classes) {
    Fail(StatusCode::kShape, op, ": weight must have one entry per class, shape [", classes, "], got ", ShapeToString(weight->shape()));
  }
  *keep = Contiguous(*weight);
  return keep->data<float>();
}

int32_t IgnoreIndex(int64_t ignore_index) {
  return static_cast<int32_t>(std::clamp<int64_t>(ignore_index, INT32_MIN, INT32_MAX));
}

// The CrossEntropyArgs for (rows, classes) logits and index or probability targets. The index
// targets' values are checked by the kernel's task (CheckTargetValues), not here.
CrossEntropyArgs ArgsFor(const Tensor& logits, const Tensor& target, const Tensor* weight, int64_t ignore_index,
                         float label_smoothing, Tensor* weight_keep) {
  RequireFloat(logits, "crossEntropy", "input");
  CrossEntropyArgs a{};
  a.logits = logits.data<float>();
  a.rows = logits.shape()[0];
  a.classes = logits.shape()[1];
  if (target.dtype() == DType::kFloat32) {
    a.probs = target.data<float>();
  } else {
    CheckTargetDType(target, "crossEntropy");
    a.target = target.data<int32_t>();
  }
  a.weight = WeightData(weight, a.classes, "crossEntropy", weight_keep);
  a.ignore_index = IgnoreIndex(ignore_index);
  a.label_smoothing = label_smoothing;
  return a;
}

template <class Fn>
void ForRowBlocks(int64_t rows, int64_t classes, Fn fn) {
  ParallelFor(0, rows, std::max<int64_t>(1, kRowGrain / std::max<int64_t>(classes, 1)), fn);
}

double SumInOrder(const float* v, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += v[i];
  return s;
}

double Softplus(double x) { return std::log1p(std::exp(-std::fabs(x))) + std::max(x, 0.0); }  // log(1 + e^x)
double Sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double ClampedLog(double v) { return std::max(std::log(v), -100.0); }

}  // namespace

CrossEntropyForwardResult CrossEntropyRows(const Tensor& logits, const Tensor& target, const Tensor* weight, int64_t ignore_index,
                                           float label_smoothing, bool reference) {
  Tensor weight_keep;
  const CrossEntropyArgs a = ArgsFor(logits, target, weight, ignore_index, label_smoothing, &weight_keep);
  CrossEntropyForwardResult r{Tensor::Empty({a.rows}), Tensor::Empty({a.rows}), Tensor::Empty({})};
  Tensor denom = Tensor::Empty({a.rows});
  const auto forward = reference ? CrossEntropyForwardReference : CrossEntropyForward;
  const int64_t targets = target.numel();
  float* loss = r.loss.data<float>();
  float* lse = r.lse.data<float>();
  float* rows_denom = denom.data<float>();
  float* total = r.denom.data<float>();
  Launch([=] {
    if (a.target != nullptr) CheckTargetValues(a.target, targets, a.classes, ignore_index, "crossEntropy");
    ForRowBlocks(a.rows, a.classes, [&](int64_t b, int64_t e) { forward(a, b, e, loss, lse, rows_denom); });
    *total = static_cast<float>(SumInOrder(rows_denom, a.rows));
  }, logits, target, weight_keep, r.loss, r.lse, r.denom, denom);
  return r;
}

Tensor CrossEntropyRowsBackward(const Tensor& logits, const Tensor& target, const Tensor* weight, int64_t ignore_index,
                                float label_smoothing, const Tensor& lse, const Tensor& dloss, bool reference) {
  Tensor weight_keep;
  const CrossEntropyArgs a = ArgsFor(logits, target, weight, ignore_index, label_smoothing, &weight_keep);
  Tensor out = Tensor::Empty(logits.shape());
  const auto backward = reference ? CrossEntropyBackwardReference : CrossEntropyBackward;
  const int64_t targets = target.numel();
  const float* plse = lse.data<float>();
  const float* pdloss = dloss.data<float>();
  float* pout = out.data<float>();
  Launch([=] {
    if (a.target != nullptr) CheckTargetValues(a.target, targets, a.classes, ignore_index, "crossEntropy");
    ForRowBlocks(a.rows, a.classes, [&](int64_t b, int64_t e) { backward(a, b, e, plse, pdloss, pout); });
  }, logits, target, weight_keep, lse, dloss, out);
  return out;
}

CrossEntropyForwardResult NllRows(const Tensor& input, const Tensor& target, const Tensor* weight, int64_t ignore_index) {
  const int64_t rows = input.shape()[0], classes = input.shape()[1];
  CheckTargetDType(target, "nllLoss");
  Tensor weight_keep;
  const float* w = WeightData(weight, classes, "nllLoss", &weight_keep);
  CrossEntropyForwardResult r{Tensor::Empty({rows}), Tensor(), Tensor::Empty({})};
  const float* x = input.data<float>();
  const int32_t* t = target.data<int32_t>();
  float* loss = r.loss.data<float>();
  float* total = r.denom.data<float>();
  const int64_t targets = target.numel();
  Launch([=] {
    CheckTargetValues(t, targets, classes, ignore_index, "nllLoss");
    double denom = 0.0;
    for (int64_t i = 0; i < rows; ++i) {
      if (t[i] == ignore_index) {
        loss[i] = 0.0f;
        continue;
      }
      const float wi = w != nullptr ? w[t[i]] : 1.0f;
      loss[i] = -wi * x[i * classes + t[i]];
      denom += wi;
    }
    *total = static_cast<float>(denom);
  }, input, target, weight_keep, r.loss, r.denom);
  return r;
}

Tensor NllRowsBackward(const Shape& input_shape, const Tensor& target, const Tensor* weight, int64_t ignore_index, const Tensor& dloss) {
  const int64_t rows = input_shape[0], classes = input_shape[1];
  Tensor weight_keep;
  const float* w = WeightData(weight, classes, "nllLoss", &weight_keep);
  Tensor out = Full(input_shape, 0.0, DType::kFloat32);
  const int32_t* t = target.data<int32_t>();
  const float* dl = dloss.data<float>();
  float* d = out.data<float>();
  Launch([=] {
    // The forward pass checked these, but deferred, its failure may not have stopped this.
    CheckTargetValues(t, rows, classes, ignore_index, "nllLoss");
    for (int64_t i = 0; i < rows; ++i) {
      if (t[i] != ignore_index) d[i * classes + t[i]] = -(w != nullptr ? w[t[i]] : 1.0f) * dl[i];
    }
  }, target, weight_keep, dloss, out);
  return out;
}

Tensor PointwiseLossForward(PointwiseLossKind kind, const Tensor& input, const Tensor& target, const Tensor* weight,
                            const Tensor* pos_weight) {
  const char* op = PointwiseLossName(kind);
  RequireFloat(input, op, "input");
  RequireFloat(target, op, "target");
  if (input.shape() != target.shape()) {
    Fail(StatusCode::kShape, op, ": target must have the input's shape ", ShapeToString(input.shape()), ", got ",
         ShapeToString(target.shape()));
  }
  const Tensor one = Full({}, 1.0, DType::kFloat32);
  const Tensor& w = weight != nullptr ? *weight : one;
  const Tensor& pw = pos_weight != nullptr ? *pos_weight : one;
  const Shape& shape = input.shape();
  switch (kind) {
    case PointwiseLossKind::kMse:
      return Map(shape, [](float x, float y) { return (x - y) * (x - y); }, input, target);
    case PointwiseLossKind::kL1:
      return Map(shape, [](float x, float y) { return std::fabs(x - y); }, input, target);
    case PointwiseLossKind::kBce: {
      const Tensor in = Contiguous(input);
      const float* p = in.data<float>();
      const int64_t n = in.numel();
      // The values are checked in a task of their own, ahead of the loss's: a failure there
      // (surfacing at the next wait when deferred) means the loss is never computed.
      Launch([=] {
        for (int64_t i = 0; i < n; ++i) {
          if (!(p[i] >= 0.0f && p[i] <= 1.0f)) {
            Fail(StatusCode::kArgument, op, ": input must hold probabilities in [0, 1], got ", p[i], " at flat index ", i,
                 " (apply sigmoid first, or use binaryCrossEntropyWithLogits on raw scores)");
          }
        }
      }, in);
      return Map(shape, [](float x, float y, float wi) {
        return static_cast<float>(-wi * (y * ClampedLog(x) + (1.0 - y) * ClampedLog(1.0 - x)));
      }, in, target, w);
    }
    case PointwiseLossKind::kBceWithLogits:
      return Map(shape, [](float x, float y, float wi, float pwi) {
        const double log_weight = 1.0 + (pwi - 1.0) * y;
        return static_cast<float>(wi * ((1.0 - y) * x + log_weight * Softplus(-static_cast<double>(x))));
      }, input, target, w, pw);
  }
  return Tensor();
}

PointwiseLossGrads PointwiseLossBackward(PointwiseLossKind kind, const Tensor& input, const Tensor& target, const Tensor* weight,
                                         const Tensor* pos_weight, const Tensor& g, bool need_input, bool need_target) {
  const Tensor one = Full({}, 1.0, DType::kFloat32);
  const Tensor& w = weight != nullptr ? *weight : one;
  const Tensor& pw = pos_weight != nullptr ? *pos_weight : one;
  const Shape& shape = input.shape();
  PointwiseLossGrads d;
  switch (kind) {
    case PointwiseLossKind::kMse:
      if (need_input) d.input = Map(shape, [](float x, float y, float gi) { return 2.0f * (x - y) * gi; }, input, target, g);
      if (need_target) d.target = Map(shape, [](float x, float y, float gi) { return -2.0f * (x - y) * gi; }, input, target, g);
      break;
    case PointwiseLossKind::kL1: {
      auto sign = [](float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); };
      if (need_input) d.input = Map(shape, [sign](float x, float y, float gi) { return sign(x - y) * gi; }, input, target, g);
      if (need_target) d.target = Map(shape, [sign](float x, float y, float gi) { return -sign(x - y) * gi; }, input, target, g);
      break;
    }
    case PointwiseLossKind::kBce:
      if (need_input) {
        d.input = Map(shape, [](float x, float y, float wi, float gi) {
          return static_cast<float>(wi * gi * (x - y) / std::max((1.0 - x) * x, 1e-12));
        }, input, target, w, g);
      }
      if (need_target) {
        d.target = Map(shape, [](float x, float, float wi, float gi) {
          return static_cast<float>(wi * gi * (ClampedLog(1.0 - x) - ClampedLog(x)));
        }, input, target, w, g);
      }
      break;
    case PointwiseLossKind::kBceWithLogits:
      if (need_input) {
        d.input = Map(shape, [](float x, float y, float wi, float pwi, float gi) {
          const double log_weight = 1.0 + (pwi - 1.0) * y;
          return static_cast<float>(wi * gi * ((1.0 - y) + log_weight * (Sigmoid(x) - 1.0)));
        }, input, target, w, pw, g);
      }
      if (need_target) {
        d.target = Map(shape, [](float x, float, float wi, float pwi, float gi) {
          return static_cast<float>(wi * gi * (-x + (pwi - 1.0) * Softplus(-static_cast<double>(x))));
        }, input, target, w, pw, g);
      }
      break;
  }
  return d;
}

}  // namespace tg
