// Native work that runs off the JS thread and answers with a promise: the DataLoader gathers
// batch k+1 with indexSelectAsync while JS trains on batch k.
//
// Rules for every worker here:
//  - napi values are read on the JS thread only: the export copies its inputs into the worker
//    (tg::Tensor values: shared_ptr copies keep the memory alive even if JS drops or disposes
//    the tensors meanwhile), and Execute() sees nothing else;
//  - the copies carry no autograd state, so the worker never shares AutogradMeta with JS;
//  - Execute() allocates under the environment's memory account, as Guarded does on the JS
//    thread, and OnOK() (back on the JS thread) reports the new bytes to V8;
//  - errors from the worker reject the promise with the library's error classes.
#include <napi.h>

#include <memory>
#include <new>
#include <string>
#include <utility>

#include "binding/convert.h"
#include "binding/env_data.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/thread_pool.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

// The same data and layout as t, without its autograd state: the worker's result is plain data.
Tensor PlainData(const Tensor& t) { return Tensor(t.storage(), t.shape(), t.strides(), t.offset(), t.dtype()); }

// A promise settled by one tensor op run on libuv's thread pool.
class TensorWorker : public Napi::AsyncWorker {
 public:
  explicit TensorWorker(Napi::Env env, const char* name)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), account_(GetEnvData(env).memory) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  // Worker thread: the op itself, on the copied inputs.
  virtual Tensor Run() = 0;
  // JS thread, before settling: drops the input copies so their memory goes with the promise.
  virtual void ReleaseInputs() = 0;

  void Execute() override {
    MemoryAccountScope scope(account_);
    SerialScope serial;  // the JS thread's ops keep the pool
    try {
      result_ = Run();
    } catch (const Error& e) {
      Failed(e.code(), e.what());
    } catch (const std::bad_alloc&) {
      Failed(StatusCode::kOutOfMemory, "out of memory");
    } catch (const std::exception& e) {
      Failed(StatusCode::kInternal, std::string("internal error: ") + e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    EnvData& data = GetEnvData(env);
    data.graveyard->DeleteAll(env);
    ReleaseInputs();
    // Nothing may throw out of here (it would surface as an uncaught exception, not a rejection).
    try {
      if (failed_) deferred_.Reject(ErrorFor(env, code_, message_));
      else deferred_.Resolve(WrapTensor(env, std::move(result_)));
    } catch (const Napi::Error& e) {
      // While the environment shuts down (a worker_thread terminated) even Reject can throw:
      // nothing can be delivered then, and an exception escaping here would abort the process.
      try {
        deferred_.Reject(e.Value());
      } catch (...) {
      }
    }
    result_ = Tensor();
    SyncExternalMemory(env, data);
  }

  // Only reached if node-addon-api itself reports a failure (Execute never calls SetError).
  void OnError(const Napi::Error& e) override {
    ReleaseInputs();
    deferred_.Reject(e.Value());
  }

 private:
  void Failed(StatusCode code, std::string message) {
    failed_ = true;
    code_ = code;
    message_ = std::move(message);
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<MemoryAccount> account_;
  Tensor result_;
  bool failed_ = false;
  StatusCode code_ = StatusCode::kInternal;
  std::string message_;
};

// index_select without autograd recording: DataLoader batches are plain data.
class IndexSelectWorker final : public TensorWorker {
 public:
  IndexSelectWorker(Napi::Env env, const Tensor& input, int64_t dim, const Tensor& index)
      : TensorWorker(env, "tensorgrad.indexSelectAsync"), input_(PlainData(input)), dim_(dim), index_(PlainData(index)) {}

 protected:
  Tensor Run() override { return IndexSelect(input_, dim_, index_); }
  void ReleaseInputs() override { input_ = index_ = Tensor(); }

 private:
  Tensor input_;
  int64_t dim_;
  Tensor index_;
};

// indexSelectAsync(input, dim, index) -> Promise<handle>
Napi::Value IndexSelectAsync(Info info) {
  const Tensor& input = TensorArg(info, 0, "input");
  const int64_t dim = GetInt(info, 1, "dim");
  const Tensor& index = TensorArg(info, 2, "index");
  // The worker reads both off the JS thread: deferred work on them must have run.
  WaitForData(input);
  WaitForData(index);
  auto* worker = new IndexSelectWorker(info.Env(), input, dim, index);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself after OnOK / OnError
  return promise;
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"indexSelectAsync", Guarded<IndexSelectAsync>},
};

}  // namespace

const ExportTable kAsyncExports = TableOf(kExports);

}  // namespace tg::binding
