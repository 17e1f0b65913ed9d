// Portable scalar softmax kernels: the reference every SIMD table is tested against, and the
// table used where no SIMD ISA is available. Plain loops over <cmath>, sums in double; the
// contracts are in softmax.h.
#include <cmath>

#include "kernels/softmax.h"

namespace tg {
namespace {

// x (n) -> max, the first NaN winning outright; -inf for n == 0.
float RowMax(const float* x, int64_t n) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] != x[i]) return x[i];
    if (x[i] > m) m = x[i];
  }
  return m;
}

// x (n) -> Σ exp(x - shift)
double SumExp(const float* x, int64_t n, float shift) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += std::exp(x[i] - shift);
  return s;
}

// x, y (rows, n). exp(x - max) is stored first and divided by the sum after, so y may alias x.
void Softmax(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    const float m = RowMax(x, n);
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      y[i] = std::exp(x[i] - m);
      s += y[i];
    }
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(y[i] / s);
  }
}

// x, y (rows, n)
void LogSoftmax(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    const float m = RowMax(x, n);
    const double log_sum = std::log(SumExp(x, n, m));
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(double{x[i]} - m - log_sum);
  }
}

// y, dy, dx (rows, n)
void SoftmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r, y += n, dy += n, dx += n) {
    double dot = 0.0;
    for (int64_t i = 0; i < n; ++i) dot += double{dy[i]} * y[i];
    for (int64_t i = 0; i < n; ++i) dx[i] = static_cast<float>(y[i] * (dy[i] - dot));
  }
}

// y, dy, dx (rows, n)
void LogSoftmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r, y += n, dy += n, dx += n) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += dy[i];
    for (int64_t i = 0; i < n; ++i) {
      dx[i] = static_cast<float>(dy[i] - std::exp(double{y[i]}) * sum);
    }
  }
}

// coef_c as softmax.h defines it, in float (as the SIMD tables compute it).
float Coef(const float* a, const float* b, float u, float v, int64_t c) {
  return (a != nullptr ? a[c] : 1.0f) * (u * (b != nullptr ? b[c] : 0.0f) + v);
}

// x (n) -> Σ coef, Σ coef·(shift - x)
void CoefSums(const float* a, const float* b, float u, float v, const float* x, int64_t n,
              float shift, double* sums) {
  sums[0] = sums[1] = 0.0;
  for (int64_t c = 0; c < n; ++c) {
    const float coef = Coef(a, b, u, v, c);
    sums[0] += coef;
    sums[1] += double{coef} * (shift - x[c]);
  }
}

// x (n) -> y. Each coef is read before y[c] is written, so y may alias x, a or b.
void ExpMinusCoef(const float* x, int64_t n, float shift, float scale, const float* a,
                  const float* b, float u, float v, float* y) {
  for (int64_t c = 0; c < n; ++c) {
    const float coef = Coef(a, b, u, v, c);
    y[c] = scale * std::exp(x[c] - shift) - coef;
  }
}

}  // namespace

const SoftmaxKernels kSoftmaxRef = {
    &Softmax, &LogSoftmax, &SoftmaxBackward, &LogSoftmaxBackward,
    &RowMax,  &SumExp,     &CoefSums,        &ExpMinusCoef,
};

}  // namespace tg
