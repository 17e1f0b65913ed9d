// Batch normalisation (contract in norm.h): the fast path and its plain reference twin.
//
// The fast path walks x in memory order. For sample n, the channels [c_begin, c_end) of one
// task are one contiguous block of (c_end - c_begin)·S floats, so each pass streams through
// the task's share of x once, whatever the layout ((N, C) with S = 1, or (N, C, H, W)). Sums
// are in double over eight independent lanes, which the compiler can vectorise where one
// long dependency chain could not; a channel's sums always run in the same order, so the
// split into tasks does not change a bit. The normalise and dx passes are float arithmetic on
// per-channel coefficients computed in double.
#include "kernels/norm.h"

#include <cmath>
#include <type_traits>
#include <vector>

namespace tg {
namespace {

constexpr int kLanes = 8;

// Σ term(i) for i in [0, n), in double.
template <class Term>
double LaneSum(int64_t n, Term term) {
  if (n < kLanes) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += term(i);
    return s;
  }
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += term(i + j);
  }
  for (int j = 0; i < n; ++i, ++j) acc[j] += term(i);
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// fn(k, offset, len) for every run of len = S values of channel c_begin + k, in memory order:
// sample 0's channels, then sample 1's, ... For S = 1 (input (N, C)) len is the constant 1, so
// the run loops fold away and the loop over channels can vectorise instead.
template <class Fn>
void ForEachRun(const BatchNormArgs& a, int64_t c_begin, int64_t c_end, Fn fn) {
  const int64_t width = c_end - c_begin;
  for (int64_t n = 0; n < a.n; ++n) {
    const int64_t first = (n * a.c + c_begin) * a.s;
    if (a.s == 1) {
      for (int64_t k = 0; k < width; ++k) fn(k, first + k, std::integral_constant<int64_t, 1>());
    } else {
      for (int64_t k = 0; k < width; ++k) fn(k, first + k * a.s, a.s);
    }
  }
}

double WeightAt(const BatchNormArgs& a, int64_t c) { return a.weight != nullptr ? a.weight[c] : 1.0; }
double BiasAt(const BatchNormArgs& a, int64_t c) { return a.bias != nullptr ? a.bias[c] : 0.0; }

// y = (x - mean)·scale + shift per channel, the per-channel floats indexed from c_begin.
void Normalise(const BatchNormArgs& a, int64_t c_begin, int64_t c_end, const float* mean,
               const float* scale, const float* shift, float* y) {
  ForEachRun(a, c_begin, c_end, [&](int64_t k, int64_t off, auto len) {
    const float m = mean[k], sc = scale[k], sh = shift[k];
    const float* x = a.x + off;
    float* out = y + off;
    for (int64_t i = 0; i < len; ++i) out[i] = (x[i] - m) * sc + sh;
  });
}

}  // namespace

// x (N, C, S) -> y (N, C, S); mean, var, invstd (C), channels [c_begin, c_end)
void BatchNormTrainForward(const BatchNormArgs& a, int64_t c_begin, int64_t c_end, float* y,
                           float* mean, float* var, float* invstd) {
  const int64_t width = c_end - c_begin;
  const double count = static_cast<double>(a.n * a.s);
  std::vector<double> sum(width, 0.0), mu(width);
  ForEachRun(a, c_begin, c_end, [&](int64_t k, int64_t off, auto len) {
    const float* x = a.x + off;
    sum[k] += LaneSum(len, [x](int64_t i) { return double{x[i]}; });
  });
  for (int64_t k = 0; k < width; ++k) {
    mu[k] = sum[k] / count;
    sum[k] = 0.0;
  }
  // The second pass sums squared deviations from the mean: no cancellation, unlike E[x²] - E[x]².
  ForEachRun(a, c_begin, c_end, [&](int64_t k, int64_t off, auto len) {
    const float* x = a.x + off;
    const double m = mu[k];
    sum[k] += LaneSum(len, [x, m](int64_t i) {
      const double d = x[i] - m;
      return d * d;
    });
  });
  std::vector<float> m(width), scale(width), shift(width);
  for (int64_t k = 0; k < width; ++k) {
    const int64_t c = c_begin + k;
    const double v = sum[k] / count, is = 1.0 / std::sqrt(v + a.eps);
    mean[c] = m[k] = static_cast<float>(mu[k]);
    if (var != nullptr) var[c] = static_cast<float>(v);
    invstd[c] = static_cast<float>(is);
    scale[k] = static_cast<float>(WeightAt(a, c) * is);
    shift[k] = static_cast<float>(BiasAt(a, c));
  }
  Normalise(a, c_begin, c_end, m.data(), scale.data(), shift.data(), y);
}

