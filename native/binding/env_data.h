// Per-environment state (the main thread and each worker_thread has its own), kept in
// N-API instance data so the addon holds no JS state in globals.
#pragma once

#include <napi.h>

#include <memory>

#include "ops/random.h"
#include "runtime/allocator.h"

namespace tg::binding {

struct EnvData {
  std::shared_ptr<MemoryAccount> memory = std::make_shared<MemoryAccount>();
  int64_t reported_bytes = 0;  // what V8 has been told through AdjustExternalMemory
  Generator generator;
  // Registered by lib/errors.ts at load: TensorgradError and its subclasses.
  Napi::FunctionReference base_error, shape_error, dtype_error, argument_error, io_error;
};

EnvData& GetEnvData(Napi::Env env);
void InitEnvData(Napi::Env env);

// Tells V8 how the native bytes owned by this environment changed since the last call, so
// garbage collection runs when tensors hold a lot of memory.
void SyncExternalMemory(Napi::Env env, EnvData& data);

}  // namespace tg::binding
