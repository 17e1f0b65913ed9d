// 2-D pooling ops over the kernels in kernels/pool.h: argument checks, output sizes (PyTorch's
// rules), and the split of the (N·C) planes over threads. Input (N, C, H, W) or (C, H, W),
// float32, any layout (made contiguous); outputs are contiguous with the same leading dims.
// autograd/pool_grad.cc wires them into the graph.
#pragma once

#include <cstdint>

#include "ops/tensor.h"

namespace tg {

// kernel, stride, padding and dilation as [height, width]. Checks (each a tg::Error naming
// the op): every kernel, stride and dilation > 0; 0 <= padding <= kernel / 2; an output of at
// least 1x1. Avg pool ignores dilation (always 1).
struct Pool2dParams {
  int64_t kernel[2], stride[2], padding[2], dilation[2];
  bool ceil_mode;
};

// "reference" runs the plain twins (for tests).
struct MaxPool2dResult {
  Tensor y;        // (..., OH, OW)
  Tensor indices;  // (..., OH, OW) int32: flat index into the input's H·W plane (-1: no input in the window)
};
MaxPool2dResult MaxPool2dForward(const Tensor& x, const Pool2dParams& p, bool reference = false);
// dx of x's shape from the output gradient g (the indices' shape).
Tensor MaxPool2dGradient(const Shape& x_shape, const Tensor& indices, const Tensor& g, bool reference = false);

// divisor_override: 0 for none, else > 0.
Tensor AvgPool2dForward(const Tensor& x, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override,
                        bool reference = false);
Tensor AvgPool2dGradient(const Shape& x_shape, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override,
                         const Tensor& g, bool reference = false);

// output_h, output_w >= 1.
Tensor AdaptiveAvgPool2dForward(const Tensor& x, int64_t output_h, int64_t output_w, bool reference = false);
Tensor AdaptiveAvgPool2dGradient(const Shape& x_shape, const Tensor& g, bool reference = false);

}  // namespace tg
