// A recurrent layer's backward (ops/rnn.h): back through the steps with one recurrent GEMM
// and one fused gate kernel each, then dx and every weight gradient as one GEMM over all
// steps, and the bias gradients as column sums in a fixed order.
#include <algorithm>
#include <cstring>

#include "kernels/kernel_table.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "ops/rnn.h"
#include "ops/rnn_geometry.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {

using namespace rnn_detail;

namespace {

const float* DataOrNull(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

Tensor CheckedGrad(const Tensor& g, const Shape& shape, const char* name) {
  if (!g.defined()) return g;
  if (g.shape() != shape) Fail(StatusCode::kShape, "rnn backward: ", name, " gradient has shape ", ShapeToString(g.shape()), ", expected ", ShapeToString(shape));
  return Contiguous(g);
}

// db[j] = Σ_rows m[row, j] over a (rows, cols) matrix: float partial sums over blocks of
// kColsumRowBlock rows, blocks added in double (the order activation.h fixes for the linear
// backward). Threads split the columns, and a column's sum never depends on the split.
void ColumnSums(const float* m, int64_t rows, int64_t cols, float* db) {
  constexpr int64_t kChunk = 256;  // columns per pass: partial and total stay in L1
  ParallelFor(0, cols, kChunk, [&](int64_t c0, int64_t c1) {
    for (int64_t j0 = c0; j0 < c1; j0 += kChunk) {
      const int64_t width = std::min(kChunk, c1 - j0);
      double total[kChunk] = {};
      for (int64_t i0 = 0; i0 < rows; i0 += kColsumRowBlock) {
        float partial[kChunk] = {};
        const int64_t i1 = std::min(rows, i0 + kColsumRowBlock);
        for (int64_t i = i0; i < i1; ++i) {
          const float* row = m + i * cols + j0;
          for (int64_t j = 0; j < width; ++j) partial[j] += row[j];
        }
        for (int64_t j = 0; j < width; ++j) total[j] += partial[j];
      }
      for (int64_t j = 0; j < width; ++j) db[j0 + j] = static_cast<float>(total[j]);
    }
  });
}

void ColumnSumsReference(const float* m, int64_t rows, int64_t cols, float* db) {
  for (int64_t j = 0; j < cols; ++j) {
    double s = 0;
    for (int64_t i = 0; i < rows; ++i) s += m[i * cols + j];
    db[j] = static_cast<float>(s);
  }
}

}  // namespace

RnnLayerGrads RnnLayerBackward(RnnMode mode, const Tensor& x_in, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                               const Tensor& c0, const RnnWeights& w_in, bool reverse, const RnnLayerResult& fwd,
                               const Tensor& d_out_in, const Tensor& d_hn_in, const Tensor& d_cn_in, const RnnNeeds& needs,
                               bool reference) {
  const Geometry geo = CheckLayer(mode, x_in, batch_sizes, h0, c0, w_in, reverse);
  const bool lstm = mode == RnnMode::kLstm, gru = mode == RnnMode::kGru, proj = w_in.w_hr.defined();
  const int64_t N = geo.n, B = geo.batch, H = geo.hidden, P = geo.out, GH = geo.gates, I = geo.in;
  const RnnWorkspace& ws = fwd.saved;
  if (!ws.gates.defined()) Fail(StatusCode::kInternal, "rnn backward: the forward pass saved no workspace");
  const Tensor x = Contiguous(x_in), w_ih = Contiguous(w_in.w_ih), w_hh = Contiguous(w_in.w_hh);
  const Tensor w_hr = proj ? Contiguous(w_in.w_hr) : Tensor();
  const Tensor d_out = CheckedGrad(d_out_in, {N, P}, "output");
  const Tensor d_hn = CheckedGrad(d_hn_in, {B, P}, "h_n");
  const Tensor d_cn = lstm ? CheckedGrad(d_cn_in, {B, H}, "c_n") : Tensor();

  RnnLayerGrads grads;
  if (needs.x) grads.x = Tensor::Empty({N, I});
  if (needs.h0) grads.h0 = Tensor::Empty({B, P});
  if (needs.c0 && lstm) grads.c0 = Tensor::Empty({B, H});
  if (needs.w_ih) grads.w_ih = Tensor::Empty({GH, I});
  if (needs.w_hh) grads.w_hh = Tensor::Empty({GH, P});
  if (needs.b_ih && w_in.b_ih.defined()) grads.b_ih = Tensor::Empty({GH});
  if (needs.b_hh && w_in.b_hh.defined()) grads.b_hh = Tensor::Empty({GH});
  if (needs.w_hr && proj) grads.w_hr = Tensor::Empty({P, H});
  // dgx = ∂L/∂(input projection) per row; dgh = ∂L/∂(recurrent product), the same buffer
  // except for the GRU. dh and dc carry the state gradients from step to step; dh_total keeps
  // each step's ∂L/∂h for the projection's weight gradient.
  const Tensor dgx = Tensor::Empty({N, GH}), dgh = gru ? Tensor::Empty({N, GH}) : dgx;
  const Tensor dh = Tensor::Empty({B, P}), dc = lstm ? Tensor::Empty({B, H}) : Tensor();
  const Tensor dh_total = proj ? Tensor::Empty({N, P}) : Tensor(), dm = proj ? Tensor::Empty({B, H}) : Tensor();
  const Tensor dh_direct = gru ? Tensor::Empty({B, H}) : Tensor();

  const float *px = x.data<float>(), *pw_ih = w_ih.data<float>(), *pw_hh = w_hh.data<float>(), *pw_hr = DataOrNull(w_hr);
  const float *pd_out = DataOrNull(d_out), *pd_hn = DataOrNull(d_hn), *pd_cn = DataOrNull(d_cn);
  const float *pgates = ws.gates.data<float>(), *phprev = ws.h_prev.data<float>(), *pout = fwd.out.data<float>();
  const float *pcprev = DataOrNull(ws.c_prev), *ptc = DataOrNull(ws.tc), *pm = DataOrNull(ws.m), *phnw = DataOrNull(ws.hn);
  float *pdgx = dgx.data<float>(), *pdgh = dgh.data<float>(), *pdh = dh.data<float>();
  float *pdc = lstm ? dc.data<float>() : nullptr, *pdh_total = proj ? dh_total.data<float>() : nullptr;
  float *pdm = proj ? dm.data<float>() : nullptr, *pdirect = gru ? dh_direct.data<float>() : nullptr;
  float *gx = grads.x.defined() ? grads.x.data<float>() : nullptr, *gh0 = grads.h0.defined() ? grads.h0.data<float>() : nullptr;
  float* gc0 = grads.c0.defined() ? grads.c0.data<float>() : nullptr;
  float *gw_ih = grads.w_ih.defined() ? grads.w_ih.data<float>() : nullptr;
  float *gw_hh = grads.w_hh.defined() ? grads.w_hh.data<float>() : nullptr;
  float *gb_ih = grads.b_ih.defined() ? grads.b_ih.data<float>() : nullptr;
  float *gb_hh = grads.b_hh.defined() ? grads.b_hh.data<float>() : nullptr;
  float *gw_hr = grads.w_hr.defined() ? grads.w_hr.data<float>() : nullptr;
  const CellKernels& k = CellKernelsFor(reference);

  Launch([=] {
    const size_t state_bytes = static_cast<size_t>(B * P) * sizeof(float);
    if (pd_hn != nullptr) std::memcpy(pdh, pd_hn, state_bytes);
    else std::memset(pdh, 0, state_bytes);
    if (lstm) {
      if (pd_cn != nullptr) std::memcpy(pdc, pd_cn, static_cast<size_t>(B * H) * sizeof(float));
      else std::memset(pdc, 0, static_cast<size_t>(B * H) * sizeof(float));
    }
    // Rows that are not active yet (going backwards) keep their h_n / c_n gradient until the
    // step that produced their final state; rows whose state started from h0 are not touched
    // again once their first step is done, so dh and dc end as ∂L/∂h0 and ∂L/∂c0.
    for (int64_t s = geo.steps() - 1; s >= 0; --s) {
      const int64_t t = geo.TimeAt(s), rows = geo.sizes[t], row0 = geo.offsets[t];
      if (pd_out != nullptr) {
        const float* src = pd_out + row0 * P;
        for (int64_t j = 0; j < rows * P; ++j) pdh[j] += src[j];
      }
      const float* dm_rows = pdh;
      if (proj) {
        std::memcpy(pdh_total + row0 * P, pdh, static_cast<size_t>(rows * P) * sizeof(float));
        k.gemm(Trans::kN, Trans::kN, rows, H, P, 1.0f, pdh, P, pw_hr, H, 0.0f, pdm, H, nullptr);
        dm_rows = pdm;
      }
      float *step_dgx = pdgx + row0 * GH, *step_dgh = pdgh + row0 * GH;
      ParallelFor(0, rows, RowGrain(GH), [&](int64_t b0, int64_t b1) {
        const int64_t n = b1 - b0, r = row0 + b0;
        if (lstm) {
          k.cell.lstm_backward({n, H, pgates + r * GH, pcprev + r * H, ptc + r * H, dm_rows + b0 * H, pdc + b0 * H, step_dgx + b0 * GH});
        } else if (gru) {
          k.cell.gru_backward({n, H, pgates + r * GH, phnw + r * H, phprev + r * P, pdh + b0 * P, step_dgx + b0 * GH,
                          step_dgh + b0 * GH, pdirect + b0 * H});
        } else {
          k.cell.rnn_backward({n, H, mode == RnnMode::kRnnRelu, pout + r * P, pdh + b0 * P, step_dgx + b0 * GH});
        }
      });
      if (gru) {
        k.gemm(Trans::kN, Trans::kN, rows, P, GH, 1.0f, step_dgh, GH, pw_hh, P, 1.0f, pdirect, P, nullptr);
        std::memcpy(pdh, pdirect, static_cast<size_t>(rows * P) * sizeof(float));
      } else {
        k.gemm(Trans::kN, Trans::kN, rows, P, GH, 1.0f, step_dgh, GH, pw_hh, P, 0.0f, pdh, P, nullptr);
      }
    }
    if (gh0 != nullptr) std::memcpy(gh0, pdh, state_bytes);
    if (gc0 != nullptr) std::memcpy(gc0, pdc, static_cast<size_t>(B * H) * sizeof(float));
    if (gx != nullptr) k.gemm(Trans::kN, Trans::kN, N, I, GH, 1.0f, pdgx, GH, pw_ih, I, 0.0f, gx, I, nullptr);
    if (gw_ih != nullptr) k.gemm(Trans::kT, Trans::kN, GH, I, N, 1.0f, pdgx, GH, px, I, 0.0f, gw_ih, I, nullptr);
    if (gw_hh != nullptr) k.gemm(Trans::kT, Trans::kN, GH, P, N, 1.0f, pdgh, GH, phprev, P, 0.0f, gw_hh, P, nullptr);
    if (gw_hr != nullptr) k.gemm(Trans::kT, Trans::kN, P, H, N, 1.0f, pdh_total, P, pm, H, 0.0f, gw_hr, H, nullptr);
    const auto sums = reference ? ColumnSumsReference : ColumnSums;
    if (gb_ih != nullptr) sums(pdgx, N, GH, gb_ih);
    if (gb_hh != nullptr && gb_ih != nullptr && pdgh == pdgx) std::memcpy(gb_hh, gb_ih, static_cast<size_t>(GH) * sizeof(float));
    else if (gb_hh != nullptr) sums(pdgh, N, GH, gb_hh);
  }, x, w_ih, w_hh, w_hr, d_out, d_hn, d_cn, fwd.packed, ws.gates, ws.h_prev, ws.c_prev, ws.tc, ws.m, ws.hn, dgx, dgh, dh, dc,
     dh_total, dm, dh_direct, grads.x, grads.h0, grads.c0, grads.w_ih, grads.w_hh, grads.b_ih, grads.b_hh, grads.w_hr);
  return grads;
}

}  // namespace tg
