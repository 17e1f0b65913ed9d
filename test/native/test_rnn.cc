// Recurrent layers (ops/rnn.h, kernels/rnn.h). Each fused gate kernel against its reference
// twin; the whole layer, forward and backward, against the reference path (GemmReference and
// the twins) for every mode, both directions, a projection, and packed batches whose sizes
// shrink; bit-identical results for a given thread count; the argument errors.
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/rnn.h"
#include "ops/ops.h"
#include "ops/rnn.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

namespace {

using tg_testing::Contains;
using tg_testing::ErrorOf;
using tg_testing::ExpectNear;
using tg_testing::SameBits;
using tg_testing::Uniform;

std::vector<float> ToVector(const Tensor& t) {
  if (!t.defined()) return {};
  const Tensor c = Contiguous(t);
  return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}

Tensor Random(const Shape& shape, uint32_t seed, float scale = 1.0f) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  const std::vector<float> v = Uniform(static_cast<size_t>(n), -scale, scale, seed);
  return FromCopy(v.data(), shape, DType::kFloat32);
}

// ---- the fused kernels against their twins --------------------------------------------------

// Every ISA this CPU runs, with its table.
std::vector<std::pair<std::string, const RnnKernels*>> Tables() {
  std::vector<std::pair<std::string, const RnnKernels*>> out;
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
    if (IsaSupported(isa)) out.emplace_back(IsaName(isa), KernelsFor(isa).rnn);
  }
  return out;
}

TG_TEST(lstm_cell_kernels_match_their_twins) {
  for (const auto& [isa, table] : Tables()) {
  for (int64_t H : {1, 7, 16, 33}) {
    const int64_t rows = 5;
    const auto xw = Uniform(rows * 4 * H, -3, 3, 1), hw = Uniform(rows * 4 * H, -3, 3, 2);
    const auto cp = Uniform(rows * H, -2, 2, 3), dm = Uniform(rows * H, -1, 1, 4), dc0 = Uniform(rows * H, -1, 1, 5);
    std::vector<float> g[2], c[2], tc[2], m[2], dc[2], dg[2];
    for (int k = 0; k < 2; ++k) {
      g[k].resize(rows * 4 * H), c[k].resize(rows * H), tc[k].resize(rows * H), m[k].resize(rows * H);
      dc[k] = dc0, dg[k].resize(rows * 4 * H);
      const LstmForwardArgs f{rows, H, xw.data(), hw.data(), cp.data(), g[k].data(), c[k].data(), tc[k].data(), m[k].data()};
      k == 0 ? table->lstm_forward(f) : reference::LstmCellForward(f);
    }
    for (int k = 0; k < 2; ++k) {
      // Both backward kernels start from the reference forward, so only the backward differs.
      const LstmBackwardArgs b{rows, H, g[1].data(), cp.data(), tc[1].data(), dm.data(), dc[k].data(), dg[k].data()};
      k == 0 ? table->lstm_backward(b) : reference::LstmCellBackward(b);
    }
    const std::string at = " " + isa + " H=" + std::to_string(H);
    ExpectNear("gates" + at, g[0], g[1], 1e-5, 1e-6);
    ExpectNear("c" + at, c[0], c[1], 1e-5, 1e-6);
    ExpectNear("tanh(c)" + at, tc[0], tc[1], 1e-5, 1e-6);
    ExpectNear("m" + at, m[0], m[1], 1e-5, 1e-6);
    ExpectNear("dgates" + at, dg[0], dg[1], 1e-5, 1e-6);
    ExpectNear("dc_prev" + at, dc[0], dc[1], 1e-5, 1e-6);
  }
  }
}

