// Batch norm and dropout: thin wrappers over autograd/ (norm_grad.cc). Dropout draws its mask
// from this environment's generator, so manualSeed() reproduces it.
#include <napi.h>

#include "autograd/functions.h"
#include "binding/convert.h"
#include "binding/env_data.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

// batchNorm(x, weight | null, bias | null, runningMean | null, runningVar | null, training, momentum, eps)
Napi::Value BatchNorm(Info info) {
  return WrapTensor(info.Env(), autograd::BatchNorm(TensorArg(info, 0, "input"), OptionalTensorArg(info, 1, "weight"),
                                                    OptionalTensorArg(info, 2, "bias"), OptionalTensorArg(info, 3, "runningMean"),
                                                    OptionalTensorArg(info, 4, "runningVar"), GetBool(info, 5, "training"),
                                                    GetNumber(info, 6, "momentum"), GetNumber(info, 7, "eps")));
}

// dropout(x, p, channelwise)
Napi::Value Dropout(Info info) {
  return WrapTensor(info.Env(), autograd::Dropout(TensorArg(info, 0, "input"), GetNumber(info, 1, "p"), GetBool(info, 2, "channelwise"),
                                                  GetEnvData(info.Env()).generator));
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"batchNorm", Guarded<BatchNorm>},
    {"dropout", Guarded<Dropout>},
};

}  // namespace

const ExportTable kNormExports = TableOf(kExports);

}  // namespace tg::binding
