#include "binding/deferred_state.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>

#include "binding/errors.h"
#include "runtime/shared_lock.h"

namespace tg::binding {

namespace {
std::atomic<uint32_t> g_next_owner{1};
}  // namespace

DeferredState::DeferredState() : owner_id_(g_next_owner.fetch_add(1)) {}

DeferredState::~DeferredState() { Stop(); }

void DeferredState::RememberLock(const Tensor& lock) {
  for (const Tensor& t : locks_) {
    if (t.data<int32_t>() == lock.data<int32_t>()) return;
  }
  locks_.push_back(lock);
}

void DeferredState::Init(Napi::Env env) {
  env_ = env;
  napi_value name = Napi::String::New(env, "tensorgrad.executor");
  // No JS function: CallJs settles the promises itself. Unreferenced while nothing waits, so
  // an idle executor never keeps the process alive.
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this, CallJs, &wake_) != napi_ok) {
    throw Napi::Error::New(env, "tensorgrad: could not create the executor's wake-up channel");
  }
  napi_unref_threadsafe_function(env, wake_);
  executor_.set_notifier([this] { napi_call_threadsafe_function(wake_, nullptr, napi_tsfn_nonblocking); });
  // Cleanup hooks run in reverse order of registration: this one, added after the channel was
  // made, runs before Node closes the channel, so the executor never calls into a closed one.
  napi_add_env_cleanup_hook(env, Cleanup, this);
}

void DeferredState::Cleanup(void* self) {
  auto* state = static_cast<DeferredState*>(self);
  state->Stop();
}

void DeferredState::Stop() {
  executor_.Shutdown();  // drops queued work, waits for the running kernel, joins
  executor_.CollectFinished();
  // A worker terminated in mid-step may hold a shared-weight lock (its release was queued, or
  // its JS never reached it): give it back, or the other threads would wait forever.
  for (const Tensor& lock : locks_) ReleaseLock(LockWordsAt(lock.data<int32_t>()), static_cast<int32_t>(owner_id_));
  locks_.clear();
  if (wake_ != nullptr) {
    napi_release_threadsafe_function(wake_, napi_tsfn_abort);
    wake_ = nullptr;
  }
  // Promises still waiting belong to an environment that is going away: nothing can run them.
  waiters_.clear();
  if (env_ != nullptr) napi_remove_env_cleanup_hook(env_, Cleanup, this);
  env_ = nullptr;
}

Napi::Promise DeferredState::WaitAsync(Napi::Env env, uint64_t ticket, uint64_t first_use) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  waiters_.push_back({ticket, first_use, std::move(deferred)});
  if (executor_.Done(ticket)) {
    Settle(env);
  } else {
    if (!wake_referenced_ && wake_ != nullptr) {
      napi_ref_threadsafe_function(env, wake_);
      wake_referenced_ = true;
    }
    Arm();
  }
  return promise;
}

void DeferredState::Arm() {
  uint64_t first = UINT64_MAX;
  for (const Waiter& w : waiters_) first = std::min(first, w.ticket);
  if (first != UINT64_MAX) executor_.NotifyWhenDone(first);
}

void DeferredState::CallJs(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // the channel is being torn down
  try {
    static_cast<DeferredState*>(context)->Settle(Napi::Env(env));
  } catch (...) {
    // Settling can only fail while the environment shuts down; nothing can be delivered then.
  }
}

void DeferredState::Settle(Napi::Env env) {
  executor_.CollectFinished();
  std::vector<Waiter> ready, waiting;
  for (Waiter& w : waiters_) (executor_.Done(w.ticket) ? ready : waiting).push_back(std::move(w));
  waiters_ = std::move(waiting);
  // A failure taken now rejects every wait settled with it that covers the failed task.
  std::optional<Napi::Value> taken_error;
  uint64_t taken_ticket = 0;
  for (Waiter& w : ready) {
    WaitError error;
    if (taken_error && w.ticket >= taken_ticket) {
      w.deferred.Reject(*taken_error);
    } else if (executor_.CheckWait(w.ticket, w.first_use, &error)) {
      Napi::Value value = ErrorFor(env, error.code, error.message);
      if (error.taken) {
        taken_error = value;
        taken_ticket = error.failed_ticket;
      }
      w.deferred.Reject(value);
    } else {
      w.deferred.Resolve(env.Undefined());
    }
  }
  if (waiters_.empty()) {
    if (wake_referenced_ && wake_ != nullptr) {
      napi_unref_threadsafe_function(env, wake_);
      wake_referenced_ = false;
    }
  } else {
    Arm();
  }
}

uint32_t DeferredState::Enter(bool cancellable) {
  scope_stack_.push_back(executor_.cancel_token());
  executor_.Enter();
  if (!cancellable) return 0;
  const uint32_t id = next_token_++;
  auto token = std::make_shared<CancelToken>();
  tokens_[id] = token;
  executor_.set_cancel_token(std::move(token));
  return id;
}

void DeferredState::Exit() {
  if (scope_stack_.empty()) return;
  executor_.set_cancel_token(std::move(scope_stack_.back()));
  scope_stack_.pop_back();
  executor_.Exit();
}

bool DeferredState::Cancel(uint32_t id) {
  auto it = tokens_.find(id);
  if (it == tokens_.end()) return false;
  executor_.Cancel(it->second);
  return true;
}

void DeferredState::Release(uint32_t id) { tokens_.erase(id); }

}  // namespace tg::binding
