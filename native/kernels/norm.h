// Batch normalisation, forward and backward, over x (N, C, S): statistics per channel c over
// the N·S values x[n][c][s] (S is the product of the trailing dimensions, 1 for (N, C)), so
// the same kernels serve BatchNorm1d and BatchNorm2d. Channels are independent: the caller
// (ops/) splits [0, C) over threads; every channel's sums run in one fixed order whatever the
// split, so results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace tg {

struct BatchNormArgs {
  const float* x;         // (N, C, S), contiguous
  int64_t n, c, s;        // M = n·s values per channel
  const float* weight;    // (C), or nullptr (all 1)
  const float* bias;      // (C), or nullptr (all 0)
  double eps;
};

// Training forward, channels [c_begin, c_end) (outputs are indexed by channel, not by
// c - c_begin): mean[c] = Σ x / M, var[c] = Σ (x - mean)² / M (biased), invstd[c] =
// 1/√(var + eps), y = (x - mean)·invstd·w + b. Sums in double, two passes over x before the
// one that writes y. var may be nullptr. M must be >= 1.
void BatchNormTrainForward(const BatchNormArgs& a, int64_t c_begin, int64_t c_end, float* y,
                           float* mean, float* var, float* invstd);

// Eval forward from running statistics: invstd[c] = 1/√(running_var[c] + eps) (written when
// invstd is not nullptr, for the backward), y = (x - running_mean)·invstd·w + b.
void BatchNormEvalForward(const BatchNormArgs& a, const float* running_mean,
                          const float* running_var, int64_t c_begin, int64_t c_end, float* y,
                          float* invstd);

// Backward from dy (N, C, S), with the mean and invstd the forward used (batch statistics in
// training, running statistics in eval), xhat = (x - mean)·invstd:
//   dbias[c]   = Σ dy
//   dweight[c] = Σ dy·xhat
//   training: dx = w·invstd/M · (M·dy - Σ dy - xhat·Σ dy·xhat)
//   eval:     dx = dy·w·invstd
// One pass for the two sums (skipped in eval when neither dweight nor dbias is wanted), one
// for dx. Each output may be nullptr (not wanted); dweight and dbias are written, not
// accumulated.
void BatchNormBackward(const BatchNormArgs& a, const float* dy, const float* mean,
                       const float* invstd, bool training, int64_t c_begin, int64_t c_end,
                       float* dx, float* dweight, float* dbias);

// The plain twins: one channel at a time, each value read as x[(n·C + c)·S + s], every formula
// above evaluated in double as written.
void BatchNormTrainForwardReference(const BatchNormArgs& a, int64_t c_begin, int64_t c_end,
                                    float* y, float* mean, float* var, float* invstd);
void BatchNormEvalForwardReference(const BatchNormArgs& a, const float* running_mean,
                                   const float* running_var, int64_t c_begin, int64_t c_end,
                                   float* y, float* invstd);
void BatchNormBackwardReference(const BatchNormArgs& a, const float* dy, const float* mean,
                                const float* invstd, bool training, int64_t c_begin,
                                int64_t c_end, float* dx, float* dweight, float* dbias);

}  // namespace tg
