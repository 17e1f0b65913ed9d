// The fused cross-entropy (contract in cross_entropy.h): the fast path, portable code over the
// ISA's softmax row primitives (softmax.h), and its plain reference twin in double.
//
// The fast forward never forms log-softmax. With m = max_c x_c and L = log Σ_c exp(x_c - m),
// logsoftmax_c = -(L + (m - x_c)), so
//   loss = Σ_c coef_c·(L + (m - x_c)) = L·Σ coef + Σ coef·(m - x_c),
// two sums of terms that are >= 0 for nonnegative coefficients: nothing cancels, even for
// logits of large magnitude. The index-target part needs only x[t]; the label-smoothing part
// and probability targets take one coef_sums pass over the row.
#include "kernels/cross_entropy.h"

#include <cmath>

#include "kernels/kernel_table.h"

namespace tg {
namespace {

double WeightOf(const CrossEntropyArgs& a, int64_t c) {
  return a.weight != nullptr ? a.weight[c] : 1.0;
}

// Σ_c w[c]: classes when there are no weights.
double WeightSum(const CrossEntropyArgs& a) {
  if (a.weight == nullptr) return static_cast<double>(a.classes);
  double s = 0.0;
  for (int64_t c = 0; c < a.classes; ++c) s += a.weight[c];
  return s;
}

bool Ignored(const CrossEntropyArgs& a, int64_t i) {
  return a.target != nullptr && a.target[i] == a.ignore_index;
}

}  // namespace

// logits (rows, classes) -> loss, lse, denom (rows), rows [row_begin, row_end)
void CrossEntropyForwardWith(const SoftmaxKernels& k, const CrossEntropyArgs& a,
                             int64_t row_begin, int64_t row_end, float* loss, float* lse,
                             float* denom) {
  const int64_t n = a.classes;
  const double eps = a.label_smoothing;
  const double smooth = eps / static_cast<double>(n);  // ε / classes
  for (int64_t i = row_begin; i < row_end; ++i) {
    const float* x = a.logits + i * n;
    const float m = k.row_max(x, n);
    const double log_sum = std::log(k.sum_exp(x, n, m));
    lse[i] = static_cast<float>(m + log_sum);
    double sums[2];  // Σ coef, Σ coef·(m - x)
    if (a.target == nullptr) {
      // coef = w·((1-ε)·p + ε / classes), the whole row in one pass.
      k.coef_sums(a.weight, a.probs + i * n, static_cast<float>(1.0 - eps),
                  static_cast<float>(smooth), x, n, m, sums);
      loss[i] = static_cast<float>(log_sum * sums[0] + sums[1]);
      denom[i] = 1.0f;
      continue;
    }
    if (Ignored(a, i)) {
      loss[i] = denom[i] = 0.0f;
      continue;
    }
    const int32_t t = a.target[i];
    const double w_t = WeightOf(a, t);
    double l = (1.0 - eps) * w_t * (log_sum + (double{m} - x[t]));
    if (eps > 0.0) {  // (ε / classes)·Σ_c w[c]·(L + (m - x_c)): coef = w·(0·0 + 1)
      k.coef_sums(a.weight, nullptr, 0.0f, 1.0f, x, n, m, sums);
      l += smooth * (log_sum * sums[0] + sums[1]);
    }
    loss[i] = static_cast<float>(l);
    denom[i] = static_cast<float>(w_t);
  }
}

// logits (rows, classes), lse, dloss (rows) -> dlogits (rows, classes)
void CrossEntropyBackwardWith(const SoftmaxKernels& k, const CrossEntropyArgs& a,
                              int64_t row_begin, int64_t row_end, const float* lse,
                              const float* dloss, float* dlogits) {
  const int64_t n = a.classes;
  const double eps = a.label_smoothing;
  const double smooth = eps / static_cast<double>(n);
  const double weight_sum = a.target != nullptr && eps > 0.0 ? WeightSum(a) : 0.0;
  for (int64_t i = row_begin; i < row_end; ++i) {
    const float* x = a.logits + i * n;
    float* dx = dlogits + i * n;
    const double g = dloss[i];
    if (a.target == nullptr) {
      const float* p = a.probs + i * n;
      double sums[2];  // sums[0] = Σ coef (the gap sum is not needed)
      k.coef_sums(a.weight, p, static_cast<float>(1.0 - eps), static_cast<float>(smooth), x, n,
                  lse[i], sums);
      k.exp_minus_coef(x, n, lse[i], static_cast<float>(g * sums[0]), a.weight, p,
                       static_cast<float>(g * (1.0 - eps)), static_cast<float>(g * smooth), dx);
      continue;
    }
    if (Ignored(a, i)) {
      for (int64_t c = 0; c < n; ++c) dx[c] = 0.0f;
      continue;
    }
    // coef = (ε / classes)·w[c] everywhere (a = w, b = 0), plus (1-ε)·w[t] at t.
    const int32_t t = a.target[i];
    const double w_t = WeightOf(a, t);
    const double coef_sum = (1.0 - eps) * w_t + smooth * weight_sum;
    k.exp_minus_coef(x, n, lse[i], static_cast<float>(g * coef_sum), a.weight, nullptr, 0.0f,
                     static_cast<float>(g * smooth), dx);
    dx[t] -= static_cast<float>(g * (1.0 - eps) * w_t);
  }
}

void CrossEntropyForward(const CrossEntropyArgs& a, int64_t row_begin, int64_t row_end,
                         float* loss, float* lse, float* denom) {
  CrossEntropyForwardWith(*Kernels().softmax, a, row_begin, row_end, loss, lse, denom);
}

void CrossEntropyBackward(const CrossEntropyArgs& a, int64_t row_begin, int64_t row_end,
                          const float* lse, const float* dloss, float* dlogits) {
  CrossEntropyBackwardWith(*Kernels().softmax, a, row_begin, row_end, lse, dloss, dlogits);
}

// ---------------------------------------------------------------------------------------------
// The reference.

namespace {

// coef[i][c], the header's formula, in double.
double Coef(const CrossEntropyArgs& a, int64_t i, int64_t c) {
  const double eps = a.label_smoothing, smooth = eps / static_cast<double>(a.classes);
  if (a.target == nullptr) {
    return WeightOf(a, c) * ((1.0 - eps) * a.probs[i * a.classes + c] + smooth);
  }
  if (Ignored(a, i)) return 0.0;
  const int32_t t = a.target[i];
  return (c == t ? (1.0 - eps) * WeightOf(a, t) : 0.0) + smooth * WeightOf(a, c);
}

// Row i's max and log Σ exp(x - max), in double; a NaN max (and so NaN everything) if the row
// holds a NaN.
void RowLogSumExp(const CrossEntropyArgs& a, int64_t i, double* max, double* log_sum) {
  const float* x = a.logits + i * a.classes;
  double m = -INFINITY;
  for (int64_t c = 0; c < a.classes; ++c) {
    if (std::isnan(x[c]) || x[c] > m) m = x[c];
  }
  double s = 0.0;
  for (int64_t c = 0; c < a.classes; ++c) s += std::exp(x[c] - m);
  *max = m;
  *log_sum = std::log(s);
}

}  // namespace

void CrossEntropyForwardReference(const CrossEntropyArgs& a, int64_t row_begin, int64_t row_end,
                                  float* loss, float* lse, float* denom) {
  const double eps = a.label_smoothing, smooth = eps / static_cast<double>(a.classes);
  for (int64_t i = row_begin; i < row_end; ++i) {
    const float* x = a.logits + i * a.classes;
    double m, log_sum;
    RowLogSumExp(a, i, &m, &log_sum);
    lse[i] = static_cast<float>(m + log_sum);
    double l = 0.0;
    if (a.target == nullptr) {
      for (int64_t c = 0; c < a.classes; ++c) l -= Coef(a, i, c) * ((x[c] - m) - log_sum);
      denom[i] = 1.0f;
    } else if (Ignored(a, i)) {
      denom[i] = 0.0f;
    } else {
      // The two parts as PyTorch adds them: nll reads log-softmax at t only (a zero coef
      // elsewhere never meets a -inf), the smoothing term reads the whole row.
      const int32_t t = a.target[i];
      l = -(1.0 - eps) * WeightOf(a, t) * ((x[t] - m) - log_sum);
      if (eps > 0.0) {
        for (int64_t c = 0; c < a.classes; ++c) {
          l -= smooth * WeightOf(a, c) * ((x[c] - m) - log_sum);
        }
      }
      denom[i] = static_cast<float>(WeightOf(a, t));
    }
    loss[i] = static_cast<float>(l);
  }
}

void CrossEntropyBackwardReference(const CrossEntropyArgs& a, int64_t row_begin,
                                   int64_t row_end, const float* lse, const float* dloss,
                                   float* dlogits) {
  for (int64_t i = row_begin; i < row_end; ++i) {
    const float* x = a.logits + i * a.classes;
    float* dx = dlogits + i * a.classes;
    double coef_sum = 0.0;
    for (int64_t c = 0; c < a.classes; ++c) coef_sum += Coef(a, i, c);
    for (int64_t c = 0; c < a.classes; ++c) {
      const double softmax = std::exp(double{x[c]} - lse[i]);
      dx[c] = Ignored(a, i) ? 0.0f
                            : static_cast<float>(dloss[i] * (softmax * coef_sum - Coef(a, i, c)));
    }
  }
}

}  // namespace tg
