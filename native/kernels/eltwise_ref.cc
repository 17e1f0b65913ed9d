// Portable scalar eltwise kernels: the reference every SIMD table is tested against, and the
// table used where no SIMD ISA is available. Plain loops over <cmath>; the semantics in
// eltwise.h are spelled out here once, one function per op.
#include <cmath>

#include "kernels/eltwise.h"
#include "kernels/nan_extreme.h"

namespace tg {
namespace {

// NaN from either side wins; otherwise a > b ? a : b, as the x86 max instruction (so the
// SIMD tables match this bit for bit, signed zeros included).
float Maximum(float a, float b) { return NanMax(a, b); }
float Minimum(float a, float b) { return NanMin(a, b); }

struct Neg { float operator()(float x) const { return -x; } };
struct Exp { float operator()(float x) const { return std::exp(x); } };
struct Log { float operator()(float x) const { return std::log(x); } };
struct Sqrt { float operator()(float x) const { return std::sqrt(x); } };
struct Abs { float operator()(float x) const { return std::fabs(x); } };
struct Add { float operator()(float a, float b) const { return a + b; } };
struct Sub { float operator()(float a, float b) const { return a - b; } };
struct Mul { float operator()(float a, float b) const { return a * b; } };
struct Div { float operator()(float a, float b) const { return a / b; } };
struct Pow { float operator()(float a, float b) const { return std::pow(a, b); } };
struct Max { float operator()(float a, float b) const { return Maximum(a, b); } };
struct Min { float operator()(float a, float b) const { return Minimum(a, b); } };

// x (n) -> out (n)
template <class Op>
void Unary(const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Op()(x[i]);
}

// a (n or 1), b (n or 1) -> out (n). Each input is read before its output is written, so out
// may alias a stride-1 input.
template <class Op>
void Binary(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Op()(a[i * sa], b[i * sb]);
}

// x (n) -> out (n). As torch.clamp: max first, then min, each keeping a NaN x.
void Clamp(const float* x, float* out, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) {
    const float t = lo > x[i] ? lo : x[i];
    out[i] = hi < t ? hi : t;
  }
}

}  // namespace

// In UnaryOp and BinaryOp order.
const EltwiseKernels kEltwiseRef = {
    {&Unary<Neg>, &Unary<Exp>, &Unary<Log>, &Unary<Sqrt>, &Unary<Abs>},
    {&Binary<Add>, &Binary<Sub>, &Binary<Mul>, &Binary<Div>, &Binary<Pow>, &Binary<Max>,
     &Binary<Min>},
    &Clamp,
};

}  // namespace tg
