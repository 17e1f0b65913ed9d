// 2-D pooling: thin wrappers over autograd/ (pool_grad.cc). Each [h, w] pair arrives as a
// two-number array; lib/nn/functional_pool.ts has already validated it.
#include <napi.h>

#include "autograd/functions.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

void GetPair(Info info, size_t i, const char* name, int64_t out[2]) {
  const Shape v = GetIntList(info, i, name);
  if (v.size() != 2) Fail(StatusCode::kArgument, name, " must be an array of two integers [height, width], got ", v.size(), " entries");
  out[0] = v[0];
  out[1] = v[1];
}

// maxPool2d(x, kernel, stride, padding, dilation, ceilMode)
Napi::Value MaxPool2d(Info info) {
  Pool2dParams p{};
  GetPair(info, 1, "kernel", p.kernel);
  GetPair(info, 2, "stride", p.stride);
  GetPair(info, 3, "padding", p.padding);
  GetPair(info, 4, "dilation", p.dilation);
  p.ceil_mode = GetBool(info, 5, "ceilMode");
  return WrapTensor(info.Env(), autograd::MaxPool2d(TensorArg(info, 0, "input"), p));
}

// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride (0: none))
Napi::Value AvgPool2d(Info info) {
  Pool2dParams p{};
  GetPair(info, 1, "kernel", p.kernel);
  GetPair(info, 2, "stride", p.stride);
  GetPair(info, 3, "padding", p.padding);
  p.dilation[0] = p.dilation[1] = 1;
  p.ceil_mode = GetBool(info, 4, "ceilMode");
  return WrapTensor(info.Env(), autograd::AvgPool2d(TensorArg(info, 0, "input"), p, GetBool(info, 5, "countIncludePad"),
                                                    GetInt(info, 6, "divisorOverride")));
}

// adaptiveAvgPool2d(x, outputSize)
Napi::Value AdaptiveAvgPool2d(Info info) {
  int64_t size[2];
  GetPair(info, 1, "outputSize", size);
  return WrapTensor(info.Env(), autograd::AdaptiveAvgPool2d(TensorArg(info, 0, "input"), size[0], size[1]));
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"maxPool2d", Guarded<MaxPool2d>},
    {"avgPool2d", Guarded<AvgPool2d>},
    {"adaptiveAvgPool2d", Guarded<AdaptiveAvgPool2d>},
};

}  // namespace

const ExportTable kPoolExports = TableOf(kExports);

}  // namespace tg::binding
