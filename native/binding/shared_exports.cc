// Weights shared across worker_threads (lib/nn/shared.ts): storages moved onto
// SharedArrayBuffer memory, and the lock that makes a training step and a snapshot exclusive.
//
// The lock is three int32 words in a SharedArrayBuffer (LockWords). Acquire and release are
// queued like kernels (so they bracket a step's queued work in order) but as markers, so a
// release runs even after a failure or a cancel.
#include <napi.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "binding/convert.h"
#include "binding/env_data.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"
#include "ops/launch.h"
#include "runtime/shared_lock.h"
#include "runtime/status.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

// The lock tensor: the three int32 words, borrowed from a SharedArrayBuffer.
const Tensor& LockArg(Info info, size_t i) {
  const Tensor& lock = TensorArg(info, i, "lock");
  if (lock.dtype() != DType::kInt32 || lock.numel() != kLockWords || !lock.is_contiguous() || !lock.storage()->borrowed()) {
    Fail(StatusCode::kArgument, "lock must be a contiguous ", kLockWords, "-element int32 tensor over a SharedArrayBuffer");
  }
  return lock;
}

// The lock's word, remembered so that this environment's cleanup can release it, and the id
// this environment holds it under.
struct LockHandle {
  LockWords words;
  int32_t owner;
  const std::atomic<bool>* stopping;  // the executor's: it outlives every task that uses it
};

LockHandle LockOf(Info info, const Tensor& lock) {
  DeferredState& state = GetEnvData(info.Env()).deferred;
  state.RememberLock(lock);
  return {LockWordsAt(lock.data<int32_t>()), static_cast<int32_t>(state.owner_id()), state.executor().stopping()};
}

// sharedLock(lock): acquires (queued in deferred mode: the executor thread waits for it).
Napi::Value SharedLock(Info info) {
  const Tensor& lock = LockArg(info, 0);
  const LockHandle h = LockOf(info, lock);
  LaunchAlways([=] { AcquireLock(h.words, h.owner, h.stopping); }, lock);
  return info.Env().Undefined();
}

Napi::Value SharedUnlock(Info info) {
  const Tensor& lock = LockArg(info, 0);
  const LockHandle h = LockOf(info, lock);
  LaunchAlways([=] { ReleaseLock(h.words, h.owner); }, lock);
  return info.Env().Undefined();
}

// copyShared(lock, sources, destinations): copies each source into its destination (same
// shape and dtype, both contiguous) while holding the lock: a snapshot no step is halfway through.
Napi::Value CopyShared(Info info) {
  const Tensor& lock = LockArg(info, 0);
  const std::vector<Tensor> src = TensorListArg(info, 1, "sources");
  const std::vector<Tensor> dst = TensorListArg(info, 2, "destinations");
  if (src.size() != dst.size()) Fail(StatusCode::kArgument, "copyShared: ", src.size(), " sources but ", dst.size(), " destinations");
  std::vector<std::pair<const void*, void*>> pairs;
  std::vector<size_t> bytes;
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i].shape() != dst[i].shape() || src[i].dtype() != dst[i].dtype() || !src[i].is_contiguous() || !dst[i].is_contiguous()) {
      Fail(StatusCode::kShape, "copyShared: entry ", i, " has shape ", ShapeToString(src[i].shape()), " in the shared state and ",
           ShapeToString(dst[i].shape()), " in the model (both contiguous, of one dtype)");
    }
    pairs.emplace_back(src[i].bytes(), dst[i].bytes());
    bytes.push_back(static_cast<size_t>(src[i].numel()) * ElementSize(src[i].dtype()));
  }
  const LockHandle h = LockOf(info, lock);
  Launch([=] {
    AcquireLock(h.words, h.owner, h.stopping);
    for (size_t i = 0; i < pairs.size(); ++i) std::memcpy(pairs[i].second, pairs[i].first, bytes[i]);
    ReleaseLock(h.words, h.owner);
  }, lock, src, dst);
  for (const Tensor& t : dst) t.storage()->BumpVersion();
  return info.Env().Undefined();
}

