// Per-environment state (the main thread and each worker_thread has its own), kept in
// N-API instance data so the addon holds no JS state in globals.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>
#include <vector>

#include "binding/deferred_state.h"
#include "ops/random.h"
#include "runtime/allocator.h"

namespace tg::binding {

// References to JS buffers that borrowed tensor memory no longer needs. A tensor may die in a
// finalizer that runs during garbage collection, where Node-API forbids deleting references,
// so the deletion waits here for the next call into the addon. (Whatever is still here at the
// environment's teardown is freed with it; storages share the graveyard so it outlives EnvData.)
class ReferenceGraveyard {
 public:
  void Bury(napi_ref ref) {
    std::lock_guard<std::mutex> lock(mu_);
    refs_.push_back(ref);
  }
  void DeleteAll(napi_env env) {
    std::vector<napi_ref> refs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      refs.swap(refs_);
    }
    for (napi_ref ref : refs) napi_delete_reference(env, ref);
  }

 private:
  std::mutex mu_;
  std::vector<napi_ref> refs_;
};

struct EnvData {
  std::shared_ptr<ReferenceGraveyard> graveyard = std::make_shared<ReferenceGraveyard>();
  std::shared_ptr<MemoryAccount> memory = std::make_shared<MemoryAccount>();
  int64_t reported_bytes = 0;  // what V8 has been told through AdjustExternalMemory
  Generator generator;
  // The executor that deferred kernels run from, and the promises waiting on it.
  DeferredState deferred;
  // Registered by lib/errors.ts at load: TensorgradError and its subclasses.
  Napi::FunctionReference base_error, shape_error, dtype_error, argument_error, io_error;
};

EnvData& GetEnvData(Napi::Env env);
void InitEnvData(Napi::Env env);

// Tells V8 how the native bytes owned by this environment changed since the last call, so
// garbage collection runs when tensors hold a lot of memory.
void SyncExternalMemory(Napi::Env env, EnvData& data);

}  // namespace tg::binding
