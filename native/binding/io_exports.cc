// File-format helpers for lib/io: converting elements read from a file (safetensors' F16,
// BF16, F64 and integer widths) into the float32 / int32 arrays that become tensors.
#include <napi.h>

#include <cstdint>

#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "kernels/dtype_convert.h"
#include "runtime/status.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

struct ArrayView {
  napi_typedarray_type type;
  size_t length;
  void* data;
};

ArrayView TypedArrayArg(Info info, size_t i, const char* name) {
  ArrayView v{};
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      napi_get_typedarray_info(info.Env(), info[i], &v.type, &v.length, &v.data, nullptr, nullptr) != napi_ok) {
    Fail(StatusCode::kArgument, name, " must be a typed array");
  }
  return v;
}

// convertElements(src: Uint8Array, sourceType, dst: Float32Array | Int32Array, dstOffset)
// -> the index (into src's elements) of the first value out of the target's range, or -1.
// src holds whole elements; they go to dst[dstOffset ...]. Runs on the calling thread: the
// loader calls it on a few megabytes at a time, between reads.
Napi::Value ConvertElements(Info info) {
  const ArrayView src = TypedArrayArg(info, 0, "src");
  const auto type = GetEnum<SourceType>(info, 1, "sourceType");
  const ArrayView dst = TypedArrayArg(info, 2, "dst");
  const int64_t offset = GetInt(info, 3, "dstOffset");
  if (src.type != napi_uint8_array) Fail(StatusCode::kArgument, "convertElements: src must be a Uint8Array");
  const size_t size = SourceElementSize(type);
  if (src.length % size != 0) Fail(StatusCode::kArgument, "convertElements: src holds ", src.length, " bytes, not whole ", size, "-byte elements");
  const int64_t n = static_cast<int64_t>(src.length / size);
  const bool to_float = ConvertsToFloat32(type);
  if (dst.type != (to_float ? napi_float32_array : napi_int32_array)) {
    Fail(StatusCode::kArgument, "convertElements: dst must be ", to_float ? "a Float32Array" : "an Int32Array", " for this source type");
  }
  if (offset < 0 || offset > static_cast<int64_t>(dst.length) || n > static_cast<int64_t>(dst.length) - offset) {
    Fail(StatusCode::kArgument, "convertElements: ", n, " elements at dstOffset ", offset, " do not fit in dst of length ", dst.length);
  }
  const int64_t bad = to_float ? ConvertToFloat32(src.data, type, n, static_cast<float*>(dst.data) + offset)
                               : ConvertToInt32(src.data, type, n, static_cast<int32_t*>(dst.data) + offset);
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}

constexpr ExportEntry kExports[] = {
    {"convertElements", Guarded<ConvertElements>},
};

}  // namespace

const ExportTable kIoExports = TableOf(kExports);

}  // namespace tg::binding
