// In-place writes into an existing tensor of any strides: fill_, copy_, uniform_ and normal_
// (what nn.init and loadStateDict use). Each bumps the storage version, so a backward that
// saved the old values refuses to run (autograd/record.h: Saved).
#pragma once

#include "ops/random.h"
#include "ops/tensor.h"

namespace tg {

void FillInPlace(const Tensor& t, double value);
// dst[...] = src[...], src broadcast to dst's shape, converting dtype. src may overlap dst.
void CopyInPlace(const Tensor& dst, const Tensor& src);
// Uniform in [lo, hi) and normal(mean, std) draws from gen; float32 tensors only.
void UniformInPlace(const Tensor& t, double lo, double hi, Generator& gen);
void NormalInPlace(const Tensor& t, double mean, double std, Generator& gen);

}  // namespace tg