// x (N, C, S), running_mean, running_var (C) -> y (N, C, S), invstd (C)
void BatchNormEvalForward(const BatchNormArgs& a, const float* running_mean,
                          const float* running_var, int64_t c_begin, int64_t c_end, float* y,
                          float* invstd) {
  const int64_t width = c_end - c_begin;
  std::vector<float> scale(width), shift(width);
  for (int64_t k = 0; k < width; ++k) {
    const int64_t c = c_begin + k;
    const double is = 1.0 / std::sqrt(double{running_var[c]} + a.eps);
    if (invstd != nullptr) invstd[c] = static_cast<float>(is);
    scale[k] = static_cast<float>(WeightAt(a, c) * is);
    shift[k] = static_cast<float>(BiasAt(a, c));
  }
  Normalise(a, c_begin, c_end, running_mean + c_begin, scale.data(), shift.data(), y);
}

// x, dy (N, C, S), mean, invstd (C) -> dx (N, C, S), dweight, dbias (C)
void BatchNormBackward(const BatchNormArgs& a, const float* dy, const float* mean,
                       const float* invstd, bool training, int64_t c_begin, int64_t c_end,
                       float* dx, float* dweight, float* dbias) {
  const int64_t width = c_end - c_begin;
  const double count = static_cast<double>(a.n * a.s);
  // sum_dy = Σ dy, sum_dyc = Σ dy·(x - mean) (= Σ dy·xhat / invstd).
  std::vector<double> sum_dy(width, 0.0), sum_dyc(width, 0.0);
  if (training || dweight != nullptr || dbias != nullptr) {
    ForEachRun(a, c_begin, c_end, [&](int64_t k, int64_t off, auto len) {
      const float* x = a.x + off;
      const float* g = dy + off;
      const double m = mean[c_begin + k];
      sum_dy[k] += LaneSum(len, [g](int64_t i) { return double{g[i]}; });
      sum_dyc[k] += LaneSum(len, [x, g, m](int64_t i) { return double{g[i]} * (x[i] - m); });
    });
  }
  for (int64_t k = 0; k < width; ++k) {
    const int64_t c = c_begin + k;
    if (dbias != nullptr) dbias[c] = static_cast<float>(sum_dy[k]);
    if (dweight != nullptr) dweight[c] = static_cast<float>(sum_dyc[k] * invstd[c]);
  }
  if (dx == nullptr) return;
  // dx = w·invstd·dy + coef_c·(x - mean) + coef_0: the training formula expanded, with
  // coef_c = -w·invstd³·Σ dy·(x - mean) / M and coef_0 = -w·invstd·Σ dy / M (both 0 in eval).
  std::vector<float> coef_dy(width), coef_c(width), coef_0(width);
  for (int64_t k = 0; k < width; ++k) {
    const int64_t c = c_begin + k;
    const double is = invstd[c], wi = WeightAt(a, c) * is;
    coef_dy[k] = static_cast<float>(wi);
    coef_c[k] = training ? static_cast<float>(-wi * is * is * sum_dyc[k] / count) : 0.0f;
    coef_0[k] = training ? static_cast<float>(-wi * sum_dy[k] / count) : 0.0f;
  }
  ForEachRun(a, c_begin, c_end, [&](int64_t k, int64_t off, auto len) {
    const float* x = a.x + off;
    const float* g = dy + off;
    float* out = dx + off;
    const float m = mean[c_begin + k], cd = coef_dy[k], cc = coef_c[k], c0 = coef_0[k];
    if (training) {
      for (int64_t i = 0; i < len; ++i) out[i] = cd * g[i] + cc * (x[i] - m) + c0;
    } else {
      for (int64_t i = 0; i < len; ++i) out[i] = cd * g[i];
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The reference.

namespace {

int64_t At(const BatchNormArgs& a, int64_t n, int64_t c, int64_t s) { return (n * a.c + c) * a.s + s; }

// y = (x - mean)·invstd·w + b for channel c, in double.
void NormaliseReference(const BatchNormArgs& a, int64_t c, double mean, double invstd, float* y) {
  for (int64_t n = 0; n < a.n; ++n) {
    for (int64_t s = 0; s < a.s; ++s) {
      const int64_t i = At(a, n, c, s);
      y[i] = static_cast<float>((a.x[i] - mean) * invstd * WeightAt(a, c) + BiasAt(a, c));
    }
  }
}

}  // namespace

void BatchNormTrainForwardReference(const BatchNormArgs& a, int64_t c_begin, int64_t c_end,
                                    float* y, float* mean, float* var, float* invstd) {
  const double count = static_cast<double>(a.n * a.s);
  for (int64_t c = c_begin; c < c_end; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < a.n; ++n) {
      for (int64_t s = 0; s < a.s; ++s) sum += a.x[At(a, n, c, s)];
    }
    const double mu = sum / count;
    double sq = 0.0;
    for (int64_t n = 0; n < a.n; ++n) {
      for (int64_t s = 0; s < a.s; ++s) sq += (a.x[At(a, n, c, s)] - mu) * (a.x[At(a, n, c, s)] - mu);
    }
    const double v = sq / count, is = 1.0 / std::sqrt(v + a.eps);
    mean[c] = static_cast<float>(mu);
    if (var != nullptr) var[c] = static_cast<float>(v);
    invstd[c] = static_cast<float>(is);
    NormaliseReference(a, c, mu, is, y);
  }
}

void BatchNormEvalForwardReference(const BatchNormArgs& a, const float* running_mean,
                                   const float* running_var, int64_t c_begin, int64_t c_end,
                                   float* y, float* invstd) {
  for (int64_t c = c_begin; c < c_end; ++c) {
    const double is = 1.0 / std::sqrt(double{running_var[c]} + a.eps);
    if (invstd != nullptr) invstd[c] = static_cast<float>(is);
    NormaliseReference(a, c, running_mean[c], is, y);
  }
}

void BatchNormBackwardReference(const BatchNormArgs& a, const float* dy, const float* mean,
                                const float* invstd, bool training, int64_t c_begin,
                                int64_t c_end, float* dx, float* dweight, float* dbias) {
  const double count = static_cast<double>(a.n * a.s);
  for (int64_t c = c_begin; c < c_end; ++c) {
    const double is = invstd[c], w = WeightAt(a, c);
    auto xhat = [&](int64_t i) { return (a.x[i] - double{mean[c]}) * is; };
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < a.n; ++n) {
      for (int64_t s = 0; s < a.s; ++s) {
        const int64_t i = At(a, n, c, s);
        sum_dy += dy[i];
        sum_dy_xhat += dy[i] * xhat(i);
      }
    }
    if (dbias != nullptr) dbias[c] = static_cast<float>(sum_dy);
    if (dweight != nullptr) dweight[c] = static_cast<float>(sum_dy_xhat);
    if (dx == nullptr) continue;
    for (int64_t n = 0; n < a.n; ++n) {
      for (int64_t s = 0; s < a.s; ++s) {
        const int64_t i = At(a, n, c, s);
        dx[i] = static_cast<float>(training ? w * is / count * (count * dy[i] - sum_dy - xhat(i) * sum_dy_xhat)
                                            : dy[i] * w * is);
      }
    }
  }
}

}  // namespace tg
