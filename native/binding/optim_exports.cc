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

// optimizerStep(kind, params, states, hyper)
Napi::Value OptimizerStep(Info info) {
  autograd::OptimizerStep(GetEnum<OptimizerKind>(info, 0, "kind"), TensorListArg(info, 1, "params"),
                          TensorListArg(info, 2, "states", /*allow_null=*/true), GetFloat64Array(info, 3, "hyper"));
  return info.Env().Undefined();
}
// clipGradNorm(params, maxNorm, normType, errorIfNonfinite) -> the total norm, a 0-D float32
// tensor (written by the kernel's task, so deferred work need not be waited for here)
Napi::Value ClipGradNorm(Info info) {
  return WrapTensor(info.Env(), autograd::ClipGradNorm(TensorListArg(info, 0, "params"), GetNumber(info, 1, "maxNorm"),
                                                       GetNumber(info, 2, "normType"), GetBool(info, 3, "errorIfNonfinite")));
}
// clipGradValue(params, clipValue)
Napi::Value ClipGradValue(Info info) {
  autograd::ClipGradValue(TensorListArg(info, 0, "params"), GetNumber(info, 1, "clipValue"));
  return info.Env().Undefined();
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"optimizerStep", Guarded<OptimizerStep>},
    {"clipGradNorm", Guarded<ClipGradNorm>},
    {"clipGradValue", Guarded<ClipGradValue>},
};

}  // namespace

const ExportTable kOptimExports = TableOf(kExports);

}  // namespace tg::binding
