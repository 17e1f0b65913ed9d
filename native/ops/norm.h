// Normalisation and regularisation ops: batch norm over the kernels in kernels/norm.h
// (batch_norm.cc), and the dropout mask (dropout.cc). autograd/norm_grad.cc wires them into
// the graph.
#pragma once

#include "ops/random.h"
#include "ops/tensor.h"

namespace tg {

// batch_norm.cc. x (N, C, *) float32, ndim >= 2; weight, bias, running_mean, running_var
// are (C) float32 or nullptr (running_mean and running_var both or neither). Training
// normalises with the batch's statistics and, when running stats are given, updates them in
// place (bumping their storages' versions):
//   running_mean = (1 - momentum)·running_mean + momentum·mean
//   running_var  = (1 - momentum)·running_var  + momentum·var·M/(M-1)   (unbiased, M = N·Π*)
// Eval normalises with the running statistics, which it requires.
struct BatchNormForwardResult {
  Tensor y;       // x's shape, contiguous
  Tensor mean;    // (C): the statistics y was normalised with, for the backward
  Tensor invstd;  // (C): 1/√(var + eps)
};
BatchNormForwardResult BatchNormForward(const Tensor& x, const Tensor* weight, const Tensor* bias,
                                        const Tensor* running_mean, const Tensor* running_var,
                                        bool training, double momentum, double eps,
                                        bool reference = false);

// dx, dweight, dbias from the output gradient g (x's shape) and the forward's mean and invstd.
// Gradients not asked for come back undefined; dweight and dbias are computed whether or not
// weight is given (nullptr: weight 1).
struct BatchNormGrads {
  Tensor x, weight, bias;
};
BatchNormGrads BatchNormGradients(const Tensor& x, const Tensor* weight, const Tensor& mean,
                                  const Tensor& invstd, bool training, const Tensor& g,
                                  bool need_x, bool need_weight, bool need_bias,
                                  bool reference = false);

// dropout.cc. Throws ArgumentError unless 0 <= p <= 1.
void CheckDropoutProbability(double p, const char* op);
// A mask of `shape` whose entries are 0 with probability p and 1/(1-p) otherwise, from gen:
// entry i decides on gen's counter first + i, so a seed gives the same mask for any thread
// count. p == 1 gives all zeros and draws nothing.
Tensor DropoutMask(const Shape& shape, double p, Generator& gen);
// The mask's shape for x: x's shape, or (N, C, 1, ...) when channelwise (whole channels are
// dropped; x must then have at least 2 dimensions).
Shape DropoutMaskShape(const Tensor& x, bool channelwise);

}  // namespace tg
