// Turns native failures into the JS error classes of lib/errors.ts, and wraps every export
// so no C++ exception can escape into Node.
#pragma once

#include <napi.h>

#include <new>

#include "autograd/record.h"
#include "binding/env_data.h"
#include "runtime/executor.h"
#include "runtime/status.h"

namespace tg::binding {

// Throws (as a C++ Napi::Error, which node-addon-api rethrows into JS) the error class that
// matches `code`, with `message`.
[[noreturn]] void ThrowAs(Napi::Env env, StatusCode code, const std::string& message);
// The error object ThrowAs throws, for async work that rejects a promise instead.
Napi::Value ErrorFor(Napi::Env env, StatusCode code, const std::string& message);

// Every export goes through this: it deletes references buried by finalizers and frees the
// deferred tasks that have run, makes the environment's memory account and executor current,
// maps
// tg::Error and std::bad_alloc to JS errors, and reports native memory to V8 afterwards.
// It also drops saved-tensor versions an op noted but never recorded (autograd/record.h).
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvData& data = GetEnvData(env);
  data.graveyard->DeleteAll(env);
  Executor& executor = data.deferred.executor();
  executor.CollectFinished();
  Napi::Value result;
  {
    MemoryAccountScope scope(data.memory);
    CurrentExecutorScope current(&executor);
    try {
      result = F(info);
    } catch (const Error& e) {
      ThrowAs(env, e.code(), e.what());
    } catch (const std::bad_alloc&) {
      ThrowAs(env, StatusCode::kOutOfMemory, "out of memory");
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      ThrowAs(env, StatusCode::kInternal, std::string("internal error: ") + e.what());
    }
  }
  DropPendingSaved();
  SyncExternalMemory(env, data);
  return result;
}

}  // namespace tg::binding
