// triu / tril: the upper or lower triangle of the last two dimensions (one matrix per leading
// index), the rest zero. Diagonal k shifts the boundary: triu keeps j - i >= k, tril j - i <= k.
#include <algorithm>

#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per task: memory-bound, as elementwise.cc

// x, out (batch·rows, cols) contiguous: row t is row t % rows of its matrix. Each row is a
// copied part and a zeroed part, split at column `split`.
template <typename T>
void TriangleRows(const T* x, T* out, int64_t total_rows, int64_t rows, int64_t cols, int64_t diagonal, bool upper) {
  ParallelFor(0, total_rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t i = t % rows;
      const int64_t split = std::clamp<int64_t>(upper ? i + diagonal : i + diagonal + 1, 0, cols);
      const T* src = x + t * cols;
      T* dst = out + t * cols;
      if (upper) {
        std::fill(dst, dst + split, T{0});
        std::copy(src + split, src + cols, dst + split);
      } else {
        std::copy(src, src + split, dst);
        std::fill(dst + split, dst + cols, T{0});
      }
    }
  });
}

}  // namespace

Tensor Triangle(const Tensor& x, int64_t diagonal, bool upper) {
  const char* op = upper ? "triu" : "tril";
  if (x.ndim() < 2) {
    Fail(StatusCode::kShape, op, ": input must have at least 2 dimensions (it works on the last two), got shape ", ShapeToString(x.shape()));
  }
  const Tensor in = Contiguous(x);
  Tensor out = Tensor::Empty(x.shape(), x.dtype());
  if (out.numel() == 0) return out;
  const int64_t rows = x.shape()[x.ndim() - 2], cols = x.shape()[x.ndim() - 1];
  const int64_t total_rows = out.numel() / cols;
  ByDType(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = in.data<T>();
    T* po = out.data<T>();
    Launch([=] { TriangleRows(px, po, total_rows, rows, cols, diagonal, upper); }, in, out);
  });
  return out;
}

}  // namespace tg
