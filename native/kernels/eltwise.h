// Elementwise kernels on raw float spans. The caller (ops/) handles shapes, broadcasting and
// threading; a kernel sees one span of n outputs whose inputs are either contiguous
// (stride 1) or one broadcast value (stride 0).
#pragma once

#include <cstdint>

namespace tg {

enum class UnaryOp : int { kNeg, kExp, kLog, kSqrt, kAbs, kCount };
enum class BinaryOp : int { kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum, kCount };

// out[i] = op(x[i]), i < n. out may alias x.
using UnaryKernel = void (*)(const float* x, float* out, int64_t n);
// out[i] = op(a[i * sa], b[i * sb]), i < n, with sa, sb in {0, 1}. out may alias a or b
// where that input has stride 1.
using BinaryKernel = void (*)(const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                              int64_t n);
// out[i] = min(max(x[i], lo), hi); NaN stays NaN (as torch.clamp).
using ClampKernel = void (*)(const float* x, float* out, int64_t n, float lo, float hi);

// Semantics every ISA matches (and tests check against the reference):
//  - maximum/minimum propagate NaN from either side (as torch.maximum);
//  - pow follows std::pow, including pow(x, 0) == 1 and negative bases with integer exponents;
//  - exp, log and sqrt agree with std:: within 2 ulp over the finite range, with
//    exp overflow to +inf, underflow to 0, log(0) = -inf, log(x<0) = NaN, sqrt(x<0) = NaN.
struct EltwiseKernels {
  UnaryKernel unary[static_cast<int>(UnaryOp::kCount)];
  BinaryKernel binary[static_cast<int>(BinaryOp::kCount)];
  ClampKernel clamp;
};

extern const EltwiseKernels kEltwiseRef;
#if defined(__x86_64__) || defined(_M_X64)
extern const EltwiseKernels kEltwiseAvx2;
extern const EltwiseKernels kEltwiseAvx512;
#endif

}  // namespace tg