// rebindStorage(t, array, copy): t's storage (every tensor on it) moves onto `array`'s memory,
// which must be exactly as large; with copy, its values go along.
Napi::Value RebindStorage(Info info) {
  Napi::Env env = info.Env();
  const Tensor& t = TensorArg(info, 0, "tensor");
  if (info.Length() < 2 || !info[1].IsTypedArray()) Fail(StatusCode::kArgument, "array must be a typed array");
  const bool copy = GetBool(info, 2, "copy");
  napi_typedarray_type type;
  size_t length;
  void* data = nullptr;
  napi_get_typedarray_info(env, info[1], &type, &length, &data, nullptr, nullptr);
  const bool dtype_ok = (type == napi_float32_array && t.dtype() == DType::kFloat32) || (type == napi_int32_array && t.dtype() == DType::kInt32);
  const size_t nbytes = length * ElementSize(t.dtype());
  if (!dtype_ok || nbytes != t.storage()->nbytes()) {
    Fail(StatusCode::kArgument, "rebindStorage: array must be a ", t.dtype() == DType::kInt32 ? "Int32Array" : "Float32Array", " of ",
         t.storage()->nbytes() / ElementSize(t.dtype()), " elements (the tensor's whole storage), got ", length, " elements");
  }
  if (reinterpret_cast<uintptr_t>(data) % ElementSize(t.dtype()) != 0) Fail(StatusCode::kArgument, "rebindStorage: array is misaligned");
  // Queued kernels hold raw pointers to the old memory: they must have run.
  GetEnvData(env).deferred.executor().WaitAll();
  napi_ref ref = nullptr;
  if (napi_create_reference(env, info[1], 1, &ref) != napi_ok) Fail(StatusCode::kInternal, "could not reference array");
  auto release = [graveyard = GetEnvData(env).graveyard, ref] { graveyard->Bury(ref); };
  t.storage()->Rebind(data, release, ref, copy);
  t.storage()->BumpVersion();
  return env.Undefined();
}

// sharedArrayOf(t) -> [array, elementOffset] when t's memory is borrowed from a JS typed array
// (lib/ checks that it is a SharedArrayBuffer's), else null.
Napi::Value SharedArrayOf(Info info) {
  Napi::Env env = info.Env();
  const Tensor& t = TensorArg(info, 0, "tensor");
  const auto& storage = t.storage();
  if (!storage || !storage->borrowed() || storage->owner() == nullptr) return env.Null();
  napi_value source;
  if (napi_get_reference_value(env, static_cast<napi_ref>(storage->owner()), &source) != napi_ok || source == nullptr) return env.Null();
  void* base = nullptr;
  napi_typedarray_type type;
  size_t length;
  napi_get_typedarray_info(env, source, &type, &length, &base, nullptr, nullptr);
  const size_t begin = static_cast<size_t>(static_cast<char*>(storage->data()) - static_cast<char*>(base)) / ElementSize(t.dtype());
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Value(env, source));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(begin + static_cast<size_t>(t.offset()))));
  return out;
}

// storageInfo(t) -> [storage bytes, element offset]: what a SharedArrayBuffer for t must hold.
Napi::Value StorageInfo(Info info) {
  Napi::Env env = info.Env();
  const Tensor& t = TensorArg(info, 0, "tensor");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, t.storage() ? static_cast<double>(t.storage()->nbytes()) : 0));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(t.offset())));
  return out;
}

constexpr ExportEntry kExports[] = {
    {"storageInfo", Guarded<StorageInfo>},
    {"sharedLock", Guarded<SharedLock>},
    {"sharedUnlock", Guarded<SharedUnlock>},
    {"copyShared", Guarded<CopyShared>},
    {"rebindStorage", Guarded<RebindStorage>},
    {"sharedArrayOf", Guarded<SharedArrayOf>},
};

}  // namespace

const ExportTable kSharedExports = TableOf(kExports);

}  // namespace tg::binding
