// 2-D convolution pieces on raw NCHW buffers: im2col / col2im (which turn a convolution into
// one GEMM per image and group, see ops/conv.cc), and the direct-loop reference twin of the
// forward and of each gradient that the tests compare the GEMM path with.
#pragma once

#include <cstdint>

#include "kernels/activation.h"

namespace tg {

// One convolution's geometry. Padding may be asymmetric ('same' with an even kernel puts the
// extra row/column at the bottom/right, as PyTorch does).
struct Conv2dGeometry {
  int64_t n, c_in, h, w;        // input (N, C_in, H, W)
  int64_t c_out, kh, kw;        // weight (C_out, C_in/groups, kH, kW)
  int64_t stride_h, stride_w;
  int64_t pad_top, pad_bottom, pad_left, pad_right;
  int64_t dil_h, dil_w;
  int64_t groups;
  int64_t OutH() const { return (h + pad_top + pad_bottom - dil_h * (kh - 1) - 1) / stride_h + 1; }
  int64_t OutW() const { return (w + pad_left + pad_right - dil_w * (kw - 1) - 1) / stride_w + 1; }
  int64_t GroupIn() const { return c_in / groups; }
  int64_t GroupOut() const { return c_out / groups; }
  int64_t ColRows() const { return GroupIn() * kh * kw; }  // K of the GEMM
  // True when the input is already the column matrix: 1x1, stride 1, no padding.
  bool IsPointwise() const {
    return kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_bottom == 0 &&
           pad_left == 0 && pad_right == 0;
  }
};

// Floats Im2Col may write past channels·kH·kW·H_out·W_out: allocate cols with this many more.
constexpr int64_t kIm2ColSlack = 4;

// x (channels, H, W) -> cols (channels·kH·kW, H_out·W_out); row (c, i, j) holds the input
// pixel each output position sees through kernel tap (i, j) of channel c, 0 in the padding.
void Im2Col(const Conv2dGeometry& g, const float* x, int64_t channels, float* cols);

// cols (channels·kH·kW, H_out·W_out) -> dx (channels, H, W): the adjoint of Im2Col, adding
// every column entry into the pixel it came from (overlapping taps accumulate). dx is added
// to, not overwritten; padding entries are dropped.
void Col2Im(const Conv2dGeometry& g, const float* cols, int64_t channels, float* dx);

// y (N, C_out, H_out, W_out) = act(conv(x, w) + bias): the direct 7-loop convolution, summed
// in double. bias (C_out) may be nullptr.
void Conv2dForwardReference(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                            Activation act, float slope, float* y);

// The gradients of the above from dy (N, C_out, H_out, W_out) and the forward's output y (read
// for act' unless act is the identity; leaky relu with slope >= 0 only): dx (N, C_in, H, W),
// dw (C_out, C_in/groups, kH, kW), db (C_out), each in double, each skipped when nullptr.
void Conv2dBackwardReference(const Conv2dGeometry& g, const float* x, const float* w, const float* y,
                             const float* dy, Activation act, float slope, float* dx, float* dw, float* db);

}  // namespace tg
