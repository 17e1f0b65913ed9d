// Joins, lookups, activations, softmax and losses: thin wrappers over autograd/.
#include <napi.h>

#include "autograd/functions.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

Napi::Value Cat(Info info) { return WrapTensor(info.Env(), autograd::Cat(TensorListArg(info, 0, "tensors"), GetInt(info, 1, "dim"))); }
Napi::Value Stack(Info info) {
  return WrapTensor(info.Env(), autograd::Stack(TensorListArg(info, 0, "tensors"), GetInt(info, 1, "dim")));
}
Napi::Value Narrow(Info info) {
  return WrapTensor(info.Env(), autograd::Narrow(TensorArg(info, 0, "input"), GetInt(info, 1, "dim"), GetInt(info, 2, "start"),
                                                 GetInt(info, 3, "length")));
}
Napi::Value Expand(Info info) {
  return WrapTensor(info.Env(), autograd::Expand(TensorArg(info, 0, "input"), GetIntList(info, 1, "shape")));
}
Napi::Value Gather(Info info) {
  return WrapTensor(info.Env(), autograd::Gather(TensorArg(info, 0, "input"), GetInt(info, 1, "dim"), TensorArg(info, 2, "index")));
}
Napi::Value IndexSelect(Info info) {
  return WrapTensor(info.Env(),
                    autograd::IndexSelect(TensorArg(info, 0, "input"), GetInt(info, 1, "dim"), TensorArg(info, 2, "index")));
}

// activate(x, activation, negativeSlope)
Napi::Value Activate(Info info) {
  return WrapTensor(info.Env(), autograd::Activate(TensorArg(info, 0, "input"), GetEnum<Activation>(info, 1, "activation", kActivationCount),
                                                   static_cast<float>(GetNumber(info, 2, "negativeSlope"))));
}
Napi::Value Step(Info info) { return WrapTensor(info.Env(), autograd::Step(TensorArg(info, 0, "input"))); }
// softmax(x, dim, log)
Napi::Value Softmax(Info info) {
  return WrapTensor(info.Env(), autograd::Softmax(TensorArg(info, 0, "input"), GetInt(info, 1, "dim"), GetBool(info, 2, "log")));
}

// pointwiseLoss(kind, input, target, weight | null, posWeight | null, reduction)
Napi::Value PointwiseLoss(Info info) {
  return WrapTensor(info.Env(), autograd::PointwiseLoss(GetEnum<PointwiseLossKind>(info, 0, "kind", 4), TensorArg(info, 1, "input"),
                                                        TensorArg(info, 2, "target"), OptionalTensorArg(info, 3, "weight"),
                                                        OptionalTensorArg(info, 4, "posWeight"),
                                                        GetEnum<Reduction>(info, 5, "reduction", 3)));
}
// crossEntropy(input, target, weight | null, ignoreIndex, labelSmoothing, reduction)
Napi::Value CrossEntropy(Info info) {
  return WrapTensor(info.Env(), autograd::CrossEntropy(TensorArg(info, 0, "input"), TensorArg(info, 1, "target"),
                                                       OptionalTensorArg(info, 2, "weight"), GetInt(info, 3, "ignoreIndex"),
                                                       static_cast<float>(GetNumber(info, 4, "labelSmoothing")),
                                                       GetEnum<Reduction>(info, 5, "reduction", 3)));
}
// nllLoss(input, target, weight | null, ignoreIndex, reduction)
Napi::Value NllLoss(Info info) {
  return WrapTensor(info.Env(), autograd::NllLoss(TensorArg(info, 0, "input"), TensorArg(info, 1, "target"),
                                                  OptionalTensorArg(info, 2, "weight"), GetInt(info, 3, "ignoreIndex"),
                                                  GetEnum<Reduction>(info, 4, "reduction", 3)));
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"cat", Guarded<Cat>},
    {"stack", Guarded<Stack>},
    {"narrow", Guarded<Narrow>},
    {"expand", Guarded<Expand>},
    {"gather", Guarded<Gather>},
    {"indexSelect", Guarded<IndexSelect>},
    {"activate", Guarded<Activate>},
    {"step", Guarded<Step>},
    {"softmax", Guarded<Softmax>},
    {"pointwiseLoss", Guarded<PointwiseLoss>},
    {"crossEntropy", Guarded<CrossEntropy>},
    {"nllLoss", Guarded<NllLoss>},
};

}  // namespace

const ExportTable kNnExports = TableOf(kExports);

}  // namespace tg::binding