TG_TEST(gru_and_rnn_cell_kernels_match_their_twins) {
  for (const auto& [isa, table] : Tables()) {
  for (int64_t H : {1, 9, 32}) {
    const int64_t rows = 4;
    const auto xw = Uniform(rows * 3 * H, -3, 3, 6), hw = Uniform(rows * 3 * H, -3, 3, 7);
    const auto hp = Uniform(rows * H, -1, 1, 8), dh = Uniform(rows * H, -1, 1, 9);
    std::vector<float> g[2], hn[2], h[2], dgx[2], dgh[2], dhp[2];
    for (int k = 0; k < 2; ++k) {
      g[k].resize(rows * 3 * H), hn[k].resize(rows * H), h[k].resize(rows * H);
      dgx[k].resize(rows * 3 * H), dgh[k].resize(rows * 3 * H), dhp[k].resize(rows * H);
      const GruForwardArgs f{rows, H, xw.data(), hw.data(), hp.data(), g[k].data(), hn[k].data(), h[k].data()};
      k == 0 ? table->gru_forward(f) : reference::GruCellForward(f);
    }
    for (int k = 0; k < 2; ++k) {
      const GruBackwardArgs b{rows, H, g[1].data(), hn[1].data(), hp.data(), dh.data(), dgx[k].data(), dgh[k].data(), dhp[k].data()};
      k == 0 ? table->gru_backward(b) : reference::GruCellBackward(b);
    }
    const std::string at = " " + isa + " H=" + std::to_string(H);
    ExpectNear("gru gates" + at, g[0], g[1], 1e-5, 1e-6);
    ExpectNear("gru hn" + at, hn[0], hn[1], 0, 0);
    ExpectNear("gru h" + at, h[0], h[1], 1e-5, 1e-6);
    ExpectNear("gru dgx" + at, dgx[0], dgx[1], 1e-5, 1e-6);
    ExpectNear("gru dgh" + at, dgh[0], dgh[1], 1e-5, 1e-6);
    ExpectNear("gru dh_prev" + at, dhp[0], dhp[1], 1e-5, 1e-6);
    for (bool relu : {false, true}) {
      std::vector<float> out[2], dpre[2];
      for (int k = 0; k < 2; ++k) {
        out[k].resize(rows * H), dpre[k].resize(rows * H);
        const RnnForwardArgs f{rows, H, relu, xw.data(), hw.data(), out[k].data()};
        k == 0 ? table->rnn_forward(f) : reference::RnnCellForward(f);
      }
      for (int k = 0; k < 2; ++k) {
        const RnnBackwardArgs b{rows, H, relu, out[1].data(), dh.data(), dpre[k].data()};
        k == 0 ? table->rnn_backward(b) : reference::RnnCellBackward(b);
      }
      ExpectNear(std::string(relu ? "relu" : "tanh") + " h" + at, out[0], out[1], 1e-5, 1e-6);
      ExpectNear(std::string(relu ? "relu" : "tanh") + " dpre" + at, dpre[0], dpre[1], 1e-5, 1e-6);
    }
  }
  }
}

// ---- the layer against the reference path ---------------------------------------------------

struct Layer {
  RnnMode mode;
  Tensor x, h0, c0;
  RnnWeights w;
  std::vector<int64_t> sizes;
};

Layer MakeLayer(RnnMode mode, int64_t in, int64_t hidden, int64_t proj, std::vector<int64_t> sizes, bool bias, uint32_t seed) {
  Layer l{mode, {}, {}, {}, {}, std::move(sizes)};
  int64_t n = 0;
  for (int64_t s : l.sizes) n += s;
  const int64_t gates = RnnGateCount(mode) * hidden, out = proj > 0 ? proj : hidden, batch = l.sizes[0];
  l.x = Random({n, in}, seed);
  l.h0 = Random({batch, out}, seed + 1);
  if (mode == RnnMode::kLstm) l.c0 = Random({batch, hidden}, seed + 2);
  l.w.w_ih = Random({gates, in}, seed + 3, 0.5f);
  l.w.w_hh = Random({gates, out}, seed + 4, 0.5f);
  if (bias) {
    l.w.b_ih = Random({gates}, seed + 5, 0.5f);
    l.w.b_hh = Random({gates}, seed + 6, 0.5f);
  }
  if (proj > 0) l.w.w_hr = Random({proj, hidden}, seed + 7, 0.5f);
  return l;
}

struct Run {
  RnnLayerResult fwd;
  RnnLayerGrads grads;
};

Run RunLayer(const Layer& l, bool reverse, bool reference) {
  Run r;
  r.fwd = RnnLayerForward(l.mode, l.x, l.sizes, l.h0, l.c0, l.w, reverse, true, reference);
  const Tensor d_out = Random(r.fwd.out.shape(), 11), d_hn = Random(r.fwd.h_n.shape(), 12);
  const Tensor d_cn = l.mode == RnnMode::kLstm ? Random(r.fwd.c_n.shape(), 13) : Tensor();
  const RnnNeeds all{true, true, true, true, true, true, true, true};
  r.grads = RnnLayerBackward(l.mode, l.x, l.sizes, l.h0, l.c0, l.w, reverse, r.fwd, d_out, d_hn, d_cn, all, reference);
  return r;
}

void ExpectSame(const std::string& what, const Run& a, const Run& b, double tol) {
  const std::vector<std::pair<const char*, std::pair<Tensor, Tensor>>> pairs = {
      {"out", {a.fwd.out, b.fwd.out}},         {"h_n", {a.fwd.h_n, b.fwd.h_n}},        {"c_n", {a.fwd.c_n, b.fwd.c_n}},
      {"dx", {a.grads.x, b.grads.x}},          {"dh0", {a.grads.h0, b.grads.h0}},      {"dc0", {a.grads.c0, b.grads.c0}},
      {"dw_ih", {a.grads.w_ih, b.grads.w_ih}}, {"dw_hh", {a.grads.w_hh, b.grads.w_hh}}, {"db_ih", {a.grads.b_ih, b.grads.b_ih}},
      {"db_hh", {a.grads.b_hh, b.grads.b_hh}}, {"dw_hr", {a.grads.w_hr, b.grads.w_hr}}};
  for (const auto& [name, p] : pairs) {
    EXPECT_EQ(p.first.defined(), p.second.defined());
    if (tol == 0) {
      if (!SameBits(ToVector(p.first), ToVector(p.second))) tg_testing::Report(__FILE__, __LINE__, what + " " + name + " differs");
    } else {
      ExpectNear(what + " " + name, ToVector(p.first), ToVector(p.second), tol, tol);
    }
  }
}

