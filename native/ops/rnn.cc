// A recurrent layer's forward over a packed sequence (ops/rnn.h): checks, allocation, and the
// kernel that runs every step. The backward is in rnn_backward.cc.
#include "ops/rnn.h"

#include <algorithm>
#include <cstring>

#include "kernels/kernel_table.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "ops/rnn_geometry.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {

int64_t RnnGateCount(RnnMode mode) { return mode == RnnMode::kLstm ? 4 : mode == RnnMode::kGru ? 3 : 1; }

namespace rnn_detail {
namespace {

void RequireMatrix(const Tensor& t, const char* name, int64_t rows, int64_t cols) {
  RequireFloat(t, "rnn", name);
  if (t.ndim() != 2 || t.size(0) != rows || t.size(1) != cols) {
    Fail(StatusCode::kShape, "rnn: ", name, " must have shape [", rows, ", ", cols, "], got ", ShapeToString(t.shape()));
  }
}

void RequireVector(const Tensor& t, const char* name, int64_t size) {
  if (!t.defined()) return;
  RequireFloat(t, "rnn", name);
  if (t.ndim() != 1 || t.size(0) != size) Fail(StatusCode::kShape, "rnn: ", name, " must have shape [", size, "], got ", ShapeToString(t.shape()));
}

const CellKernels kReference{GemmReference,
                             {reference::LstmCellForward, reference::LstmCellBackward, reference::GruCellForward,
                              reference::GruCellBackward, reference::RnnCellForward, reference::RnnCellBackward}};

}  // namespace

const CellKernels& CellKernelsFor(bool reference) {
  static const CellKernels fast{Gemm, *Kernels().rnn};
  return reference ? kReference : fast;
}

int64_t RowGrain(int64_t width) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(width, 1)); }

void GatherStart(float* dst, int64_t rows, int64_t width, const float* prev, int64_t prev_rows, const float* init) {
  const int64_t from_prev = prev != nullptr ? std::min(rows, prev_rows) : 0;
  if (from_prev > 0) std::memcpy(dst, prev, static_cast<size_t>(from_prev * width) * sizeof(float));
  if (rows > from_prev) {
    std::memcpy(dst + from_prev * width, init + from_prev * width, static_cast<size_t>((rows - from_prev) * width) * sizeof(float));
  }
}

void Transpose(const float* __restrict src, int64_t rows, int64_t cols, float* __restrict dst, int64_t ld) {
  // 16x16 tiles with fixed bounds, written row by row: the compiler unrolls them, and both
  // tiles stay in L1 (9x faster than a 32x32 tile with variable bounds on a 1024x256 W_hh).
  // Bands of tile rows go across the pool: a serial transpose was 1% of a 2-thread LSTM step.
  constexpr int64_t kTile = 16;
  auto tile = [&](int64_t i0, int64_t j0) {
    if (i0 + kTile <= rows && j0 + kTile <= cols) {
      for (int64_t j = 0; j < kTile; ++j) {
        for (int64_t i = 0; i < kTile; ++i) dst[(j0 + j) * ld + i0 + i] = src[(i0 + i) * cols + j0 + j];
      }
      return;
    }
    for (int64_t j = j0; j < std::min(cols, j0 + kTile); ++j) {
      for (int64_t i = i0; i < std::min(rows, i0 + kTile); ++i) dst[j * ld + i] = src[i * cols + j];
    }
  };
  ParallelFor(0, (rows + kTile - 1) / kTile, 8, [&](int64_t band0, int64_t band1) {
    for (int64_t band = band0; band < band1; ++band) {
      for (int64_t j0 = 0; j0 < cols; j0 += kTile) tile(band * kTile, j0);
    }
  });
}

int64_t Geometry::LastTime(int64_t b) const {
  if (reverse) return 0;
  int64_t t = 0;
  while (t + 1 < steps() && sizes[t + 1] > b) ++t;
  return t;
}

