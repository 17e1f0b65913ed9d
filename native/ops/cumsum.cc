// cumsum along one dimension, forward or reversed (the reverse is cumsum's gradient). Each
// line is summed in order in double, as torch's CPU kernel accumulates floats: the result is
// the same for any thread count.
#include <algorithm>

#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per task
constexpr int64_t kBlock = 64;       // lines summed side by side (the positions after dim)

// x, out (outer, n, inner) contiguous: out[o][k][i] = Σ x[o][k'][i] over k' <= k (k' >= k when
// reversed). A task owns a block of up to kBlock adjacent lines, so the inner loop runs over
// contiguous memory.
void CumsumLines(const float* x, float* out, int64_t outer, int64_t n, int64_t inner, bool reverse) {
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  ParallelFor(0, outer * blocks, std::max<int64_t>(1, kGrain / std::max<int64_t>(n * std::min(inner, kBlock), 1)),
              [&](int64_t b, int64_t e) {
                for (int64_t t = b; t < e; ++t) {
                  const int64_t o = t / blocks, i0 = (t % blocks) * kBlock, width = std::min(kBlock, inner - i0);
                  double acc[kBlock] = {};
                  for (int64_t step = 0; step < n; ++step) {
                    const int64_t k = reverse ? n - 1 - step : step;
                    const int64_t base = (o * n + k) * inner + i0;
                    for (int64_t i = 0; i < width; ++i) {
                      acc[i] += x[base + i];
                      out[base + i] = static_cast<float>(acc[i]);
                    }
                  }
                }
              });
}

}  // namespace

Tensor Cumsum(const Tensor& x, int64_t dim, bool reverse) {
  RequireFloat(x, "cumsum");
  const int nd = std::max(x.ndim(), 1);
  const int d = NormalizeDim(dim, nd, "dim");
  const Tensor in = Contiguous(x);
  Tensor out = Tensor::Empty(x.shape());
  if (out.numel() == 0) return out;
  int64_t outer = 1, inner = 1;
  for (int k = 0; k < d; ++k) outer *= x.shape()[k];
  for (int k = d + 1; k < x.ndim(); ++k) inner *= x.shape()[k];
  const int64_t n = x.ndim() == 0 ? 1 : x.shape()[d];
  const float* px = in.data<float>();
  float* po = out.data<float>();
  Launch([=] { CumsumLines(px, po, outer, n, inner, reverse); }, in, out);
  return out;
}

}  // namespace tg
