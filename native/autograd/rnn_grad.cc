// One recurrent layer and direction (ops/rnn.h) in the graph: a single node over (x, h0, c0,
// w_ih, w_hh, b_ih, b_hh, w_hr). The op's outputs (out, h_n, c_n) live in one buffer, which is
// the node's output; the three tensors returned are views of it, so the gradients of whichever
// of them the loss uses meet in that buffer before the node's backward runs.
#include "autograd/functions.h"
#include "autograd/record.h"
#include "ops/rnn.h"

namespace tg::autograd {
namespace {

const Tensor* OrNull(const Tensor& t) { return t.defined() ? &t : nullptr; }
Tensor SavedIfDefined(const Tensor& t) { return t.defined() ? Saved(t) : Tensor(); }

Tensor Part(const Tensor& packed, int64_t start, int64_t rows, int64_t cols) {
  return autograd::Reshape(autograd::Narrow(packed, 0, start, rows * cols), {rows, cols});
}

}  // namespace

std::vector<Tensor> RnnLayer(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                             const Tensor& c0, const RnnWeights& w, bool reverse) {
  const bool lstm = mode == RnnMode::kLstm;
  const bool grad = AnyRequiresGrad({&x, &h0, OrNull(c0), &w.w_ih, &w.w_hh, OrNull(w.b_ih), OrNull(w.b_hh), OrNull(w.w_hr)});
  RnnLayerResult r = RnnLayerForward(mode, x, batch_sizes, h0, c0, w, reverse, grad);
  if (!grad) return {Plain(r.out), Plain(r.h_n), lstm ? Plain(r.c_n) : Tensor()};
  const int64_t n = r.out.size(0), p = r.out.size(1), b = r.h_n.size(0), h = lstm ? r.c_n.size(1) : 0;
  const RnnWeights saved_w{Saved(w.w_ih), Saved(w.w_hh), SavedIfDefined(w.b_ih), SavedIfDefined(w.b_hh), SavedIfDefined(w.w_hr)};
  RnnLayerResult fwd = r;
  fwd.packed = Saved(r.packed);
  const Tensor packed = Record(
      r.packed, "RnnLayerBackward0", {&x, &h0, OrNull(c0), &w.w_ih, &w.w_hh, OrNull(w.b_ih), OrNull(w.b_hh), OrNull(w.w_hr)},
      [mode, batch_sizes, reverse, x = Saved(x), h0 = Saved(h0), c0 = SavedIfDefined(c0), w = saved_w, fwd, n, p, b, h](
          const Tensor& g, const Node& self) {
        const Tensor flat = tg::Contiguous(g);
        const auto& storage = flat.storage();
        const int64_t base = flat.offset();
        const Tensor d_out(storage, {n, p}, {p, 1}, base, DType::kFloat32);
        const Tensor d_hn(storage, {b, p}, {p, 1}, base + n * p, DType::kFloat32);
        const Tensor d_cn = h > 0 ? Tensor(storage, {b, h}, {h, 1}, base + n * p + b * p, DType::kFloat32) : Tensor();
        const RnnNeeds needs{self.NeedsGrad(0), self.NeedsGrad(1), self.NeedsGrad(2), self.NeedsGrad(3),
                             self.NeedsGrad(4), self.NeedsGrad(5), self.NeedsGrad(6), self.NeedsGrad(7)};
        RnnLayerGrads d = RnnLayerBackward(mode, x, batch_sizes, h0, c0, w, reverse, fwd, d_out, d_hn, d_cn, needs);
        return GradList{std::move(d.x),    std::move(d.h0),   std::move(d.c0),   std::move(d.w_ih),
                        std::move(d.w_hh), std::move(d.b_ih), std::move(d.b_hh), std::move(d.w_hr)};
      });
  return {Part(packed, 0, n, p), Part(packed, n * p, b, p), lstm ? Part(packed, n * p + b * p, b, h) : Tensor()};
}

}  // namespace tg::autograd
