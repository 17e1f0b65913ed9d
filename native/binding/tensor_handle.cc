#include "binding/tensor_handle.h"

#include <vector>

#include "runtime/status.h"

namespace tg::binding {

namespace {
// Random 128-bit tag: values from other addons (or other versions of this one) never match.
const napi_type_tag kTensorTag = {0x7f3a1c9e5b2d4e61ULL, 0xa8c4f0d2913b6e57ULL};

// Every op result makes one Slot and every collected handle frees one. Slots (~200 bytes)
// are too big for glibc's fast bins, and its coalescing of them took about a fifth of a tiny
// op's time: a per-thread free list recycles them instead. A block freed on another thread
// simply joins that thread's list.
class SlotPool {
 public:
  static constexpr size_t kMaxFree = 4096;
  ~SlotPool() {
    for (void* p : free_) ::operator delete(p);
    free_.clear();
    destroyed() = true;
  }
  void* Get(size_t size) {
    if (free_.empty()) return ::operator new(size);
    void* p = free_.back();
    free_.pop_back();
    return p;
  }
  void Put(void* p) {
    if (free_.size() >= kMaxFree) return ::operator delete(p);
    free_.push_back(p);
  }
  // Finalizers may still run during process exit, after this thread's pool is gone; its
  // (trivially destructible) flag outlives it.
  static bool& destroyed() {
    static thread_local bool flag = false;
    return flag;
  }

 private:
  std::vector<void*> free_;
};

thread_local SlotPool t_slot_pool;

// Holds the tensor so dispose() can drop it before the handle itself is collected.
struct Slot {
  Tensor tensor;
  bool disposed = false;

  static void* operator new(size_t size) {
    return SlotPool::destroyed() ? ::operator new(size) : t_slot_pool.Get(size);
  }
  static void operator delete(void* p) {
    if (SlotPool::destroyed()) return ::operator delete(p);
    t_slot_pool.Put(p);
  }
};

// A basic finalizer (it touches no JS), so Node runs it during garbage collection itself.
// Ordinary Node-API finalizers wait for the event loop, and a synchronous training loop
// that never yields would keep every dropped tensor's memory until it ended. Running
// finalizers from GC needs NAPI_EXPERIMENTAL (binding.gyp), which Node 20 supports.
void FinalizeSlot(node_api_basic_env, void* data, void*) { delete static_cast<Slot*>(data); }

Slot* SlotOf(const Napi::Value& v, const char* name) {
  if (v.Type() != napi_external) Fail(StatusCode::kArgument, name, " must be a Tensor");
  bool tagged = false;
  if (napi_check_object_type_tag(v.Env(), v, &kTensorTag, &tagged) != napi_ok || !tagged) {
    Fail(StatusCode::kArgument, name, " must be a Tensor");
  }
  return v.As<Napi::External<Slot>>().Data();
}
}  // namespace

Napi::Value WrapTensor(Napi::Env env, Tensor t) {
  Slot* slot = new Slot{std::move(t)};
  napi_value handle;
  if (napi_create_external(env, slot, FinalizeSlot, nullptr, &handle) != napi_ok) {
    delete slot;
    throw Napi::Error::New(env, "could not create a tensor handle");
  }
  napi_type_tag_object(env, handle, &kTensorTag);
  return Napi::Value(env, handle);
}

const Tensor& UnwrapTensor(const Napi::Value& v, const char* name) {
  Slot* slot = SlotOf(v, name);
  if (slot->disposed) Fail(StatusCode::kArgument, name, " was disposed and can no longer be used");
  return slot->tensor;
}

const Tensor& TensorArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return UnwrapTensor(i < info.Length() ? info[i] : info.Env().Undefined(), name);
}

Tensor& MutableTensorArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return const_cast<Tensor&>(TensorArg(info, i, name));  // the slot itself is not const
}

const Tensor* OptionalTensorArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return &UnwrapTensor(info[i], name);
}

std::vector<Tensor> TensorListArg(const Napi::CallbackInfo& info, size_t i, const char* name, bool allow_null) {
  if (i >= info.Length() || !info[i].IsArray()) {
    Fail(StatusCode::kArgument, name, allow_null ? " must be an array of Tensors or nulls" : " must be an array of Tensors");
  }
  const Napi::Array list = info[i].As<Napi::Array>();
  std::vector<Tensor> tensors(list.Length());
  for (uint32_t k = 0; k < list.Length(); ++k) {
    const Napi::Value v = list.Get(k);
    if (!(allow_null && (v.IsNull() || v.IsUndefined()))) tensors[k] = UnwrapTensor(v, name);
  }
  return tensors;
}

void DisposeTensor(const Napi::Value& v) {
  Slot* slot = SlotOf(v, "tensor");
  slot->tensor = Tensor();
  slot->disposed = true;
}

}  // namespace tg::binding
