// conv2d: a thin wrapper over autograd/ (conv_grad.cc). The JS side has already resolved
// 'same'/'valid' padding and scalar arguments into the fixed-length lists read here.
#include <napi.h>

#include "autograd/functions.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"
#include "runtime/status.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

template <size_t N>
std::array<int64_t, N> FixedList(Info info, size_t i, const char* name) {
  const Shape v = GetIntList(info, i, name);
  if (v.size() != N) Fail(StatusCode::kArgument, "conv2d: ", name, " must be a list of ", N, " integers, got ", v.size());
  std::array<int64_t, N> out{};
  for (size_t j = 0; j < N; ++j) out[j] = v[j];
  return out;
}

// conv2d(x, weight, bias | null, stride [2], padding [4: top, bottom, left, right], dilation [2],
//        groups, activation, negativeSlope)
Napi::Value Conv2d(Info info) {
  Conv2dParams p;
  p.stride = FixedList<2>(info, 3, "stride");
  p.padding = FixedList<4>(info, 4, "padding");
  p.dilation = FixedList<2>(info, 5, "dilation");
  p.groups = GetInt(info, 6, "groups");
  p.act = GetEnum<Activation>(info, 7, "activation", kActivationCount);
  p.negative_slope = static_cast<float>(GetNumber(info, 8, "negativeSlope"));
  return WrapTensor(info.Env(), autograd::Conv2d(TensorArg(info, 0, "input"), TensorArg(info, 1, "weight"),
                                                 OptionalTensorArg(info, 2, "bias"), p));
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"conv2d", Guarded<Conv2d>},
};

}  // namespace

const ExportTable kConvExports = TableOf(kExports);

}  // namespace tg::binding
