#include "ops/optim.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/nan_extreme.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

// Updates read and write about 20 bytes per element: below this many elements a thread is not
// worth waking.
constexpr int64_t kStepGrain = 1 << 15;
// A norm is summed over fixed chunks of this many elements (of all gradients end to end), each
// chunk's sum added to the total in order: the split across threads never changes the result.
constexpr int64_t kNormChunk = 1 << 16;

// The tensors of one call taken end to end: tensor i holds [starts[i], starts[i + 1]).
std::vector<int64_t> Starts(const std::vector<Tensor>& tensors) {
  std::vector<int64_t> starts(tensors.size() + 1, 0);
  for (size_t i = 0; i < tensors.size(); ++i) starts[i + 1] = starts[i] + tensors[i].numel();
  return starts;
}

// piece(i, lo, hi) for the part [lo, hi) of each tensor i that [begin, end) covers, in order.
template <typename Piece>
void ForEachPiece(const std::vector<int64_t>& starts, int64_t begin, int64_t end, Piece&& piece) {
  size_t i = std::upper_bound(starts.begin(), starts.end(), begin) - starts.begin() - 1;
  while (begin < end) {
    const int64_t stop = std::min(end, starts[i + 1]);
    if (stop > begin) piece(i, begin - starts[i], stop - starts[i]);
    begin = std::max(begin, stop);
    ++i;
  }
}

// Elementwise work over every element of the tensors, across threads.
template <typename Piece>
void ParallelPieces(const std::vector<int64_t>& starts, Piece&& piece) {
  ParallelFor(0, starts.back(), kStepGrain, [&](int64_t b, int64_t e) { ForEachPiece(starts, b, e, piece); });
}

// ---- validation ------------------------------------------------------------------------------

// The memory one tensor of a call covers, and how to name it in an error.
struct Extent {
  const char* begin;
  const char* end;
  std::string (*name)(size_t index);
  size_t index;
};

void CheckFloatContiguous(const Tensor& t, const char* op, const std::string& what) {
  if (t.dtype() != DType::kFloat32) Fail(StatusCode::kDType, op, ": ", what, " must be float32, got ", DTypeName(t.dtype()));
  if (!t.is_contiguous()) Fail(StatusCode::kArgument, op, ": ", what, " must be contiguous");
}

void AddExtent(std::vector<Extent>& extents, const Tensor& t, std::string (*name)(size_t), size_t index) {
  if (t.numel() == 0) return;
  const char* begin = reinterpret_cast<const char*>(t.data<float>());
  extents.push_back({begin, begin + t.numel() * sizeof(float), name, index});
}

// Threads write each tensor's elements independently: two tensors over the same memory would
// race (and PyTorch would apply both updates one after the other).
void CheckDisjoint(std::vector<Extent> extents, const char* op) {
  // Stable: of two at the same address, the one listed first is named second.
  std::stable_sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) { return a.begin < b.begin; });
  size_t widest = 0;  // of those before k, the extent reaching furthest
  for (size_t k = 1; k < extents.size(); ++k) {
    if (extents[k].begin < extents[widest].end) {
      Fail(StatusCode::kArgument, op, ": ", extents[k].name(extents[k].index), " shares memory with ",
           extents[widest].name(extents[widest].index), "; each must be its own tensor");
    }
    if (extents[k].end > extents[widest].end) widest = k;
  }
}

std::string ParamName(size_t i) { return "params[" + std::to_string(i) + "]"; }
std::string GradName(size_t i) { return "params[" + std::to_string(i) + "].grad"; }
std::string StateName(size_t j) { return "states[" + std::to_string(j) + "]"; }

