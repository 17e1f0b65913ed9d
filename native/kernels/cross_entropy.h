// Fused softmax + cross-entropy, forward and backward, over rows of logits: one pass computes
// each row's log-sum-exp and loss without materialising the log-softmax, and one pass gives the
// logits' gradient. Rows are independent: the caller (ops/) splits [0, rows) over threads and
// reduces the per-row losses itself ('mean' divides Σ loss by Σ denom, which is PyTorch's rule).
#pragma once

#include <cstdint>

#include "kernels/softmax.h"

namespace tg {

struct CrossEntropyArgs {
  const float* logits;    // (rows, classes), contiguous
  int64_t rows, classes;
  const int32_t* target;  // class indices (rows), or nullptr when `probs` is given; the caller
                          // has validated the range (ignore_index aside)
  const float* probs;     // target probabilities (rows, classes), or nullptr
  const float* weight;    // per-class weights (classes), or nullptr (all 1)
  int32_t ignore_index;   // index targets equal to this contribute 0 loss, 0 gradient, 0 weight
  float label_smoothing;  // ε in [0, 1]
};

// Row i, for i in [row_begin, row_end) (outputs are indexed by i, not by i - row_begin):
//   loss[i]  = -Σ_c coef[i][c]·logsoftmax(logits[i])[c], where
//     index targets:       coef[i][c] = (1-ε)·w[t_i]·[c == t_i] + (ε / classes)·w[c]
//                          (all 0 for an ignored row)
//     probability targets: coef[i][c] = w[c]·((1-ε)·p[i][c] + ε / classes)
//   lse[i]   = logsumexp(logits[i]), saved for the backward;
//   denom[i] = w[t_i] for index targets (0 when ignored), 1 for probability targets.
// Special values follow PyTorch: a row holding NaN or +inf gives NaN; a -inf logit is fine
// unless a nonzero coefficient (loss +inf) or a zero one that PyTorch multiplies (0·inf, NaN)
// meets it, the index-target term reading only logsoftmax[t_i] as nll_loss does.
void CrossEntropyForward(const CrossEntropyArgs& a, int64_t row_begin, int64_t row_end,
                         float* loss, float* lse, float* denom);

// dlogits[i][c] = dloss[i]·(softmax_ic·Σ_c' coef[i][c'] - coef[i][c]),
// softmax_ic = exp(logits_ic - lse_i); ignored rows get 0.
void CrossEntropyBackward(const CrossEntropyArgs& a, int64_t row_begin, int64_t row_end,
                          const float* lse, const float* dloss, float* dlogits);

// The same two on a given table's row primitives (SoftmaxKernels): the two above use
// Kernels().softmax; tests run every ISA.
void CrossEntropyForwardWith(const SoftmaxKernels& k, const CrossEntropyArgs& a,
                             int64_t row_begin, int64_t row_end, float* loss, float* lse,
                             float* denom);
void CrossEntropyBackwardWith(const SoftmaxKernels& k, const CrossEntropyArgs& a,
                              int64_t row_begin, int64_t row_end, const float* lse,
                              const float* dloss, float* dlogits);

// The plain twins: log-softmax in double, then the loss and gradient from the formulas above,
// one coefficient at a time.
void CrossEntropyForwardReference(const CrossEntropyArgs& a, int64_t row_begin, int64_t row_end,
                                  float* loss, float* lse, float* denom);
void CrossEntropyBackwardReference(const CrossEntropyArgs& a, int64_t row_begin,
                                   int64_t row_end, const float* lse, const float* dloss,
                                   float* dlogits);

}  // namespace tg
