// tensorgrad_mpi.node: the optional MPI addon. It exports the communication thread's controls
// and one ExternalOp (runtime/external_op.h) through which the main addon runs collectives on
// tensor memory at their point in its stream. Nothing here does MPI itself (comm.cc does, on
// its own thread), and nothing on that thread touches V8.
//
// A collective is prepared on the JS thread (prepare: its kind and options, and for an async
// one the Work that will report it), then lib/ hands the prepared id and the tensors to the
// main addon's callExternal, whose kernel calls RunPrepared with their data pointers: at once
// in eager mode, on the executor's thread in deferred mode.
#include <napi.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "comm.h"
#include "runtime/external_op.h"

namespace tg::dist {
namespace {

enum class PreparedKind { kAllReduce, kBroadcast, kAllGather, kBarrier, kWait };

struct Prepared {
  PreparedKind kind;
  ReduceKind reduce;
  int root;
  std::shared_ptr<Work> work;      // async: reported through waitAsync; null: RunPrepared waits
  std::vector<int64_t> wait_for;   // kWait: the async works to wait for
};

// Prepared collectives and pending async works, by id. Guarded by a mutex: RunPrepared may run
// on the main addon's executor thread.
struct Registry {
  std::mutex mu;
  int64_t next_id = 1;
  std::unordered_map<int64_t, Prepared> prepared;
  std::unordered_map<int64_t, std::shared_ptr<Work>> works;
};

Registry& TheRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

void CopyError(const std::string& message, char* error, size_t error_size) {
  if (error_size == 0) return;
  const size_t n = std::min(message.size(), error_size - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

std::shared_ptr<Work> TakeWork(int64_t id) {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  auto it = registry.works.find(id);
  if (it == registry.works.end()) return nullptr;
  std::shared_ptr<Work> work = it->second;
  registry.works.erase(it);
  return work;
}

int RunPrepared(void*, int64_t id, const TgExternalTensor* tensors, int64_t count, char* error, size_t error_size) {
  Prepared p;
  {
    Registry& registry = TheRegistry();
    std::lock_guard<std::mutex> lock(registry.mu);
    auto it = registry.prepared.find(id);
    if (it == registry.prepared.end()) {
      CopyError("distributed: collective " + std::to_string(id) + " was not prepared or already ran", error, error_size);
      return 1;
    }
    p = std::move(it->second);
    registry.prepared.erase(it);
  }
  if (p.kind == PreparedKind::kWait) {
    std::string first;
    const auto started = std::chrono::steady_clock::now();
    for (int64_t work_id : p.wait_for) {
      std::shared_ptr<Work> work = TakeWork(work_id);
      const std::string e = work ? work->Wait() : "distributed: work " + std::to_string(work_id) + " is unknown";
      if (first.empty()) first = e;
    }
    const auto waited = std::chrono::steady_clock::now() - started;
    TheComm().stats().waited_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count(),
                                          std::memory_order_relaxed);
    if (first.empty()) return 0;
    CopyError(first, error, error_size);
    return 1;
  }
  Collective c;
  c.kind = static_cast<CollectiveKind>(static_cast<int>(p.kind));
  c.reduce = p.reduce;
  c.root = p.root;
  c.buffers.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) c.buffers.push_back({tensors[i].data, tensors[i].numel, tensors[i].dtype});
  const bool wait_here = p.work == nullptr;
  c.work = wait_here ? std::make_shared<Work>() : p.work;
  std::shared_ptr<Work> work = c.work;
  TheComm().Submit(std::move(c));
  if (!wait_here) return 0;
  const std::string e = work->Wait();
  if (e.empty()) return 0;
  CopyError(e, error, error_size);
  return 1;
}

TgExternalOp kRunPrepared = {TG_EXTERNAL_OP_ABI, RunPrepared, nullptr};

// init(timeoutMs) -> { rank, size, threadLevel }; throws with MPI's reason.
Napi::Value InitComm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t timeout_ms = info[0].As<Napi::Number>().Int64Value();
  const InitResult result = TheComm().Init(timeout_ms);
  if (!result.error.empty()) throw Napi::Error::New(env, result.error);
  static std::once_flag cleanup_once;
  std::call_once(cleanup_once, [&] { env.AddCleanupHook([] { TheComm().Shutdown(); }); });
  Napi::Object out = Napi::Object::New(env);
  out.Set("rank", result.rank);
  out.Set("size", result.size);
  out.Set("threadLevel", result.thread_level == 0 ? "single" : result.thread_level == 1 ? "funneled"
                                                       : result.thread_level == 2 ? "serialized" : "multiple");
  return out;
}

// prepare(kind, reduce, root, async, waitFor[]) -> id (also the async work's id)
Napi::Value Prepare(const Napi::CallbackInfo& info) {
  Prepared p;
  const int kind = info[0].As<Napi::Number>().Int32Value();
  if (kind < 0 || kind > static_cast<int>(PreparedKind::kWait)) throw Napi::RangeError::New(info.Env(), "prepare: bad kind");
  p.kind = static_cast<PreparedKind>(kind);
  p.reduce = static_cast<ReduceKind>(info[1].As<Napi::Number>().Int32Value() & 3);
  p.root = info[2].As<Napi::Number>().Int32Value();
  const bool async = info[3].ToBoolean();
  if (info.Length() > 4 && info[4].IsArray()) {
    Napi::Array ids = info[4].As<Napi::Array>();
    for (uint32_t i = 0; i < ids.Length(); ++i) p.wait_for.push_back(ids.Get(i).As<Napi::Number>().Int64Value());
  }
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  const int64_t id = registry.next_id++;
  if (async) {
    p.work = std::make_shared<Work>();
    registry.works[id] = p.work;
  }
  registry.prepared[id] = std::move(p);
  return Napi::Number::New(info.Env(), static_cast<double>(id));
}

// Waits for an async work on a libuv worker, so the JS thread stays free; bounded by the
// communication thread's deadline.
class WaitWorker final : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, std::shared_ptr<Work> work)
      : Napi::AsyncWorker(env, "tensorgrad:distributed.wait"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    const std::string e = work_->Wait();
    if (!e.empty()) SetError(e);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Work> work_;
};

