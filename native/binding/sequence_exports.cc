// The tensor ops sequence models and attention use: comparisons, where and masked fill,
// triu/tril, cumsum, repeat and the embedding lookup (with its in-place renorm). Thin wrappers
// over autograd/ (comparisons have no gradient and call ops/ directly).
#include <napi.h>

#include "autograd/functions.h"
#include "autograd/inplace.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

// compare(op, input, other)
Napi::Value Compare(Info info) {
  return WrapTensor(info.Env(), tg::Compare(GetEnum<CompareOp>(info, 0, "op"), TensorArg(info, 1, "input"), TensorArg(info, 2, "other")));
}
// compareScalar(op, input, other: number)
Napi::Value CompareScalar(Info info) {
  return WrapTensor(info.Env(), tg::CompareScalar(GetEnum<CompareOp>(info, 0, "op"), TensorArg(info, 1, "input"), GetNumber(info, 2, "other")));
}
// where(condition, input, other)
Napi::Value Where(Info info) {
  return WrapTensor(info.Env(), autograd::Where(TensorArg(info, 0, "condition"), TensorArg(info, 1, "input"), TensorArg(info, 2, "other")));
}
// maskedFill(input, mask, value: 0-D tensor)
Napi::Value MaskedFill(Info info) {
  return WrapTensor(info.Env(), autograd::MaskedFill(TensorArg(info, 0, "input"), TensorArg(info, 1, "mask"), TensorArg(info, 2, "value")));
}
// maskedFill_(input, mask, value: 0-D tensor)
Napi::Value MaskedFillInPlace(Info info) {
  autograd::MaskedFillInPlace(TensorArg(info, 0, "input"), TensorArg(info, 1, "mask"), TensorArg(info, 2, "value"));
  return info.Env().Undefined();
}
// triangle(input, diagonal, upper)
Napi::Value Triangle(Info info) {
  return WrapTensor(info.Env(), autograd::Triangle(TensorArg(info, 0, "input"), GetInt(info, 1, "diagonal"), GetBool(info, 2, "upper")));
}
Napi::Value Cumsum(Info info) { return WrapTensor(info.Env(), autograd::Cumsum(TensorArg(info, 0, "input"), GetInt(info, 1, "dim"))); }
Napi::Value Repeat(Info info) { return WrapTensor(info.Env(), autograd::Repeat(TensorArg(info, 0, "input"), GetIntList(info, 1, "sizes"))); }
// embedding(weight, indices, paddingIdx (< 0: none), scaleGradByFreq)
Napi::Value Embedding(Info info) {
  return WrapTensor(info.Env(), autograd::Embedding(TensorArg(info, 0, "weight"), TensorArg(info, 1, "input"), GetInt(info, 2, "paddingIdx"),
                                                    GetBool(info, 3, "scaleGradByFreq")));
}
// embeddingRenorm_(weight, indices, maxNorm, normType): a write outside autograd, as torch's
// embedding does it under no_grad, so a weight that requires grad is allowed.
Napi::Value EmbeddingRenorm(Info info) {
  tg::EmbeddingRenormInPlace(TensorArg(info, 0, "weight"), TensorArg(info, 1, "input"), GetNumber(info, 2, "maxNorm"),
                             GetNumber(info, 3, "normType"));
  return info.Env().Undefined();
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"compare", Guarded<Compare>},
    {"compareScalar", Guarded<CompareScalar>},
    {"where", Guarded<Where>},
    {"maskedFill", Guarded<MaskedFill>},
    {"maskedFill_", Guarded<MaskedFillInPlace>},
    {"triangle", Guarded<Triangle>},
    {"cumsum", Guarded<Cumsum>},
    {"repeat", Guarded<Repeat>},
    {"embedding", Guarded<Embedding>},
    {"embeddingRenorm_", Guarded<EmbeddingRenorm>},
};

}  // namespace

const ExportTable kSequenceExports = TableOf(kExports);

}  // namespace tg::binding