const char* KindName(OptimizerKind kind) {
  static const char* const kNames[] = {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW"};
  return kNames[static_cast<int>(kind)];
}

// What each state slot holds, for messages.
const char* SlotName(OptimizerKind kind, int slot) {
  static const char* const kSlots[][kOptimizerStateSlots] = {
      {"momentum_buffer", "unused", "unused"},
      {"sum", "unused", "unused"},
      {"square_avg", "momentum_buffer", "grad_avg"},
      {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
      {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}};
  return kSlots[static_cast<int>(kind)][slot];
}

// Whether the update with this hyperparameter row reads and writes the state in `slot`.
bool SlotUsed(OptimizerKind kind, int slot, const double* row) {
  switch (kind) {
    case OptimizerKind::kSgd: return slot == 0 && row[1] != 0;
    case OptimizerKind::kAdagrad: return slot == 0;
    case OptimizerKind::kRmsprop: return slot == 0 || (slot == 1 && row[4] > 0) || (slot == 2 && row[5] != 0);
    default: return slot < 2 || row[5] != 0;  // Adam, AdamW
  }
}

// The row entry that counts steps, or -1 for RMSprop (which keeps none).
int StepEntry(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd: return 6;
    case OptimizerKind::kAdagrad: return 5;
    case OptimizerKind::kRmsprop: return -1;
    default: return 7;
  }
}

// Everything OptimizerStep checks, before anything is written.
void CheckStep(OptimizerKind kind, const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& states, const std::vector<double>& hyper) {
  const char* op = "optimizerStep";
  if (static_cast<int>(kind) < 0 || kind >= OptimizerKind::kCount) {
    Fail(StatusCode::kArgument, op, ": unknown optimizer kind ", static_cast<int>(kind));
  }
  const size_t n = params.size();
  if (grads.size() != n) Fail(StatusCode::kInternal, op, ": ", n, " params but ", grads.size(), " gradients");
  if (states.size() != kOptimizerStateSlots * n) {
    Fail(StatusCode::kArgument, op, ": expected ", kOptimizerStateSlots, " states per param (", kOptimizerStateSlots * n,
         " for ", n, " params, null where unused), got ", states.size());
  }
  if (hyper.size() != kOptimizerHyperSlots * n) {
    Fail(StatusCode::kArgument, op, ": expected ", kOptimizerHyperSlots, " hyperparameters per param (",
         kOptimizerHyperSlots * n, " for ", n, " params), got ", hyper.size());
  }
  std::vector<Extent> extents;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    const double* row = &hyper[kOptimizerHyperSlots * i];
    CheckFloatContiguous(p, op, ParamName(i));
    if (!grads[i].defined()) {
      Fail(StatusCode::kArgument, op, ": ", ParamName(i), " has no gradient (run backward() first, or leave it out)");
    }
    CheckFloatContiguous(grads[i], op, GradName(i));
    if (grads[i].shape() != p.shape()) {
      Fail(StatusCode::kShape, op, ": ", GradName(i), " must have the param's shape ", ShapeToString(p.shape()), ", got ",
           ShapeToString(grads[i].shape()));
    }
    const int step = StepEntry(kind);
    if (step >= 0 && !(row[step] >= 1 && row[step] == std::floor(row[step]) && row[step] < 9.007199254740992e15)) {
      Fail(StatusCode::kArgument, op, ": the step count of ", ParamName(i), " (hyper[", kOptimizerHyperSlots * i + step,
           "]) must be an integer >= 1, got ", row[step]);
    }
    AddExtent(extents, p, ParamName, i);
    AddExtent(extents, grads[i], GradName, i);
    for (int s = 0; s < kOptimizerStateSlots; ++s) {
      if (!SlotUsed(kind, s, row)) continue;
      const size_t j = kOptimizerStateSlots * i + s;
      const Tensor& state = states[j];
      const std::string what = StateName(j) + " (" + SlotName(kind, s) + " of " + ParamName(i) + ")";
      if (!state.defined()) {
        Fail(StatusCode::kArgument, op, ": ", what, " is missing: ", KindName(kind), " with these options needs it");
      }
      CheckFloatContiguous(state, op, what);
      if (state.shape() != p.shape()) {
        Fail(StatusCode::kShape, op, ": ", what, " must have the param's shape ", ShapeToString(p.shape()), ", got ",
             ShapeToString(state.shape()));
      }
      AddExtent(extents, state, StateName, j);
    }
  }
  CheckDisjoint(std::move(extents), op);
}

// ---- the updates -----------------------------------------------------------------------------

SgdOptions SgdRow(const double* r) { return {r[0], r[1], r[2], r[3], r[4] != 0, r[5] != 0, r[6]}; }
AdagradOptions AdagradRow(const double* r) { return {r[0], r[1], r[2], r[3], r[4] != 0, r[5]}; }
RmspropOptions RmspropRow(const double* r) { return {r[0], r[1], r[2], r[3], r[4], r[5] != 0, r[6] != 0}; }
AdamOptions AdamRow(const double* r, bool decoupled) {
  return {r[0], r[1], r[2], r[3], r[4], r[5] != 0, r[6] != 0, decoupled, r[7]};
}

}  // namespace

