#include "binding/errors.h"

namespace tg::binding {

namespace {
const char* CodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kShape: return "ERR_SHAPE";
    case StatusCode::kDType: return "ERR_DTYPE";
    case StatusCode::kArgument: return "ERR_ARGUMENT";
    case StatusCode::kIO: return "ERR_IO";
    case StatusCode::kOutOfMemory: return "ERR_OUT_OF_MEMORY";
    case StatusCode::kInternal: return "ERR_INTERNAL";
    case StatusCode::kDistributed: return "ERR_DISTRIBUTED";
  }
  return "ERR_INTERNAL";
}

Napi::FunctionReference& ClassFor(EnvData& data, StatusCode code) {
  switch (code) {
    case StatusCode::kShape: return data.shape_error;
    case StatusCode::kDType: return data.dtype_error;
    case StatusCode::kArgument: return data.argument_error;
    case StatusCode::kIO: return data.io_error;
    default: return data.base_error;
  }
}
}  // namespace

Napi::Value ErrorFor(Napi::Env env, StatusCode code, const std::string& message) {
  EnvData& data = GetEnvData(env);
  Napi::FunctionReference& cls = ClassFor(data, code);
  if (cls.IsEmpty()) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, CodeName(code)));
    return error.Value();
  }
  // The subclasses set their own code; the base class takes it as its second argument.
  return cls.New({Napi::String::New(env, message), Napi::String::New(env, CodeName(code))});
}

void ThrowAs(Napi::Env env, StatusCode code, const std::string& message) { throw Napi::Error(env, ErrorFor(env, code, message)); }

}  // namespace tg::binding
