// One environment's deferred execution: its executor, the promises waiting on it, and the
// cancel tokens of open tg.deferred scopes. Lives in EnvData (binding/env_data.h).
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "ops/tensor.h"
#include "runtime/executor.h"

namespace tg::binding {

class DeferredState {
 public:
  DeferredState();
  ~DeferredState();
  DeferredState(const DeferredState&) = delete;
  DeferredState& operator=(const DeferredState&) = delete;

  // Creates the wake-up channel from the executor thread to the JS thread, and the cleanup
  // hook that stops the executor before Node tears that channel down (worker termination).
  void Init(Napi::Env env);

  Executor& executor() { return executor_; }

  // A promise settled once every task up to `ticket` has finished: rejected as
  // Executor::CheckWait says (first_use: of the memory the caller will read, or 0), else
  // resolved with undefined.
  Napi::Promise WaitAsync(Napi::Env env, uint64_t ticket, uint64_t first_use = 0);

  // Deferred scopes. Enter returns the scope's cancel token id (0: not cancellable).
  uint32_t Enter(bool cancellable);
  void Exit();
  // Cancels the token's queued tasks; false if the id is unknown (already released).
  bool Cancel(uint32_t id);
  void Release(uint32_t id);

  // Shared-weight locks (binding/shared_exports.cc): a lock word holds the id of the
  // environment that holds it, so the cleanup of a terminated worker releases what it held.
  uint32_t owner_id() const { return owner_id_; }
  void RememberLock(const Tensor& lock);  // its first word is the holder's id

 private:
  struct Waiter {
    uint64_t ticket;
    uint64_t first_use;
    Napi::Promise::Deferred deferred;
  };
  static void CallJs(napi_env env, napi_value, void* context, void*);
  static void Cleanup(void* self);
  void Settle(Napi::Env env);
  void Arm();
  void Stop();

  Executor executor_;
  napi_env env_ = nullptr;
  napi_threadsafe_function wake_ = nullptr;
  bool wake_referenced_ = false;
  std::vector<Waiter> waiters_;
  std::vector<std::shared_ptr<CancelToken>> scope_stack_;  // the token outside each open scope
  std::unordered_map<uint32_t, std::shared_ptr<CancelToken>> tokens_;
  uint32_t next_token_ = 1;
  uint32_t owner_id_;
  std::vector<Tensor> locks_;  // the shared-weight locks this environment has used
};

}  // namespace tg::binding