void OptimizerStep(OptimizerKind kind, const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& states, const std::vector<double>& hyper) {
  CheckStep(kind, params, grads, states, hyper);
  const size_t n = params.size();
  // Raw pointers per param (null for a state slot the update does not use).
  std::vector<float*> p(n), s(kOptimizerStateSlots * n, nullptr);
  std::vector<const float*> g(n);
  for (size_t i = 0; i < n; ++i) {
    p[i] = params[i].data<float>();
    g[i] = grads[i].data<float>();
    for (int k = 0; k < kOptimizerStateSlots; ++k) {
      const size_t j = kOptimizerStateSlots * i + k;
      if (SlotUsed(kind, k, &hyper[kOptimizerHyperSlots * i])) s[j] = states[j].data<float>();
    }
  }
  auto at = [](float* base, int64_t lo) { return base != nullptr ? base + lo : nullptr; };
  const std::vector<int64_t> starts = Starts(params);
  const OptimKernels* kernels = Kernels().optim;
  const double* rows = hyper.data();
  // The coefficients come from the hyperparameters (planning); the kernels' closures hold
  // copies of them and of the pointer tables.
  switch (kind) {
    case OptimizerKind::kSgd: {
      std::vector<SgdCoefficients> c(n);
      for (size_t i = 0; i < n; ++i) c[i] = SgdCoefficientsFor(SgdRow(rows + kOptimizerHyperSlots * i));
      Launch([=] {
        ParallelPieces(starts, [&](size_t i, int64_t lo, int64_t hi) {
          kernels->sgd(c[i], p[i] + lo, g[i] + lo, at(s[3 * i], lo), hi - lo);
        });
      }, params, grads, states);
      break;
    }
    case OptimizerKind::kAdagrad: {
      std::vector<AdagradCoefficients> c(n);
      for (size_t i = 0; i < n; ++i) c[i] = AdagradCoefficientsFor(AdagradRow(rows + kOptimizerHyperSlots * i));
      Launch([=] {
        ParallelPieces(starts, [&](size_t i, int64_t lo, int64_t hi) {
          kernels->adagrad(c[i], p[i] + lo, g[i] + lo, s[3 * i] + lo, hi - lo);
        });
      }, params, grads, states);
      break;
    }
    case OptimizerKind::kRmsprop: {
      std::vector<RmspropCoefficients> c(n);
      for (size_t i = 0; i < n; ++i) c[i] = RmspropCoefficientsFor(RmspropRow(rows + kOptimizerHyperSlots * i));
      Launch([=] {
        ParallelPieces(starts, [&](size_t i, int64_t lo, int64_t hi) {
          kernels->rmsprop(c[i], p[i] + lo, g[i] + lo, s[3 * i] + lo, at(s[3 * i + 1], lo), at(s[3 * i + 2], lo), hi - lo);
        });
      }, params, grads, states);
      break;
    }
    default: {  // Adam, AdamW
      const bool decoupled = kind == OptimizerKind::kAdamW;
      std::vector<AdamCoefficients> c(n);
      for (size_t i = 0; i < n; ++i) c[i] = AdamCoefficientsFor(AdamRow(rows + kOptimizerHyperSlots * i, decoupled));
      Launch([=] {
        ParallelPieces(starts, [&](size_t i, int64_t lo, int64_t hi) {
          kernels->adam(c[i], p[i] + lo, g[i] + lo, s[3 * i] + lo, s[3 * i + 1] + lo, at(s[3 * i + 2], lo), hi - lo);
        });
      }, params, grads, states);
      break;
    }
  }
  for (size_t i = 0; i < n; ++i) params[i].storage()->BumpVersion();
  for (size_t j = 0; j < s.size(); ++j) {
    if (s[j] != nullptr) states[j].storage()->BumpVersion();
  }
}

namespace {

// The defined gradients, checked (float32, contiguous, disjoint: they are written in place).
std::vector<Tensor> PresentGrads(const std::vector<Tensor>& grads, const char* op) {
  std::vector<Tensor> present;
  std::vector<Extent> extents;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) continue;
    CheckFloatContiguous(grads[i], op, GradName(i));
    AddExtent(extents, grads[i], GradName, i);
    present.push_back(grads[i]);
  }
  CheckDisjoint(std::move(extents), op);
  return present;
}

// Σ |x|^p over [lo, hi) of one gradient, for p other than 1 and 2 (rare: plain libm).
double GeneralPowerSum(const float* x, int64_t n, double p) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::pow(std::fabs(double{x[i]}), p);
  return sum;
}


