#include "binding/env_data.h"

namespace tg::binding {

EnvData& GetEnvData(Napi::Env env) { return *env.GetInstanceData<EnvData>(); }

void InitEnvData(Napi::Env env) {
  auto* data = new EnvData();
  env.SetInstanceData(data);
  data->deferred.Init(env);
}

void SyncExternalMemory(Napi::Env env, EnvData& data) {
  const int64_t live = data.memory->live_bytes.load(std::memory_order_relaxed);
  const int64_t delta = live - data.reported_bytes;
  if (delta == 0) return;
  int64_t adjusted = 0;
  if (napi_adjust_external_memory(env, delta, &adjusted) == napi_ok) data.reported_bytes = live;
}

}  // namespace tg::binding