Geometry CheckLayer(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                    const Tensor& c0, const RnnWeights& w, bool reverse) {
  Geometry g;
  g.mode = mode;
  g.reverse = reverse;
  RequireFloat(x, "rnn", "input");
  if (x.ndim() != 2) Fail(StatusCode::kShape, "rnn: the packed input must be 2-D (rows, input size), got ", ShapeToString(x.shape()));
  g.n = x.size(0);
  g.in = x.size(1);
  if (batch_sizes.empty()) Fail(StatusCode::kArgument, "rnn: batchSizes must list at least one time step, got none");
  int64_t total = 0;
  for (size_t t = 0; t < batch_sizes.size(); ++t) {
    const int64_t s = batch_sizes[t];
    if (s < 1 || (t > 0 && s > batch_sizes[t - 1])) {
      Fail(StatusCode::kArgument, "rnn: batchSizes must be positive and non-increasing, got ", s, " at step ", t);
    }
    total += s;
  }
  if (total != g.n) Fail(StatusCode::kShape, "rnn: batchSizes sum to ", total, " rows but the packed input has ", g.n);
  g.sizes = batch_sizes;
  g.offsets.resize(batch_sizes.size());
  for (size_t t = 0, row = 0; t < batch_sizes.size(); row += batch_sizes[t], ++t) g.offsets[t] = static_cast<int64_t>(row);
  g.batch = batch_sizes[0];
  const int64_t gate_count = RnnGateCount(mode);
  if (w.w_hr.defined()) {
    if (mode != RnnMode::kLstm) Fail(StatusCode::kArgument, "rnn: a projection (weight_hr) exists for the LSTM only");
    RequireFloat(w.w_hr, "rnn", "weight_hr");
    if (w.w_hr.ndim() != 2) Fail(StatusCode::kShape, "rnn: weight_hr must be 2-D, got ", ShapeToString(w.w_hr.shape()));
    g.out = w.w_hr.size(0);
    g.hidden = w.w_hr.size(1);
  } else {
    RequireFloat(w.w_hh, "rnn", "weight_hh");
    if (w.w_hh.ndim() != 2) Fail(StatusCode::kShape, "rnn: weight_hh must be 2-D, got ", ShapeToString(w.w_hh.shape()));
    g.hidden = g.out = w.w_hh.size(1);
  }
  g.gates = gate_count * g.hidden;
  RequireMatrix(w.w_ih, "weight_ih", g.gates, g.in);
  RequireMatrix(w.w_hh, "weight_hh", g.gates, g.out);
  RequireVector(w.b_ih, "bias_ih", g.gates);
  RequireVector(w.b_hh, "bias_hh", g.gates);
  RequireMatrix(h0, "h0", g.batch, g.out);
  if (mode == RnnMode::kLstm) RequireMatrix(c0, "c0", g.batch, g.hidden);
  return g;
}

}  // namespace rnn_detail

using namespace rnn_detail;