const char* ModeName(RnnMode m) {
  return m == RnnMode::kLstm ? "lstm" : m == RnnMode::kGru ? "gru" : m == RnnMode::kRnnRelu ? "relu" : "tanh";
}

TG_TEST(layers_match_the_reference_path_in_every_mode_and_layout) {
  const std::vector<std::vector<int64_t>> layouts = {{3, 3, 3, 3}, {4, 4, 2, 1, 1}, {1}, {5, 2}};
  uint32_t seed = 100;
  for (RnnMode mode : {RnnMode::kRnnTanh, RnnMode::kRnnRelu, RnnMode::kLstm, RnnMode::kGru}) {
    for (const auto& sizes : layouts) {
      for (bool reverse : {false, true}) {
        for (int64_t proj : {0, 3}) {
          if (proj > 0 && mode != RnnMode::kLstm) continue;
          for (bool bias : {true, false}) {
            const Layer l = MakeLayer(mode, 6, 20, proj, sizes, bias, seed += 10);
            const std::string what = std::string(ModeName(mode)) + (reverse ? " reverse" : "") + (proj ? " proj" : "") +
                                     (bias ? "" : " no-bias") + " steps=" + std::to_string(sizes.size());
            ExpectSame(what, RunLayer(l, reverse, false), RunLayer(l, reverse, true), 2e-5);
          }
        }
      }
    }
  }
}

TG_TEST(results_are_bit_identical_for_a_given_thread_count) {
  const Layer l = MakeLayer(RnnMode::kLstm, 40, 64, 24, {16, 16, 12, 9, 9, 3}, true, 7);
  for (int threads : {1, 2}) {
    SetNumThreads(threads);
    ExpectSame("lstm at " + std::to_string(threads) + " threads", RunLayer(l, false, false), RunLayer(l, false, false), 0);
    ExpectSame("lstm reverse at " + std::to_string(threads) + " threads", RunLayer(l, true, false), RunLayer(l, true, false), 0);
  }
  const Layer g = MakeLayer(RnnMode::kGru, 40, 64, 0, {16, 16, 12, 9, 9, 3}, true, 9);
  ExpectSame("gru at 2 threads", RunLayer(g, false, false), RunLayer(g, false, false), 0);
  SetNumThreads(1);
}

TG_TEST(the_final_state_is_each_sequence_s_last_step) {
  // Sizes {3, 2, 1}: sequence 0 ends at step 2, sequence 1 at step 1, sequence 2 at step 0.
  const Layer l = MakeLayer(RnnMode::kGru, 2, 4, 0, {3, 2, 1}, true, 3);
  const RnnLayerResult r = RnnLayerForward(l.mode, l.x, l.sizes, l.h0, l.c0, l.w, false, false);
  const std::vector<float> out = ToVector(r.out), h_n = ToVector(r.h_n);
  const int64_t rows_of[3] = {3 + 2 + 0, 3 + 1, 2};  // packed row of each sequence's last step
  for (int64_t b = 0; b < 3; ++b) {
    for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(h_n[b * 4 + j], out[rows_of[b] * 4 + j]);
  }
  // Reverse: every sequence ends at step 0, packed rows 0..2.
  const RnnLayerResult rr = RnnLayerForward(l.mode, l.x, l.sizes, l.h0, l.c0, l.w, true, false);
  const std::vector<float> rout = ToVector(rr.out), rh = ToVector(rr.h_n);
  for (int64_t k = 0; k < 12; ++k) EXPECT_EQ(rh[k], rout[k]);
}

TG_TEST(bad_arguments_are_errors_naming_them) {
  const Layer l = MakeLayer(RnnMode::kLstm, 3, 4, 0, {2, 2}, true, 1);
  auto forward = [&](const std::vector<int64_t>& sizes, const Tensor& h0, const RnnWeights& w, RnnMode mode = RnnMode::kLstm) {
    return ErrorOf([&] { RnnLayerForward(mode, l.x, sizes, h0, l.c0, w, false, false); });
  };
  EXPECT_TRUE(Contains(forward({1, 3}, l.h0, l.w), "non-increasing"));
  EXPECT_TRUE(Contains(forward({2, 1}, l.h0, l.w), "sum to 3 rows but the packed input has 4"));
  EXPECT_TRUE(Contains(forward({}, l.h0, l.w), "at least one time step"));
  EXPECT_TRUE(Contains(forward({2, 2}, Random({3, 4}, 1), l.w), "h0 must have shape [2, 4]"));
  RnnWeights bad = l.w;
  bad.w_hh = Random({16, 5}, 2);
  EXPECT_TRUE(Contains(forward({2, 2}, l.h0, bad), "weight_ih must have shape [20, 3]"));
  bad = l.w;
  bad.b_ih = Random({15}, 2);
  EXPECT_TRUE(Contains(forward({2, 2}, l.h0, bad), "bias_ih must have shape [16]"));
  bad = l.w;
  bad.w_hr = Random({2, 4}, 2);
  EXPECT_TRUE(Contains(forward({2, 2}, l.h0, bad, RnnMode::kGru), "LSTM only"));
}

}  // namespace

TG_TEST_MAIN()
