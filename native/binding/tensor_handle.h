// A tensor crosses into JS as an N-API external holding a heap tg::Tensor, type-tagged so a
// foreign value passed back in is rejected instead of dereferenced. V8 frees it (and the
// storage, once no view is left) when the JS object is collected.
#pragma once

#include <napi.h>

#include <vector>

#include "ops/tensor.h"

namespace tg::binding {

Napi::Value WrapTensor(Napi::Env env, Tensor t);
// Throws ArgumentError naming `name` unless v is a live handle made by WrapTensor.
const Tensor& UnwrapTensor(const Napi::Value& v, const char* name);
const Tensor& TensorArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// The handle's own tensor, to change its autograd state (requiresGrad_, .grad = ...).
Tensor& MutableTensorArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// nullptr when argument i is null or undefined (an absent bias or weight).
const Tensor* OptionalTensorArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// An array of tensor handles (cat, stack).
// With allow_null, null entries become undefined Tensors (absent optimizer states).
std::vector<Tensor> TensorListArg(const Napi::CallbackInfo& info, size_t i, const char* name, bool allow_null = false);
// Frees a handle's tensor now (dispose()); later use of the handle throws.
void DisposeTensor(const Napi::Value& v);

}  // namespace tg::binding
