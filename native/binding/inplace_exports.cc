// In-place writes: fill_, copy_, uniform_ and normal_ (autograd/inplace.h).
#include <napi.h>

#include "autograd/inplace.h"
#include "binding/convert.h"
#include "binding/env_data.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

// fill_(t, value)
Napi::Value Fill(Info info) {
  autograd::FillInPlace(TensorArg(info, 0, "tensor"), GetNumber(info, 1, "value"));
  return info.Env().Undefined();
}
// copy_(dst, src)
Napi::Value Copy(Info info) {
  autograd::CopyInPlace(TensorArg(info, 0, "tensor"), TensorArg(info, 1, "src"));
  return info.Env().Undefined();
}
// uniform_(t, a, b)
Napi::Value Uniform(Info info) {
  autograd::UniformInPlace(TensorArg(info, 0, "tensor"), GetNumber(info, 1, "a"), GetNumber(info, 2, "b"),
                           GetEnvData(info.Env()).generator);
  return info.Env().Undefined();
}
// normal_(t, mean, std)
Napi::Value Normal(Info info) {
  autograd::NormalInPlace(TensorArg(info, 0, "tensor"), GetNumber(info, 1, "mean"), GetNumber(info, 2, "std"),
                          GetEnvData(info.Env()).generator);
  return info.Env().Undefined();
}

}  // namespace

void RegisterInplaceExports(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*fn)(Info)) { exports.Set(name, Napi::Function::New(env, fn, name)); };
  add("fill_", Guarded<Fill>);
  add("copy_", Guarded<Copy>);
  add("uniform_", Guarded<Uniform>);
  add("normal_", Guarded<Normal>);
}

}  // namespace tg::binding
