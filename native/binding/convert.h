// Reading arguments from JS. lib/ validates first and gives the user-facing messages; these
// checks are the last line that keeps a wrong call into the addon from crashing the process.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "ops/dtype.h"
#include "ops/shape.h"
#include "runtime/status.h"

namespace tg::binding {

double GetNumber(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t GetInt(const Napi::CallbackInfo& info, size_t i, const char* name);
bool GetBool(const Napi::CallbackInfo& info, size_t i, const char* name);
Shape GetShape(const Napi::CallbackInfo& info, size_t i, const char* name);
Shape GetIntList(const Napi::CallbackInfo& info, size_t i, const char* name);
// A Float64Array's values, copied.
std::vector<double> GetFloat64Array(const Napi::CallbackInfo& info, size_t i, const char* name);
// An Int32Array's values, copied and widened (lists too long for a Shape: a sequence's steps).
std::vector<int64_t> GetInt32Array(const Napi::CallbackInfo& info, size_t i, const char* name);
DType GetDType(const Napi::CallbackInfo& info, size_t i, const char* name);

// An enum passed as its integer code (lib/native.ts keeps the same order).
template <typename Enum>
Enum GetEnum(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t count) {
  const int64_t v = GetInt(info, i, name);
  if (v < 0 || v >= count) Fail(StatusCode::kArgument, name, " is out of range: ", v);
  return static_cast<Enum>(v);
}
template <typename Enum>
Enum GetEnum(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return GetEnum<Enum>(info, i, name, static_cast<int64_t>(Enum::kCount));
}

Napi::Array ToJsArray(Napi::Env env, const Shape& values);

}  // namespace tg::binding
