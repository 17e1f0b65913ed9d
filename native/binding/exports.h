// Each *_exports.cc adds its functions to the module's exports.
#pragma once

#include <napi.h>

namespace tg::binding {

void RegisterTensorExports(Napi::Env env, Napi::Object exports);
void RegisterRuntimeExports(Napi::Env env, Napi::Object exports);
void RegisterAutogradExports(Napi::Env env, Napi::Object exports);
void RegisterNnExports(Napi::Env env, Napi::Object exports);
void RegisterNormExports(Napi::Env env, Napi::Object exports);
void RegisterPoolExports(Napi::Env env, Napi::Object exports);
void RegisterConvExports(Napi::Env env, Napi::Object exports);
void RegisterInplaceExports(Napi::Env env, Napi::Object exports);
void RegisterOptimExports(Napi::Env env, Napi::Object exports);
void RegisterAsyncExports(Napi::Env env, Napi::Object exports);

}  // namespace tg::binding
