// Deferred execution from JS (lib/deferred.ts): scopes in which ops queue their kernels on
// the environment's executor, and the waits that read results without blocking.
#include <napi.h>

#include "binding/convert.h"
#include "binding/env_data.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

DeferredState& StateOf(Info info) { return GetEnvData(info.Env()).deferred; }

uint32_t TokenArg(Info info, size_t i) {
  const int64_t id = GetInt(info, i, "token");
  if (id < 0 || id > UINT32_MAX) Fail(StatusCode::kArgument, "token is out of range: ", id);
  return static_cast<uint32_t>(id);
}

// deferredEnter(cancellable) -> token id (0 when not cancellable)
Napi::Value DeferredEnter(Info info) {
  return Napi::Number::New(info.Env(), StateOf(info).Enter(GetBool(info, 0, "cancellable")));
}

Napi::Value DeferredExit(Info info) {
  StateOf(info).Exit();
  return info.Env().Undefined();
}

// deferredCancel(token) -> whether the token was still known
Napi::Value DeferredCancel(Info info) { return Napi::Boolean::New(info.Env(), StateOf(info).Cancel(TokenArg(info, 0))); }

Napi::Value DeferredRelease(Info info) {
  StateOf(info).Release(TokenArg(info, 0));
  return info.Env().Undefined();
}

Napi::Value IsDeferring(Info info) { return Napi::Boolean::New(info.Env(), StateOf(info).executor().deferring()); }

// The ticket of the last task queued so far: waiting for it waits for everything before.
Napi::Value LastTicket(Info info) { return Napi::Number::New(info.Env(), static_cast<double>(StateOf(info).executor().submitted())); }

// synchronize(): blocks until the queue is empty; rethrows a kernel failure.
Napi::Value Synchronize(Info info) {
  StateOf(info).executor().WaitAll();
  return info.Env().Undefined();
}

// synchronizeAsync(ticket | undefined) -> Promise<void>
Napi::Value SynchronizeAsync(Info info) {
  DeferredState& state = StateOf(info);
  const bool all = info.Length() < 1 || info[0].IsUndefined();
  const int64_t ticket = all ? static_cast<int64_t>(state.executor().submitted()) : GetInt(info, 0, "ticket");
  if (ticket < 0) Fail(StatusCode::kArgument, "ticket must be >= 0, got ", ticket);
  return state.WaitAsync(info.Env(), static_cast<uint64_t>(ticket));
}

// readyAsync(t) -> Promise<void>, settled once the deferred work that uses t's memory has run.
Napi::Value ReadyAsync(Info info) {
  const Tensor& t = TensorArg(info, 0, "tensor");
  if (!t.storage()) return StateOf(info).WaitAsync(info.Env(), 0);
  return StateOf(info).WaitAsync(info.Env(), t.storage()->last_use(), t.storage()->first_use());
}

// waitFor(t): blocks until the work that uses t's memory has run (before JS writes into a
// borrowed buffer, for instance).
Napi::Value WaitFor(Info info) {
  WaitForData(TensorArg(info, 0, "tensor"));
  return info.Env().Undefined();
}

// ownedBatch(t) -> t, or a copy of it when its memory is borrowed from JS (Tensor.from, a
// shared buffer). fit, evaluate and predict queue a batch's kernels and ask the loader for the
// next batch before they ran: a loader that refills one buffer per batch would otherwise
// overwrite what they are still to read. The copy is made now (one memcpy) when no queued
// kernel uses that memory, else queued behind the kernels that write it.
Napi::Value OwnedBatch(Info info) {
  const Tensor& t = TensorArg(info, 0, "tensor");
  if (!t.storage() || !t.storage()->borrowed() || t.numel() == 0) return info[0];
  const bool settled = StateOf(info).executor().Done(t.storage()->last_use());
  if (settled && t.is_contiguous()) return WrapTensor(info.Env(), FromCopy(t.bytes(), t.shape(), t.dtype()));
  return WrapTensor(info.Env(), Clone(t));
}

Napi::Value QueueInfo(Info info) {
  Napi::Env env = info.Env();
  const ExecutorStats s = StateOf(info).executor().stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("submitted", static_cast<double>(s.submitted));
  out.Set("completed", static_cast<double>(s.completed));
  out.Set("skipped", static_cast<double>(s.skipped));
  out.Set("pending", static_cast<double>(s.pending));
  out.Set("capacity", static_cast<double>(s.capacity));
  out.Set("threadRunning", s.running);
  out.Set("failed", StateOf(info).executor().failed());  // a kernel failure no wait has taken yet
  return out;
}

Napi::Value SetQueueCapacity(Info info) {
  const int64_t n = GetInt(info, 0, "capacity");
  if (n < 1 || n > (int64_t{1} << 24)) Fail(StatusCode::kArgument, "capacity must be an integer from 1 to 16777216, got ", n);
  StateOf(info).executor().set_capacity(static_cast<size_t>(n));
  return info.Env().Undefined();
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"deferredEnter", Guarded<DeferredEnter>},
    {"deferredExit", Guarded<DeferredExit>},
    {"deferredCancel", Guarded<DeferredCancel>},
    {"deferredRelease", Guarded<DeferredRelease>},
    {"isDeferring", Guarded<IsDeferring>},
    {"lastTicket", Guarded<LastTicket>},
    {"synchronize", Guarded<Synchronize>},
    {"synchronizeAsync", Guarded<SynchronizeAsync>},
    {"readyAsync", Guarded<ReadyAsync>},
    {"waitFor", Guarded<WaitFor>},
    {"ownedBatch", Guarded<OwnedBatch>},
    {"queueInfo", Guarded<QueueInfo>},
    {"setQueueCapacity", Guarded<SetQueueCapacity>},
};

}  // namespace

const ExportTable kDeferredExports = TableOf(kExports);

}  // namespace tg::binding
