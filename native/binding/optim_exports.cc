// Optimizer steps and gradient clipping, each one native call over every parameter
// (autograd/optim.h). The layouts of states and hyper are in ops/optim.h.
#include <napi.h>

#include <vector>

#include "autograd/optim.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

// An array of tensor handles or nulls (an undefined Tensor for each null).
std::vector<Tensor> OptionalTensorListArg(Info info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsArray()) Fail(StatusCode::kArgument, name, " must be an array of Tensors or nulls");
  const Napi::Array list = info[i].As<Napi::Array>();
  std::vector<Tensor> tensors(list.Length());
  for (uint32_t k = 0; k < list.Length(); ++k) {
    const Napi::Value v = list.Get(k);
    if (!v.IsNull() && !v.IsUndefined()) tensors[k] = UnwrapTensor(v, name);
  }
  return tensors;
}

// A Float64Array, copied (it is small: a row of hyperparameters per param).
std::vector<double> Float64ArrayArg(Info info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    Fail(StatusCode::kArgument, name, " must be a Float64Array");
  }
  const Napi::Float64Array a = info[i].As<Napi::Float64Array>();
  return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
}

// optimizerStep(kind, params, states, hyper)
Napi::Value OptimizerStep(Info info) {
  autograd::OptimizerStep(GetEnum<OptimizerKind>(info, 0, "kind"), TensorListArg(info, 1, "params"),
                          OptionalTensorListArg(info, 2, "states"), Float64ArrayArg(info, 3, "hyper"));
  return info.Env().Undefined();
}
// clipGradNorm(params, maxNorm, normType, errorIfNonfinite) -> the total norm
Napi::Value ClipGradNorm(Info info) {
  const double total = autograd::ClipGradNorm(TensorListArg(info, 0, "params"), GetNumber(info, 1, "maxNorm"),
                                              GetNumber(info, 2, "normType"), GetBool(info, 3, "errorIfNonfinite"));
  return Napi::Number::New(info.Env(), total);
}
// clipGradValue(params, clipValue)
Napi::Value ClipGradValue(Info info) {
  autograd::ClipGradValue(TensorListArg(info, 0, "params"), GetNumber(info, 1, "clipValue"));
  return info.Env().Undefined();
}

}  // namespace

void RegisterOptimExports(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*fn)(Info)) { exports.Set(name, Napi::Function::New(env, fn, name)); };
  add("optimizerStep", Guarded<OptimizerStep>);
  add("clipGradNorm", Guarded<ClipGradNorm>);
  add("clipGradValue", Guarded<ClipGradValue>);
}

}  // namespace tg::binding
