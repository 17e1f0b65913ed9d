#include "autograd/inplace.h"

#include "autograd/graph.h"
#include "runtime/status.h"

namespace tg::autograd {

void CheckInPlace(const Tensor& t, const char* op, const Tensor* src) {
  if (!GradEnabled()) return;
  if (RequiresGrad(t)) {
    if (GradFn(t) == nullptr) {
      Fail(StatusCode::kArgument, op, ": a leaf tensor that requires grad cannot be modified in place while "
           "grad mode is on; wrap the write in noGrad() (as nn.init and the optimizers do)");
    }
    Fail(StatusCode::kArgument, op, ": the tensor was made by ", GradFn(t)->name(),
         " and is part of the autograd graph; in-place writes into it are not supported (write into a clone())");
  }
  if (src != nullptr && RequiresGrad(*src)) {
    Fail(StatusCode::kArgument, op, ": the source requires grad and a copy into another tensor is not "
         "recorded; copy its detach(), or inside noGrad()");
  }
}

void FillInPlace(const Tensor& t, double value) {
  CheckInPlace(t, "fill_");
  tg::FillInPlace(t, value);
}

void CopyInPlace(const Tensor& dst, const Tensor& src) {
  CheckInPlace(dst, "copy_", &src);
  tg::CopyInPlace(dst, src);
}

void UniformInPlace(const Tensor& t, double lo, double hi, Generator& gen) {
  CheckInPlace(t, "uniform_");
  tg::UniformInPlace(t, lo, hi, gen);
}

void NormalInPlace(const Tensor& t, double mean, double std, Generator& gen) {
  CheckInPlace(t, "normal_");
  tg::NormalInPlace(t, mean, std, gen);
}

void MaskedFillInPlace(const Tensor& t, const Tensor& mask, const Tensor& value) {
  CheckInPlace(t, "masked_fill_", &value);
  tg::MaskedFillInPlace(t, mask, value);
}

}  // namespace tg::autograd