// The order-p norm of all the gradients' elements together (gradient i at x[i], covering
// [starts[i], starts[i + 1])), in double. Runs in the kernel's task.
double TotalNorm(const OptimKernels& kernels, const std::vector<int64_t>& starts, const std::vector<float*>& x, double p) {
  const int64_t total = starts.back();
  const int64_t chunks = (total + kNormChunk - 1) / kNormChunk;
  const bool inf = std::isinf(p);
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  ParallelFor(0, chunks, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      double acc = 0;
      ForEachPiece(starts, c * kNormChunk, std::min(total, (c + 1) * kNormChunk), [&](size_t i, int64_t lo, int64_t hi) {
        const float* v = x[i] + lo;
        if (inf) acc = NanMax<double>(kernels.abs_max(v, hi - lo), acc);
        else if (p == 2) acc += kernels.square_sum(v, hi - lo);
        else if (p == 1) acc += kernels.abs_sum(v, hi - lo);
        else acc += GeneralPowerSum(v, hi - lo, p);
      });
      partial[c] = acc;
    }
  });
  double acc = 0;
  for (double v : partial) acc = inf ? NanMax(v, acc) : acc + v;
  if (inf || p == 1) return acc;
  return p == 2 ? std::sqrt(acc) : std::pow(acc, 1.0 / p);
}

}  // namespace

Tensor ClipGradNorm(const std::vector<Tensor>& grads_in, double max_norm, double norm_type, bool error_if_nonfinite) {
  const char* op = "clipGradNorm";
  if (!(norm_type > 0)) Fail(StatusCode::kArgument, op, ": normType must be a positive number or Infinity, got ", norm_type);
  if (std::isnan(max_norm)) Fail(StatusCode::kArgument, op, ": maxNorm must be a number, got NaN");
  const std::vector<Tensor> grads = PresentGrads(grads_in, op);
  if (grads.empty()) return Full({}, 0.0, DType::kFloat32);
  // The total, its check and the scaling it decides all read the gradients' values, so they
  // run in the kernel's task, which writes the total into `norm`.
  const Tensor norm = Tensor::Empty({});
  float* out = norm.data<float>();
  std::vector<float*> x(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) x[i] = grads[i].data<float>();
  const std::vector<int64_t> starts = Starts(grads);
  const OptimKernels* kernels = Kernels().optim;
  const BinaryKernel mul = Kernels().eltwise->binary[static_cast<int>(BinaryOp::kMul)];
  Launch([=] {
    // PyTorch's total is a float32 tensor, and so is the arithmetic on it:
    // clip_coef = max_norm / (total + 1e-6) is (total + 1e-6).reciprocal() * max_norm.
    const float total = static_cast<float>(TotalNorm(*kernels, starts, x, norm_type));
    *out = total;
    if (error_if_nonfinite && !std::isfinite(total)) {
      Fail(StatusCode::kArgument, op, ": the total norm of order ", norm_type, " of the gradients is non-finite (", total,
           "), so it cannot be clipped; pass errorIfNonfinite = false to scale the gradients by it anyway");
    }
    const float coef = (1.0f / (total + 1e-6f)) * static_cast<float>(max_norm);
    if (coef >= 1.0f) return;  // clamp(coef, max=1) is 1: multiplying changes nothing
    ParallelPieces(starts, [&](size_t i, int64_t lo, int64_t hi) {
      float* v = x[i] + lo;
      mul(v, 1, &coef, 0, v, hi - lo);
    });
  }, grads, norm);
  // Whether the gradients get scaled is known only once the task has run, so every version is
  // bumped now: as PyTorch, whose clip_grad_norm_ always multiplies (by a coefficient clamped
  // to 1).
  for (const Tensor& g : grads) g.storage()->BumpVersion();
  return norm;
}

void ClipGradValue(const std::vector<Tensor>& grads_in, double clip_value) {
  const char* op = "clipGradValue";
  if (std::isnan(clip_value)) Fail(StatusCode::kArgument, op, ": clipValue must be a number, got NaN");
  const std::vector<Tensor> grads = PresentGrads(grads_in, op);
  const float lo_value = static_cast<float>(-clip_value), hi_value = static_cast<float>(clip_value);
  const ClampKernel clamp = Kernels().eltwise->clamp;
  std::vector<float*> x(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) x[i] = grads[i].data<float>();
  const std::vector<int64_t> starts = Starts(grads);
  Launch([=] {
    ParallelPieces(starts, [&](size_t i, int64_t lo, int64_t hi) {
      float* v = x[i] + lo;
      clamp(v, v, hi - lo, lo_value, hi_value);
    });
  }, grads);
  for (const Tensor& g : grads) g.storage()->BumpVersion();
}

}  // namespace tg