RnnLayerResult RnnLayerForward(RnnMode mode, const Tensor& x_in, const std::vector<int64_t>& batch_sizes, const Tensor& h0_in,
                               const Tensor& c0_in, const RnnWeights& w_in, bool reverse, bool save, bool reference) {
  const Geometry geo = CheckLayer(mode, x_in, batch_sizes, h0_in, c0_in, w_in, reverse);
  const bool lstm = mode == RnnMode::kLstm, gru = mode == RnnMode::kGru, proj = w_in.w_hr.defined();
  const int64_t N = geo.n, B = geo.batch, H = geo.hidden, P = geo.out, GH = geo.gates, I = geo.in;
  const Tensor x = Contiguous(x_in), h0 = Contiguous(h0_in), c0 = lstm ? Contiguous(c0_in) : Tensor();
  const Tensor w_ih = Contiguous(w_in.w_ih), w_hh = Contiguous(w_in.w_hh);
  const Tensor b_ih = w_in.b_ih.defined() ? Contiguous(w_in.b_ih) : Tensor();
  const Tensor b_hh = w_in.b_hh.defined() ? Contiguous(w_in.b_hh) : Tensor();
  const Tensor w_hr = proj ? Contiguous(w_in.w_hr) : Tensor();

  RnnLayerResult r;
  r.packed = Tensor::Empty({N * P + B * P + (lstm ? B * H : 0)});
  const auto& storage = r.packed.storage();
  const int64_t base = r.packed.offset();
  r.out = Tensor(storage, {N, P}, {P, 1}, base, DType::kFloat32);
  r.h_n = Tensor(storage, {B, P}, {P, 1}, base + N * P, DType::kFloat32);
  if (lstm) r.c_n = Tensor(storage, {B, H}, {H, 1}, base + N * P + B * P, DType::kFloat32);

  RnnWorkspace& ws = r.saved;
  ws.gates = Tensor::Empty({N, GH});
  ws.h_prev = Tensor::Empty({N, P});
  if (lstm) {
    ws.c_prev = Tensor::Empty({N, H});
    ws.c = Tensor::Empty({N, H});
    ws.tc = Tensor::Empty({N, H});
    if (proj) ws.m = Tensor::Empty({N, H});
  }
  if (gru) ws.hn = Tensor::Empty({N, H});
  const Tensor xw = Tensor::Empty({N, GH}), hw = Tensor::Empty({B, GH});
  // W_hhᵀ (P, G·H) and W_hrᵀ (H, P), transposed once per call: with B stored k×n, the GEMM of a
  // step with few rows reads it in place (kernels/gemm/gemm_driver.cc) instead of packing all
  // of W_hh again at every step. Each row is padded by kRowPad floats: rows 4 KB apart (G·H =
  // 1024) all fall in the same L1 sets, and the AVX2 kernel then ran at 62% of its speed.
  const int64_t ld_hh = GH + kRowPad, ld_hr = P + kRowPad;
  const Tensor w_hh_t = Tensor::Empty({P, ld_hh}), w_hr_t = proj ? Tensor::Empty({H, ld_hr}) : Tensor();
  // The LSTM and the RNN add both biases to the input projection; the GRU's b_hh stays with
  // the recurrent product, since its reset gate multiplies (W_hn·h + b_hn).
  const bool sum_biases = !gru && b_ih.defined() && b_hh.defined();
  const Tensor bias_sum = sum_biases ? Tensor::Empty({GH}) : Tensor();

  const float *px = x.data<float>(), *ph0 = h0.data<float>(), *pc0 = lstm ? c0.data<float>() : nullptr;
  const float *pw_ih = w_ih.data<float>(), *pw_hh = w_hh.data<float>(), *pw_hr = proj ? w_hr.data<float>() : nullptr;
  const float *pb_ih = b_ih.defined() ? b_ih.data<float>() : nullptr, *pb_hh = b_hh.defined() ? b_hh.data<float>() : nullptr;
  float *pout = r.out.data<float>(), *phn = r.h_n.data<float>(), *pcn = lstm ? r.c_n.data<float>() : nullptr;
  float *pgates = ws.gates.data<float>(), *phprev = ws.h_prev.data<float>();
  float *pcprev = lstm ? ws.c_prev.data<float>() : nullptr, *pc = lstm ? ws.c.data<float>() : nullptr;
  float *ptc = lstm ? ws.tc.data<float>() : nullptr, *pm = proj ? ws.m.data<float>() : nullptr;
  float *phnw = gru ? ws.hn.data<float>() : nullptr, *pxw = xw.data<float>(), *phw = hw.data<float>();
  float* pbias = sum_biases ? bias_sum.data<float>() : nullptr;
  float *pw_hh_t = w_hh_t.data<float>(), *pw_hr_t = proj ? w_hr_t.data<float>() : nullptr;
  const CellKernels& k = CellKernelsFor(reference);

  Launch([=] {
    const float* input_bias = gru ? pb_ih : pbias != nullptr ? pbias : pb_ih != nullptr ? pb_ih : pb_hh;
    if (pbias != nullptr) for (int64_t j = 0; j < GH; ++j) pbias[j] = pb_ih[j] + pb_hh[j];
    GemmEpilogue input_epilogue{input_bias};
    k.gemm(Trans::kN, Trans::kT, N, GH, I, 1.0f, px, I, pw_ih, I, 0.0f, pxw, GH, input_bias ? &input_epilogue : nullptr);
    Transpose(pw_hh, GH, P, pw_hh_t, ld_hh);
    if (proj) Transpose(pw_hr, P, H, pw_hr_t, ld_hr);
    GemmEpilogue recurrent_epilogue{gru ? pb_hh : nullptr};
    for (int64_t s = 0; s < geo.steps(); ++s) {
      const int64_t t = geo.TimeAt(s), tp = geo.PreviousTime(t), rows = geo.sizes[t], row0 = geo.offsets[t];
      const int64_t prev_rows = tp >= 0 ? geo.sizes[tp] : 0, prev0 = tp >= 0 ? geo.offsets[tp] : 0;
      float* hp = phprev + row0 * P;
      GatherStart(hp, rows, P, tp >= 0 ? pout + prev0 * P : nullptr, prev_rows, ph0);
      if (lstm) GatherStart(pcprev + row0 * H, rows, H, tp >= 0 ? pc + prev0 * H : nullptr, prev_rows, pc0);
      k.gemm(Trans::kN, Trans::kN, rows, GH, P, 1.0f, hp, P, pw_hh_t, ld_hh, 0.0f, phw, GH,
             recurrent_epilogue.bias ? &recurrent_epilogue : nullptr);
      const float* step_xw = pxw + row0 * GH;
      float* step_gates = pgates + row0 * GH;
      ParallelFor(0, rows, RowGrain(GH), [&](int64_t b0, int64_t b1) {
        const int64_t n = b1 - b0;
        if (lstm) {
          float* m = proj ? pm + (row0 + b0) * H : pout + (row0 + b0) * P;
          k.cell.lstm_forward({n, H, step_xw + b0 * GH, phw + b0 * GH, pcprev + (row0 + b0) * H, step_gates + b0 * GH,
                          pc + (row0 + b0) * H, ptc + (row0 + b0) * H, m});
        } else if (gru) {
          k.cell.gru_forward({n, H, step_xw + b0 * GH, phw + b0 * GH, hp + b0 * P, step_gates + b0 * GH, phnw + (row0 + b0) * H,
                         pout + (row0 + b0) * P});
        } else {
          k.cell.rnn_forward({n, H, mode == RnnMode::kRnnRelu, step_xw + b0 * GH, phw + b0 * GH, pout + (row0 + b0) * P});
        }
      });
      if (proj) k.gemm(Trans::kN, Trans::kN, rows, P, H, 1.0f, pm + row0 * H, H, pw_hr_t, ld_hr, 0.0f, pout + row0 * P, P, nullptr);
    }
    for (int64_t b = 0; b < B; ++b) {
      const int64_t row = geo.offsets[geo.LastTime(b)] + b;
      std::memcpy(phn + b * P, pout + row * P, static_cast<size_t>(P) * sizeof(float));
      if (lstm) std::memcpy(pcn + b * H, pc + row * H, static_cast<size_t>(H) * sizeof(float));
    }
  }, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, r.packed, ws.gates, ws.h_prev, ws.c_prev, ws.c, ws.tc, ws.m, ws.hn, xw, hw,
     bias_sum, w_hh_t, w_hr_t);
  if (!save) r.saved = RnnWorkspace{};
  return r;
}

}  // namespace tg
