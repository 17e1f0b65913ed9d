// Autograd controls: requiresGrad, .grad, gradFn, backward, detach and grad mode.
#include <napi.h>

#include "autograd/engine.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

Napi::Value RequiresGradOf(Info info) { return Napi::Boolean::New(info.Env(), RequiresGrad(TensorArg(info, 0, "tensor"))); }

Napi::Value SetRequiresGradOf(Info info) {
  SetRequiresGrad(MutableTensorArg(info, 0, "tensor"), GetBool(info, 1, "requiresGrad"));
  return info.Env().Undefined();
}

Napi::Value IsLeafOf(Info info) { return Napi::Boolean::New(info.Env(), IsLeaf(TensorArg(info, 0, "tensor"))); }

// grad(t) -> handle | null
Napi::Value GradOf(Info info) {
  const Tensor g = Grad(TensorArg(info, 0, "tensor"));
  return g.defined() ? WrapTensor(info.Env(), g) : info.Env().Null();
}

// hasGrad(t) -> whether t has a .grad, without making a handle that would keep it alive
Napi::Value HasGradOf(Info info) { return Napi::Boolean::New(info.Env(), Grad(TensorArg(info, 0, "tensor")).defined()); }

// setGrad(t, grad | null)
Napi::Value SetGradOf(Info info) {
  const Tensor* g = OptionalTensorArg(info, 1, "grad");
  SetGrad(MutableTensorArg(info, 0, "tensor"), g != nullptr ? *g : Tensor());
  return info.Env().Undefined();
}

// gradFn(t) -> "MulBackward0" | null
Napi::Value GradFnOf(Info info) {
  const Node* fn = GradFn(TensorArg(info, 0, "tensor"));
  return fn != nullptr ? Napi::String::New(info.Env(), fn->name()) : info.Env().Null();
}

// backward(t, gradient | null, retainGraph, onGradReady?) -- onGradReady(readyId) is called
// during the walk as each leaf with a ready id gets its last gradient (DDP's bucket trigger).
// An exception it throws propagates out of backward.
Napi::Value BackwardOf(Info info) {
  GradReadyHook on_ready;
  if (info.Length() > 3 && info[3].IsFunction()) {
    Napi::Function callback = info[3].As<Napi::Function>();
    Napi::Env env = info.Env();
    on_ready = [callback, env](int64_t ready_id) { callback.Call({Napi::Number::New(env, static_cast<double>(ready_id))}); };
  }
  Backward(TensorArg(info, 0, "tensor"), OptionalTensorArg(info, 1, "gradient"), GetBool(info, 2, "retainGraph"), on_ready);
  return info.Env().Undefined();
}

// setGradReadyId(t, id): the id backward's onGradReady reports for this leaf (-1: none).
Napi::Value SetGradReadyIdOf(Info info) {
  SetGradReadyId(MutableTensorArg(info, 0, "tensor"), GetInt(info, 1, "readyId"));
  return info.Env().Undefined();
}

Napi::Value DetachOf(Info info) { return WrapTensor(info.Env(), Detach(TensorArg(info, 0, "tensor"))); }

// setGradEnabled(flag) -> the previous setting, for the caller to restore.
Napi::Value SetGradEnabledOf(Info info) {
  const bool previous = GradEnabled();
  SetGradEnabled(GetBool(info, 0, "enabled"));
  return Napi::Boolean::New(info.Env(), previous);
}

Napi::Value IsGradEnabledOf(Info info) { return Napi::Boolean::New(info.Env(), GradEnabled()); }

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"requiresGrad", Guarded<RequiresGradOf>},
    {"setRequiresGrad", Guarded<SetRequiresGradOf>},
    {"isLeaf", Guarded<IsLeafOf>},
    {"grad", Guarded<GradOf>},
    {"hasGrad", Guarded<HasGradOf>},
    {"setGrad", Guarded<SetGradOf>},
    {"gradFn", Guarded<GradFnOf>},
    {"backward", Guarded<BackwardOf>},
    {"setGradReadyId", Guarded<SetGradReadyIdOf>},
    {"detach", Guarded<DetachOf>},
    {"setGradEnabled", Guarded<SetGradEnabledOf>},
    {"isGradEnabled", Guarded<IsGradEnabledOf>},
};

}  // namespace

const ExportTable kAutogradExports = TableOf(kExports);

}  // namespace tg::binding
