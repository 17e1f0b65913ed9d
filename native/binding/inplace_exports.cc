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

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"fill_", Guarded<Fill>},
    {"copy_", Guarded<Copy>},
    {"uniform_", Guarded<Uniform>},
    {"normal_", Guarded<Normal>},
};

}  // namespace

const ExportTable kInplaceExports = TableOf(kExports);

}  // namespace tg::binding