// waitAsync(id) -> Promise<void>, rejected with the collective's error
Napi::Value WaitAsync(const Napi::CallbackInfo& info) {
  std::shared_ptr<Work> work = TakeWork(info[0].As<Napi::Number>().Int64Value());
  if (work == nullptr) throw Napi::Error::New(info.Env(), "distributed: this work was already waited for");
  auto* worker = new WaitWorker(info.Env(), std::move(work));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// isCompleted(id) -> whether the async work has finished (false once waited for)
Napi::Value IsCompleted(const Napi::CallbackInfo& info) {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  auto it = registry.works.find(info[0].As<Napi::Number>().Int64Value());
  return Napi::Boolean::New(info.Env(), it != registry.works.end() && it->second->done());
}

// state() -> { initialized, finalized, broken: reason | null }
Napi::Value State(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("initialized", TheComm().initialized());
  out.Set("finalized", TheComm().finalized());
  const std::string broken = TheComm().broken_reason();
  out.Set("broken", broken.empty() ? env.Null() : Napi::String::New(env, broken));
  return out;
}

// stats() -> { collectives, busyMs, waitedMs } since the last resetStats (bench/ddp.mjs)
Napi::Value Stats(const Napi::CallbackInfo& info) {
  CommStats& stats = TheComm().stats();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("collectives", static_cast<double>(stats.collectives.load()));
  out.Set("busyMs", static_cast<double>(stats.busy_ns.load()) / 1e6);
  out.Set("waitedMs", static_cast<double>(stats.waited_ns.load()) / 1e6);
  return out;
}

Napi::Value ResetStats(const Napi::CallbackInfo& info) {
  CommStats& stats = TheComm().stats();
  stats.collectives = 0;
  stats.busy_ns = 0;
  stats.waited_ns = 0;
  return info.Env().Undefined();
}

// shutdown(): runs what is queued, finalises MPI (unless broken), joins the thread.
Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  TheComm().Shutdown();
  return info.Env().Undefined();
}

Napi::Object InitExports(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, InitComm, "init"));
  exports.Set("prepare", Napi::Function::New(env, Prepare, "prepare"));
  exports.Set("waitAsync", Napi::Function::New(env, WaitAsync, "waitAsync"));
  exports.Set("isCompleted", Napi::Function::New(env, IsCompleted, "isCompleted"));
  exports.Set("state", Napi::Function::New(env, State, "state"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("resetStats", Napi::Function::New(env, ResetStats, "resetStats"));
  exports.Set("runPrepared", Napi::External<TgExternalOp>::New(env, &kRunPrepared));
  exports.Set("abi", Napi::Number::New(env, TG_EXTERNAL_OP_ABI));
  return exports;
}

}  // namespace
}  // namespace tg::dist

static Napi::Object InitTensorgradMpi(Napi::Env env, Napi::Object exports) { return tg::dist::InitExports(env, exports); }

NODE_API_MODULE(tensorgrad_mpi, InitTensorgradMpi)
