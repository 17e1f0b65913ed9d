// The fused gate kernels of one recurrent step, on the active rows of a batch. The GEMMs
// around them (the input projection of all steps, the recurrent product of each step, the
// weight gradients over all steps) are the caller's (ops/rnn.cc). Row-major throughout, every
// matrix contiguous with the widths given; H is the hidden size; gate blocks lie side by side
// in each row in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).
//
// Each ISA has a table of them (RnnKernels: simd/rnn.inc for AVX2 and AVX-512, rnn.cc for
// portable C++), and every kernel has a reference twin (rnn_ref.cc): the textbook formula in
// double, which the tests compare every table with.
#pragma once

#include <cstdint>

namespace tg {

// LSTM forward. xw (rows, 4H) = x·W_ihᵀ + b_ih + b_hh; hw (rows, 4H) = h_prev·W_hhᵀ;
// c_prev (rows, H). Writes gates (rows, 4H) = σ(i), σ(f), tanh(g), σ(o) of xw + hw;
// c = f·c_prev + i·g; tc = tanh(c); m = o·tc (the hidden state before any projection).
struct LstmForwardArgs {
  int64_t rows, hidden;
  const float *xw, *hw, *c_prev;
  float *gates, *c, *tc, *m;
};
// LSTM backward. From the forward's gates, c_prev and tc, dm (rows, H) = ∂L/∂m and
// dc (rows, H) = ∂L/∂c from later steps: writes dgates (rows, 4H) = ∂L/∂(xw + hw), and
// overwrites dc with ∂L/∂c_prev.
struct LstmBackwardArgs {
  int64_t rows, hidden;
  const float *gates, *c_prev, *tc, *dm;
  float *dc, *dgates;
};

// GRU forward. xw (rows, 3H) = x·W_ihᵀ + b_ih; hw (rows, 3H) = h_prev·W_hhᵀ + b_hh;
// h_prev (rows, H). Writes gates (rows, 3H) = r, z, n with r = σ(xw_r + hw_r),
// z = σ(xw_z + hw_z), n = tanh(xw_n + r·hw_n); hn (rows, H) = hw_n (saved for the backward);
// h = (1 - z)·n + z·h_prev.
struct GruForwardArgs {
  int64_t rows, hidden;
  const float *xw, *hw, *h_prev;
  float *gates, *hn, *h;
};
// GRU backward. From gates, hn and h_prev, dh (rows, H) = ∂L/∂h: writes dgx (rows, 3H) =
// ∂L/∂xw, dgh (rows, 3H) = ∂L/∂hw (they differ in the n block: r·∂L/∂(n's input)), and
// dh_prev (rows, H) = the direct part z·dh (the caller adds dgh·W_hh).
struct GruBackwardArgs {
  int64_t rows, hidden;
  const float *gates, *hn, *h_prev, *dh;
  float *dgx, *dgh, *dh_prev;
};

// Elman RNN forward: h = act(xw + hw), act tanh (relu false) or relu; xw, hw, h (rows, H).
struct RnnForwardArgs {
  int64_t rows, hidden;
  bool relu;
  const float *xw, *hw;
  float* h;
};
// Elman RNN backward: dpre (rows, H) = dh·act'(·), from the forward's output h.
struct RnnBackwardArgs {
  int64_t rows, hidden;
  bool relu;
  const float *h, *dh;
  float* dpre;
};

// One ISA's kernels (kernel_table.h: Kernels().rnn).
struct RnnKernels {
  void (*lstm_forward)(const LstmForwardArgs&);
  void (*lstm_backward)(const LstmBackwardArgs&);
  void (*gru_forward)(const GruForwardArgs&);
  void (*gru_backward)(const GruBackwardArgs&);
  void (*rnn_forward)(const RnnForwardArgs&);
  void (*rnn_backward)(const RnnBackwardArgs&);
};

extern const RnnKernels kRnnRef;  // portable C++ (rnn.cc)
#if defined(__x86_64__) || defined(_M_X64)
extern const RnnKernels kRnnAvx2;    // simd/rnn.inc
extern const RnnKernels kRnnAvx512;  // simd/rnn.inc
#endif

namespace reference {
void LstmCellForward(const LstmForwardArgs& a);
void LstmCellBackward(const LstmBackwardArgs& a);
void GruCellForward(const GruForwardArgs& a);
void GruCellBackward(const GruBackwardArgs& a);
void RnnCellForward(const RnnForwardArgs& a);
void RnnCellBackward(const RnnBackwardArgs& a);
}  // namespace reference

}  // namespace tg
