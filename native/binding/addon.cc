// The addon's entry point. Context-aware (NODE_API_MODULE): each environment, the main
// thread or a worker_thread, gets its own instance data and exports.
#include <napi.h>

#include <initializer_list>

#include "binding/env_data.h"
#include "binding/exports.h"

namespace tg::binding {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitEnvData(env);
  for (const ExportTable* table : {&kTensorExports, &kRuntimeExports, &kAutogradExports, &kNnExports, &kNormExports,
                                   &kPoolExports, &kConvExports, &kRnnExports, &kInplaceExports, &kOptimExports, &kAsyncExports,
                                   &kDeferredExports, &kSharedExports, &kSequenceExports, &kIoExports,
                                   &kExternalExports}) {
    for (size_t i = 0; i < table->size; ++i) {
      const ExportEntry& e = table->entries[i];
      exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
    }
  }
  return exports;
}

}  // namespace tg::binding

// The macro pastes the function name into an identifier, so it takes an unqualified name.
static Napi::Object InitTensorgrad(Napi::Env env, Napi::Object exports) { return tg::binding::Init(env, exports); }

NODE_API_MODULE(tensorgrad, InitTensorgrad)
