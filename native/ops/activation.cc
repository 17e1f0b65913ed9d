// Activations, step and softmax over the ISA's kernels (kernels/activation.h, softmax.h).
// Elementwise work is split into fixed chunks; softmax into whole rows.
#include <algorithm>

#include "kernels/kernel_table.h"
#include "ops/launch.h"
#include "ops/nn.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kGrain = 1 << 14;

const char* ActivationName(Activation act) {
  static const char* names[] = {"identity", "relu", "leakyRelu", "sigmoid", "tanh"};
  return names[static_cast<int>(act)];
}

// x moved so `dim` is last, contiguous: rows of n along dim.
struct Rows {
  Tensor data;
  int dim;
  bool moved;
  int64_t n, rows;
};

Rows RowsAlong(const Tensor& x, int64_t dim, const char* op) {
  Rows r;
  r.dim = NormalizeDim(dim, x.ndim(), "dim");
  r.moved = x.ndim() > 1 && r.dim != x.ndim() - 1;
  r.data = Contiguous(r.moved ? Transpose(x, r.dim, -1) : x);
  r.n = x.ndim() == 0 ? 1 : r.data.shape().back();
  r.rows = r.n == 0 ? 0 : r.data.numel() / r.n;
  return r;
}

// Undoes RowsAlong's move on a result of the moved shape.
Tensor BackFromRows(const Rows& r, const Tensor& out) { return r.moved ? Contiguous(Transpose(out, r.dim, -1)) : out; }

// Takes the row sizes, not Rows: it runs inside a kernel closure, which must not hold a Tensor.
template <class Fn>
void ForRows(int64_t n, int64_t rows, Fn fn) {
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1));
  ParallelFor(0, rows, grain, [&](int64_t b, int64_t e) { fn(b * n, e - b); });
}

}  // namespace

Tensor Activate(const Tensor& x, Activation act, float negative_slope) {
  RequireFloat(x, ActivationName(act));
  const Tensor in = Contiguous(x);
  Tensor out = Tensor::Empty(x.shape());
  const auto kernel = Kernels().activation->forward[static_cast<int>(act)];
  const float* src = in.data<float>();
  float* dst = out.data<float>();
  const int64_t n = out.numel();
  Launch([=] { ParallelFor(0, n, kGrain, [&](int64_t b, int64_t e) { kernel(src + b, dst + b, e - b, negative_slope); }); }, in, out);
  return out;
}

Tensor ActivationBackward(const Tensor& v, const Tensor& g, Activation act, float negative_slope) {
  if (v.shape() != g.shape()) {
    Fail(StatusCode::kShape, ActivationName(act), " backward: gradient shape ", ShapeToString(g.shape()),
         " differs from the saved tensor's ", ShapeToString(v.shape()));
  }
  const Tensor vc = Contiguous(v), gc = Contiguous(g);
  Tensor out = Tensor::Empty(v.shape());
  const auto kernel = Kernels().activation->backward[static_cast<int>(act)];
  const float* pv = vc.data<float>();
  const float* pg = gc.data<float>();
  float* dst = out.data<float>();
  const int64_t n = out.numel();
  Launch([=] {
    ParallelFor(0, n, kGrain, [&](int64_t b, int64_t e) { kernel(pv + b, pg + b, dst + b, e - b, negative_slope); });
  }, vc, gc, out);
  return out;
}

Tensor Step(const Tensor& x) {
  RequireFloat(x, "step");
  const Tensor in = Contiguous(x);
  Tensor out = Tensor::Empty(x.shape());
  const auto kernel = Kernels().activation->step;
  const float* src = in.data<float>();
  float* dst = out.data<float>();
  const int64_t n = out.numel();
  Launch([=] { ParallelFor(0, n, kGrain, [&](int64_t b, int64_t e) { kernel(src + b, dst + b, e - b); }); }, in, out);
  return out;
}

Tensor Softmax(const Tensor& x, int64_t dim, bool log) {
  RequireFloat(x, log ? "logSoftmax" : "softmax");
  const Rows r = RowsAlong(x, dim, log ? "logSoftmax" : "softmax");
  Tensor out = Tensor::Empty(r.data.shape());
  const SoftmaxKernels& k = *Kernels().softmax;
  const auto kernel = log ? k.log_softmax : k.softmax;
  const float* src = r.data.data<float>();
  float* dst = out.data<float>();
  const int64_t n = r.n, rows = r.rows;
  Launch([=] { ForRows(n, rows, [&](int64_t offset, int64_t count) { kernel(src + offset, dst + offset, count, n); }); },
         r.data, out);
  return BackFromRows(r, out);
}

Tensor SoftmaxBackward(const Tensor& y, const Tensor& g, int64_t dim, bool log) {
  if (y.shape() != g.shape()) {
    Fail(StatusCode::kShape, "softmax backward: gradient shape ", ShapeToString(g.shape()), " differs from the output's ",
         ShapeToString(y.shape()));
  }
  const Rows ry = RowsAlong(y, dim, "softmax"), rg = RowsAlong(g, dim, "softmax");
  Tensor out = Tensor::Empty(ry.data.shape());
  const SoftmaxKernels& k = *Kernels().softmax;
  const auto kernel = log ? k.log_softmax_backward : k.softmax_backward;
  const float* py = ry.data.data<float>();
  const float* pg = rg.data.data<float>();
  float* dst = out.data<float>();
  const int64_t n = ry.n, rows = ry.rows;
  Launch([=] {
    ForRows(n, rows, [&](int64_t offset, int64_t count) { kernel(py + offset, pg + offset, dst + offset, count, n); });
  }, ry.data, rg.data, out);
  return BackFromRows(ry, out);
}

}  // namespace tg
