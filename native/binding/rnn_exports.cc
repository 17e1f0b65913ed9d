// Recurrent layers: a thin wrapper over autograd/rnn_grad.cc. lib/nn/rnn.ts has already
// validated the shapes and built the packed layout and its batch sizes.
#include <napi.h>

#include "autograd/functions.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

Tensor Optional(Info info, size_t i, const char* name) {
  const Tensor* t = OptionalTensorArg(info, i, name);
  return t != nullptr ? *t : Tensor();
}

// rnnLayer(mode, x, batchSizes, h0, c0, wIh, wHh, bIh, bHh, wHr, reverse) -> [out, hN, cN?]
Napi::Value RnnLayer(Info info) {
  const auto mode = GetEnum<RnnMode>(info, 0, "mode", 4);
  const RnnWeights w{TensorArg(info, 5, "weightIh"), TensorArg(info, 6, "weightHh"), Optional(info, 7, "biasIh"),
                     Optional(info, 8, "biasHh"), Optional(info, 9, "weightHr")};
  const std::vector<Tensor> r = autograd::RnnLayer(mode, TensorArg(info, 1, "input"), GetInt32Array(info, 2, "batchSizes"),
                                                   TensorArg(info, 3, "h0"), Optional(info, 4, "c0"), w, GetBool(info, 10, "reverse"));
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, 3);
  for (uint32_t k = 0; k < 3; ++k) out.Set(k, r[k].defined() ? WrapTensor(env, r[k]) : env.Null());
  return out;
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"rnnLayer", Guarded<RnnLayer>},
};

}  // namespace

const ExportTable kRnnExports = TableOf(kExports);

}  // namespace tg::binding
