// Neural-network ops: activations, softmax, the fused linear backward and the losses, each
// a forward and a backward over the kernels in kernels/activation.h, softmax.h and
// cross_entropy.h. autograd/ wires them into the graph.
#pragma once

#include "kernels/activation.h"
#include "ops/tensor.h"

namespace tg {

enum class Reduction { kNone, kMean, kSum };
enum class PointwiseLossKind { kMse, kL1, kBce, kBceWithLogits };

// activation.cc
// y = act(x), elementwise (the same kernels as the GEMM epilogue).
Tensor Activate(const Tensor& x, Activation act, float negative_slope);
// dx = g · act'(.), from the output y (identity, relu, sigmoid, tanh) or the input x (leaky
// relu): see ActivationKernels::backward.
Tensor ActivationBackward(const Tensor& v, const Tensor& g, Activation act, float negative_slope);
// 1 where x > 0, else 0 (NaN stays NaN): the perceptron's step, which has no gradient.
Tensor Step(const Tensor& x);
// Softmax (or log-softmax) along dim; the result is contiguous.
Tensor Softmax(const Tensor& x, int64_t dim, bool log);
// dx from the softmax (or log-softmax) output y and the output gradient g.
Tensor SoftmaxBackward(const Tensor& y, const Tensor& g, int64_t dim, bool log);

// linear_backward.cc. For y = act(x·Wᵀ + b) with x (..., in), W (out, in), y and g (..., out):
// dz = g·act'(y) and db = Σ dz in one pass, then dx = dz·W and dW = dzᵀ·x on the GEMM.
// y may be undefined for the identity. Gradients not asked for come back undefined.
struct LinearGrads {
  Tensor x, weight, bias;
};
LinearGrads LinearBackward(const Tensor& x, const Tensor& weight, const Tensor& y, const Tensor& g, Activation act,
                           float negative_slope, bool need_x, bool need_weight, bool need_bias);
// The same with naive loops in double: the twin the tests compare the fused pass with.
LinearGrads LinearBackwardReference(const Tensor& x, const Tensor& weight, const Tensor& y, const Tensor& g,
                                    Activation act, float negative_slope);

// loss.cc. logits (rows, classes) contiguous; target int32 (rows) class indices, or float
// (rows, classes) probabilities. Per-row loss, and what the backward needs.
struct CrossEntropyForwardResult {
  Tensor loss;   // (rows)
  Tensor lse;    // (rows) log-sum-exp of each row, for the backward
  Tensor denom;  // () float32, Σ of the rows' weights: 'mean' divides by it (PyTorch's rule). A
                 // tensor, as it is computed from the data (by the kernel's task when deferred)
};
CrossEntropyForwardResult CrossEntropyRows(const Tensor& logits, const Tensor& target, const Tensor* weight,
                                           int64_t ignore_index, float label_smoothing, bool reference = false);
// dlogits (rows, classes) from the per-row loss gradient dloss (rows).
Tensor CrossEntropyRowsBackward(const Tensor& logits, const Tensor& target, const Tensor* weight, int64_t ignore_index,
                                float label_smoothing, const Tensor& lse, const Tensor& dloss, bool reference = false);
// nll over log-probabilities (rows, classes): loss_i = -w[t_i]·input[i, t_i].
CrossEntropyForwardResult NllRows(const Tensor& input, const Tensor& target, const Tensor* weight, int64_t ignore_index);
Tensor NllRowsBackward(const Shape& input_shape, const Tensor& target, const Tensor* weight, int64_t ignore_index,
                       const Tensor& dloss);
// Per-element mse, l1, bce or bce-with-logits of equal-shape input and target; weight
// broadcasts to them, pos_weight (bce-with-logits) along the last dimension.
Tensor PointwiseLossForward(PointwiseLossKind kind, const Tensor& input, const Tensor& target, const Tensor* weight,
                            const Tensor* pos_weight);
// d loss / d input and d loss / d target (each only if asked), times g.
struct PointwiseLossGrads {
  Tensor input, target;
};
PointwiseLossGrads PointwiseLossBackward(PointwiseLossKind kind, const Tensor& input, const Tensor& target,
                                         const Tensor* weight, const Tensor* pos_weight, const Tensor& g, bool need_input,
                                         bool need_target);

}  // namespace tg
