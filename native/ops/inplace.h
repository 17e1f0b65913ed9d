// In-place writes into an existing tensor of any strides: fill_, copy_, uniform_ and normal_
// (what nn.init and loadStateDict use), masked_fill_ and embedding's renorm. Each bumps the
// storage version, so a backward that saved the old values refuses to run (autograd/record.h:
// Saved).
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
// t[mask] = value, mask broadcast to t's shape (ops.h: MaskedFill), value a 0-D tensor.
void MaskedFillInPlace(const Tensor& t, const Tensor& mask, const Tensor& value);
// torch.embedding_renorm_: each row of weight (num, dim) that indices name, once however often
// it is named, whose p-norm (p = norm_type, inf for the largest |value|) exceeds max_norm is
// scaled by max_norm / (norm + 1e-7). Out-of-range indices fail as the lookups' do.
void EmbeddingRenormInPlace(const Tensor& weight, const Tensor& indices, double max_norm, double norm_type);

}  // namespace tg
