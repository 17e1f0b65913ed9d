// One layer and one direction of a recurrent network (Elman RNN, LSTM, GRU) over a whole
// sequence, forward and backward, in PyTorch's parameter layout. autograd/rnn_grad.cc wires
// it into the graph; lib/nn/rnn.ts stacks layers and directions.
//
// The sequence is packed, as PyTorch's PackedSequence: x (N, I) holds the time steps one
// after another, step t being batch_sizes[t] rows (non-increasing, so the sequences are
// sorted longest first and row b of a step is always sequence b). A padded (T, B, I) input is
// the case where every batch size is B. For speed:
//  - the input projection of all steps is one GEMM, (N, I)·W_ihᵀ;
//  - each step is one GEMM with W_hh on its active rows, then one fused gate kernel
//    (kernels/rnn.h), then for an LSTM with a projection one GEMM with W_hr;
//  - the backward walks the steps back with the same per-step GEMM and one fused kernel, and
//    computes dx and the weight gradients over all steps as one GEMM each.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/tensor.h"

namespace tg {

// The order is an ABI with lib/native.ts (RnnMode there).
enum class RnnMode { kRnnTanh, kRnnRelu, kLstm, kGru };

// Gate blocks per hidden unit: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
int64_t RnnGateCount(RnnMode mode);

// w_ih (G·H, I), w_hh (G·H, P), b_ih and b_hh (G·H) or undefined, w_hr (P, H) or undefined
// (LSTM only). P is the output size: H, or the projection's size.
struct RnnWeights {
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;
};

// What the backward needs beyond the inputs, rows in packed order: the activated gates
// (N, G·H), each row's previous hidden state (N, P); for the LSTM c_prev, tanh(c) (N, H) and,
// with a projection, m = o·tanh(c) (N, H); for the GRU the recurrent n block hw_n (N, H).
struct RnnWorkspace {
  Tensor gates, h_prev, c_prev, c, tc, m, hn;
};

struct RnnLayerResult {
  // out (N, P), h_n (B, P) and, for the LSTM, c_n (B, H): views of one buffer, `packed`, so
  // that autograd sees a single output.
  Tensor packed, out, h_n, c_n;
  RnnWorkspace saved;  // filled when save
};

// h0 (B, P); c0 (B, H) for the LSTM, else undefined. reverse runs the steps last to first (the
// second direction of a bidirectional layer); h_n is then the state after step 0. Throws
// ShapeError/ArgumentError naming the argument on any mismatch. "reference" runs the
// reference twins (GemmReference and kernels/rnn_ref.cc), for tests.
RnnLayerResult RnnLayerForward(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                               const Tensor& c0, const RnnWeights& w, bool reverse, bool save, bool reference = false);

// Gradients of the inputs of RnnLayerForward, each undefined unless asked for.
struct RnnLayerGrads {
  Tensor x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr;
};
struct RnnNeeds {
  bool x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr;
};

// From the forward's inputs, result and workspace, and the gradients of out (N, P), h_n (B, P)
// and c_n (B, H) (any of them undefined for zero).
RnnLayerGrads RnnLayerBackward(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                               const Tensor& c0, const RnnWeights& w, bool reverse, const RnnLayerResult& forward,
                               const Tensor& d_out, const Tensor& d_hn, const Tensor& d_cn, const RnnNeeds& needs,
                               bool reference = false);

}  // namespace tg
