#include "binding/convert.h"

#include <cmath>
#include <string>

#include "runtime/status.h"

namespace tg::binding {

namespace {
Napi::Value Arg(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() ? info[i] : info.Env().Undefined(); }

int64_t ToInt(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) Fail(StatusCode::kArgument, name, " must be an integer");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9007199254740991.0) {
    Fail(StatusCode::kArgument, name, " must be an integer, got ", d);
  }
  return static_cast<int64_t>(d);
}
}  // namespace

double GetNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = Arg(info, i);
  if (!v.IsNumber()) Fail(StatusCode::kArgument, name, " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t GetInt(const Napi::CallbackInfo& info, size_t i, const char* name) { return ToInt(Arg(info, i), name); }

bool GetBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = Arg(info, i);
  if (!v.IsBoolean()) Fail(StatusCode::kArgument, name, " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

Shape GetIntList(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = Arg(info, i);
  if (!v.IsArray()) Fail(StatusCode::kArgument, name, " must be an array of integers");
  const Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > static_cast<uint32_t>(kMaxDims)) Fail(StatusCode::kArgument, name, " has more than ", kMaxDims, " entries");
  Shape out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) out[k] = ToInt(a.Get(k), name);
  return out;
}

std::vector<double> GetFloat64Array(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = Arg(info, i);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    Fail(StatusCode::kArgument, name, " must be a Float64Array");
  }
  const Napi::Float64Array a = v.As<Napi::Float64Array>();
  return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
}

std::vector<int64_t> GetInt32Array(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = Arg(info, i);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Fail(StatusCode::kArgument, name, " must be an Int32Array");
  }
  const Napi::Int32Array a = v.As<Napi::Int32Array>();
  return std::vector<int64_t>(a.Data(), a.Data() + a.ElementLength());
}

Shape GetShape(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Shape shape = GetIntList(info, i, name);
  CheckedNumel(shape, name);
  return shape;
}

DType GetDType(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = Arg(info, i);
  if (v.IsString()) {
    const std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "float32") return DType::kFloat32;
    if (s == "int32") return DType::kInt32;
  }
  Fail(StatusCode::kDType, name, " must be 'float32' or 'int32'");
}

Napi::Array ToJsArray(Napi::Env env, const Shape& values) {
  Napi::Array a = Napi::Array::New(env, values.size());
  for (size_t k = 0; k < values.size(); ++k) a.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(values[k])));
  return a;
}

}  // namespace tg::binding
