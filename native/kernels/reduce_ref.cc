// Portable scalar reduce kernels: the reference every SIMD table is tested against, and the
// table used where no SIMD ISA is available.
#include "kernels/reduce.h"

namespace tg {
namespace {

bool IsNan(float x) { return x != x; }

// NaN from either side wins (torch.max); otherwise a > b ? a : b.
float Maximum(float a, float b) { return (IsNan(a) || a > b) ? a : b; }
float Minimum(float a, float b) { return (IsNan(a) || a < b) ? a : b; }

// x (n) -> sum, accumulated in double: exact enough that it serves as the yardstick.
float Sum(const float* x, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  return static_cast<float>(s);
}

// x (n >= 1) -> max (min); stops at the first NaN, which is the answer.
template <bool kMax>
float Extreme(const float* x, int64_t n) {
  float r = x[0];
  for (int64_t i = 1; i < n && !IsNan(r); ++i) r = kMax ? Maximum(r, x[i]) : Minimum(r, x[i]);
  return r;
}

// x (n >= 1) -> index of the first max (min); the first NaN wins outright.
template <bool kMax>
int64_t Arg(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (IsNan(x[i])) return i;
    if (kMax ? x[i] > x[best] : x[i] < x[best]) best = i;
  }
  return best;
}

// acc (n), x (n): acc = op(acc, x).
void SumRow(float* acc, const float* x, int64_t n) {
  for (int64_t j = 0; j < n; ++j) acc[j] += x[j];
}
template <bool kMax>
void ExtremeRow(float* acc, const float* x, int64_t n) {
  for (int64_t j = 0; j < n; ++j) acc[j] = kMax ? Maximum(acc[j], x[j]) : Minimum(acc[j], x[j]);
}

// best (n), index (n), x (n): where x beats best (strictly, or x is NaN and best is not),
// best = x and index = row.
template <bool kMax>
void ArgRow(float* best, int32_t* index, const float* x, int64_t n, int32_t row) {
  for (int64_t j = 0; j < n; ++j) {
    const bool better = kMax ? x[j] > best[j] : x[j] < best[j];
    if (better || (IsNan(x[j]) && !IsNan(best[j]))) {
      best[j] = x[j];
      index[j] = row;
    }
  }
}

}  // namespace

// In ReduceOp order.
const ReduceKernels kReduceRef = {
    {&Sum, &Extreme<true>, &Extreme<false>},
    {&SumRow, &ExtremeRow<true>, &ExtremeRow<false>},
    &Arg<true>,
    &Arg<false>,
    &ArgRow<true>,
    &ArgRow<false>,
};

}  // namespace tg
