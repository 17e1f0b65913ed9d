// 2-D convolution (NCHW), forward and backward, as torch.nn.functional.conv2d with an optional
// fused activation (as Linear's). The GEMM path (im2col + one GEMM per image and group) is what
// runs; `reference` selects the direct-loop twin in kernels/conv.h, for the tests.
#pragma once

#include <array>

#include "kernels/activation.h"
#include "ops/tensor.h"

namespace tg {

struct Conv2dParams {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 4> padding{0, 0, 0, 0};  // top, bottom, left, right
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
  Activation act = Activation::kIdentity;
  float negative_slope = 0.01f;  // kLeakyRelu only
};

// y (N, C_out, H_out, W_out) = act(conv2d(x (N, C_in, H, W), weight (C_out, C_in/groups, kH,
// kW)) + bias (C_out, or nullptr)). Throws tg::Error naming the argument on bad shapes or params.
Tensor Conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, const Conv2dParams& p, bool reference = false);

// The gradients for y = Conv2d(x, weight, bias, p) from the output gradient g (y's shape) and y
// itself (read for act' unless p.act is the identity; leaky relu needs slope >= 0, which the
// autograd node ensures). Gradients not asked for come back undefined (the reference computes
// all three). dW is summed over images in a fixed order for a given thread count.
struct Conv2dGrads {
  Tensor x, weight, bias;
};
Conv2dGrads Conv2dBackward(const Tensor& x, const Tensor& weight, const Tensor& y, const Tensor& g, const Conv2dParams& p,
                           bool need_x, bool need_weight, bool need_bias, bool reference = false);

}  // namespace tg
