// The addon's entry point. Context-aware (NODE_API_MODULE): each environment, the main
// thread or a worker_thread, gets its own instance data and exports.
#include <napi.h>

#include "binding/env_data.h"
#include "binding/exports.h"

namespace tg::binding {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitEnvData(env);
  RegisterTensorExports(env, exports);
  RegisterRuntimeExports(env, exports);
  RegisterAutogradExports(env, exports);
  RegisterNnExports(env, exports);
  RegisterNormExports(env, exports);
  RegisterPoolExports(env, exports);
  RegisterConvExports(env, exports);
  RegisterInplaceExports(env, exports);
  RegisterOptimExports(env, exports);
  RegisterAsyncExports(env, exports);
  return exports;
}

}  // namespace tg::binding

// The macro pastes the function name into an identifier, so it takes an unqualified name.
static Napi::Object InitTensorgrad(Napi::Env env, Napi::Object exports) { return tg::binding::Init(env, exports); }

NODE_API_MODULE(tensorgrad, InitTensorgrad)
