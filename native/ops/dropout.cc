// The dropout mask: keep each entry with probability 1 - p, scaled by 1/(1-p) so the
// expectation of x·mask is x. Drawn from the counter-based Generator like Rand (creation.cc).
#include <cmath>

#include "ops/launch.h"
#include "ops/norm.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {
constexpr int64_t kMaskGrain = 1 << 16;
}  // namespace

void CheckDropoutProbability(double p, const char* op) {
  if (!(p >= 0.0 && p <= 1.0)) Fail(StatusCode::kArgument, op, ": p must be a probability in [0, 1], got ", p);
}

Shape DropoutMaskShape(const Tensor& x, bool channelwise) {
  if (!channelwise) return x.shape();
  if (x.ndim() < 2) {
    Fail(StatusCode::kShape, "dropout2d: input must have at least 2 dimensions (N, C, ...), got shape ", ShapeToString(x.shape()));
  }
  Shape shape(x.ndim(), 1);
  shape[0] = x.shape()[0];
  shape[1] = x.shape()[1];
  return shape;
}

Tensor DropoutMask(const Shape& shape, double p, Generator& gen) {
  CheckDropoutProbability(p, "dropout");
  if (p == 1.0) return Full(shape, 0.0, DType::kFloat32);
  Tensor mask = Tensor::Empty(shape);
  // The counters are reserved now, in program order; the kernel draws from a copy, as Bits
  // depends only on the seed and the counter, and the caller's generator may move on (or be
  // reseeded) before a deferred kernel runs.
  const uint64_t first = gen.Reserve(static_cast<uint64_t>(mask.numel()));
  const Generator draw = gen;
  const double keep = 1.0 - p;
  const float scale = static_cast<float>(1.0 / keep);
  float* m = mask.data<float>();
  const int64_t n = mask.numel();
  Launch([=] {
    ParallelFor(0, n, kMaskGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        m[i] = BitsToUniform(draw.Bits(first + static_cast<uint64_t>(i))) < keep ? scale : 0.0f;
      }
    });
  }, mask);
  return mask;
}

}  // namespace tg
