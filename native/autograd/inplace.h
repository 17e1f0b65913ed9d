// The in-place writes of ops/inplace.h as the binding exposes them: first refusing to write
// into a tensor autograd is tracking, since the graph would silently go stale.
#pragma once

#include "ops/inplace.h"

namespace tg::autograd {

// Throws when grad mode is on and t requires grad: a leaf the user marked (wrap the write in
// noGrad(), as init functions and optimizers do) or a tensor made by a recorded op (no
// in-place history rewriting here, unlike PyTorch). Also when src of a copy requires grad.
void CheckInPlace(const Tensor& t, const char* op, const Tensor* src = nullptr);

void FillInPlace(const Tensor& t, double value);
void CopyInPlace(const Tensor& dst, const Tensor& src);
void UniformInPlace(const Tensor& t, double lo, double hi, Generator& gen);
void NormalInPlace(const Tensor& t, double mean, double std, Generator& gen);
void MaskedFillInPlace(const Tensor& t, const Tensor& mask, const Tensor& value);

}  // namespace tg::autograd
