// Activation kernels on raw float spans: forward, backward from a saved tensor, the
// perceptron's step, and the fused linear-backward pass (activation gradient + bias-gradient
// column sums). The caller (ops/) handles shapes and threading; a kernel sees contiguous spans,
// or a column block of row-major matrices for act_backward_colsum.
#pragma once

#include <cmath>
#include <cstdint>

namespace tg {

// The order is an ABI with lib/native.ts (Activation there) and indexes the tables below.
enum class Activation { kIdentity, kRelu, kLeakyRelu, kSigmoid, kTanh };
constexpr int kActivationCount = 5;

// y[i] = act(x[i]), i < n; y may alias x. The same formulas as the GEMM epilogue on the same
// ISA, bit for bit (a fused linear and a standalone activation agree):
//  - relu: x < 0 ? 0 : x, NaN kept (as torch.relu);
//  - leaky relu: x < 0 ? slope·x : x, NaN kept (slope is read by leaky relu only);
//  - sigmoid, tanh: within a few ulp of <cmath>, saturating to 0/1 and ±1 for large |x|
//    (never NaN from a finite or infinite x).
using ActivationForwardKernel = void (*)(const float* x, float* y, int64_t n, float slope);

// dx[i] = dy[i]·act'(.), i < n, from v, which is the forward *output* y for identity
// (dx = dy), relu (v <= 0 ? 0 : dy: PyTorch's threshold_backward, so a NaN v passes dy),
// sigmoid (dy·(1 - y)·y) and tanh (dy·(1 - y·y)); for leaky relu dx = v > 0 ? dy : slope·dy,
// where v is the input x, or the output y when slope >= 0 (the two agree then).
// dx may alias v or dy.
using ActivationBackwardKernel = void (*)(const float* v, const float* dy, float* dx, int64_t n,
                                          float slope);

// y[i] = x[i] > 0 ? 1 : 0, NaN -> NaN (the perceptron's step). y may alias x.
using StepKernel = void (*)(const float* x, float* y, int64_t n);

// Rows whose dz are summed in float before the partial sum is added to db's double total.
constexpr int64_t kColsumRowBlock = 32;

// The fused linear backward over a column block: y, dy, dz (rows, cols) with leading dimension
// ld >= cols, row-major:
//   dz[i·ld + j] = backward(act)(y, dy)[i·ld + j]      (as ActivationBackwardKernel; y is not
//                                                       read for the identity and may be null)
//   db[j] = Σ_i dz[i·ld + j]                            (only when db != nullptr)
// db is summed in a fixed order that depends on nothing but the column: float partial sums
// over blocks of kColsumRowBlock rows, in row order, blocks added in double. So however the
// caller splits columns across threads, and on every ISA given the same dz, db is the same.
// dz may alias dy.
using ActBackwardColsumKernel = void (*)(Activation act, float slope, const float* y,
                                         const float* dy, float* dz, float* db, int64_t rows,
                                         int64_t cols, int64_t ld);

struct ActivationKernels {
  ActivationForwardKernel forward[kActivationCount];    // in Activation order
  ActivationBackwardKernel backward[kActivationCount];  // in Activation order
  StepKernel step;
  ActBackwardColsumKernel act_backward_colsum;
};

extern const ActivationKernels kActivationRef;
#if defined(__x86_64__) || defined(_M_X64)
extern const ActivationKernels kActivationAvx2;
extern const ActivationKernels kActivationAvx512;
#endif

// The activations in scalar form, for the portable kernels (float) and the references (double),
// and act'(z) recovered from y = act(z), as the fused backward passes use it (leaky relu with a
// slope >= 0). Call them only from code compiled for the base ISA, outside every ISA region
// (isa_target.h): an inline template instantiated inside one could carry its instructions.
template <typename T>
inline T ApplyActivation(T x, Activation act, T negative_slope) {
  switch (act) {
    case Activation::kIdentity: return x;
    case Activation::kRelu: return x < T(0) ? T(0) : x;  // keeps NaN, as torch.relu
    case Activation::kLeakyRelu: return x < T(0) ? x * negative_slope : x;
    case Activation::kSigmoid: return T(1) / (T(1) + std::exp(-x));
    case Activation::kTanh: return std::tanh(x);
  }
  return x;
}

template <typename T>
inline T ActivationDerivativeFromOutput(Activation act, T y, T negative_slope) {
  switch (act) {
    case Activation::kIdentity: return T(1);
    case Activation::kRelu: return y <= T(0) ? T(0) : T(1);
    case Activation::kLeakyRelu: return y > T(0) ? T(1) : negative_slope;
    case Activation::kSigmoid: return y * (T(1) - y);
    case Activation::kTanh: return T(1) - y * y;
  }
  return T(1);
}

}  // namespace tg
