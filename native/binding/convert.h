// Reading arguments from JS. lib/ validates first and gives the user-facing messages; these
// checks are the last line that keeps a wrong call into the addon from crashing the process.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "ops/dtype.h"
#include "ops/shape.h"

namespace tg::binding {

double GetNumber(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t GetInt(const Napi::CallbackInfo& info, size_t i, const char* name);
bool GetBool(const Napi::CallbackInfo& info, size_t i, const char* name);
Shape GetShape(const Napi::CallbackInfo& info, size_t i, const char* name);
Shape GetIntList(const Napi::CallbackInfo& info, size_t i, const char* name);
DType GetDType(const Napi::CallbackInfo& info, size_t i, const char* name);

Napi::Array ToJsArray(Napi::Env env, const Shape& values);

}  // namespace tg::binding
