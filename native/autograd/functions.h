// The differentiable ops: what the binding calls. Each runs the forward from ops/ and, when an
// input requires grad (and grad mode is on), records a node whose backward sits beside it in
// the same file. Signatures mirror ops/ops.h and ops/nn.h.
#pragma once

#include <vector>

#include "ops/conv.h"
#include "ops/nn.h"
#include "ops/pool.h"
#include "ops/rnn.h"
#include "ops/ops.h"

namespace tg::autograd {

// elementwise_grad.cc
Tensor Unary(UnaryOp op, const Tensor& x);
Tensor Binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor BinaryScalar(BinaryOp op, const Tensor& a, float b, bool scalar_first);
Tensor Clamp(const Tensor& x, float lo, float hi);

// reduction_grad.cc
Tensor Reduce(ReduceOp op, const Tensor& x, const Shape& dims, bool keepdim);
Tensor Mean(const Tensor& x, const Shape& dims, bool keepdim);
Tensor Cumsum(const Tensor& x, int64_t dim);

// shape_grad.cc
Tensor Reshape(const Tensor& t, const Shape& shape);
Tensor View(const Tensor& t, const Shape& shape);
Tensor Transpose(const Tensor& t, int64_t dim0, int64_t dim1);
Tensor Permute(const Tensor& t, const Shape& dims);
Tensor Slice(const Tensor& t, int64_t start, int64_t end, int64_t step);
Tensor Select(const Tensor& t, int64_t index);
Tensor Narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
Tensor Expand(const Tensor& t, const Shape& shape);
Tensor Contiguous(const Tensor& t);
Tensor Clone(const Tensor& t);
Tensor ToDType(const Tensor& t, DType dtype);
Tensor Cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor Stack(const std::vector<Tensor>& tensors, int64_t dim);
Tensor Gather(const Tensor& input, int64_t dim, const Tensor& index);
Tensor IndexSelect(const Tensor& input, int64_t dim, const Tensor& index);
Tensor Repeat(const Tensor& t, const Shape& repeats);
// torch.embedding: rows of weight (num, dim) at int32 indices of any shape, result
// indices.shape + [dim]. padding_idx (< 0 for none, already normalised) gets no gradient;
// scale_grad_by_freq divides each lookup's gradient by its index's count in indices.
Tensor Embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx, bool scale_grad_by_freq);

// mask_grad.cc (ops/ops.h: compare.cc, triangle.cc). Nodes "WhereBackward0",
// "MaskedFillBackward0", "TriuBackward0" / "TrilBackward0".
Tensor Where(const Tensor& condition, const Tensor& input, const Tensor& other);
Tensor MaskedFill(const Tensor& input, const Tensor& mask, const Tensor& value);
Tensor Triangle(const Tensor& x, int64_t diagonal, bool upper);

// linalg_grad.cc
Tensor Matmul(const Tensor& a, const Tensor& b);
Tensor Linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Activation act, float negative_slope);

// nn_grad.cc
Tensor Activate(const Tensor& x, Activation act, float negative_slope);
Tensor Step(const Tensor& x);  // no gradient: the result never requires grad
Tensor Softmax(const Tensor& x, int64_t dim, bool log);

// loss_grad.cc. Every loss returns per-element (or per-sample) values for kNone, else a
// scalar.
Tensor PointwiseLoss(PointwiseLossKind kind, const Tensor& input, const Tensor& target, const Tensor* weight,
                     const Tensor* pos_weight, Reduction reduction);
Tensor CrossEntropy(const Tensor& input, const Tensor& target, const Tensor* weight, int64_t ignore_index,
                    float label_smoothing, Reduction reduction);
Tensor NllLoss(const Tensor& input, const Tensor& target, const Tensor* weight, int64_t ignore_index,
               Reduction reduction);

// norm_grad.cc (ops/norm.h). BatchNorm: one node "NativeBatchNormBackward0" over (x, weight,
// bias); training updates the running statistics in place when given. Dropout (training only):
// x·mask with the mask from gen, whole channels when channelwise; p == 0 returns x itself.
Tensor BatchNorm(const Tensor& x, const Tensor* weight, const Tensor* bias, const Tensor* running_mean,
                 const Tensor* running_var, bool training, double momentum, double eps);
Tensor Dropout(const Tensor& x, double p, bool channelwise, Generator& gen);

// conv_grad.cc (ops/conv.h): conv2d with a fused activation, node "ConvolutionBackward0".
Tensor Conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, const Conv2dParams& p);

// pool_grad.cc (ops/pool.h). Nodes "MaxPool2DWithIndicesBackward0", "AvgPool2DBackward0",
// "AdaptiveAvgPool2DBackward0" ("MeanBackward1" for a 1x1 output, as torch).
Tensor MaxPool2d(const Tensor& x, const Pool2dParams& p);
Tensor AvgPool2d(const Tensor& x, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override);
Tensor AdaptiveAvgPool2d(const Tensor& x, int64_t output_h, int64_t output_w);

// rnn_grad.cc (ops/rnn.h): one layer and direction, node "RnnLayerBackward0". Returns out
// (N, P), h_n (B, P) and, for the LSTM, c_n (B, H) (else an undefined tensor).
std::vector<Tensor> RnnLayer(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                             const Tensor& c0, const RnnWeights& w, bool reverse);

}  // namespace tg::autograd
