// A reference-counted block of tensor memory: from the caching allocator, or borrowed from
// the outside (a JS ArrayBuffer) and given back through a release callback.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "runtime/allocator.h"
#include "runtime/stream_memory.h"

namespace tg {

class Storage {
 public:
  // nbytes of 64-byte-aligned memory, uninitialised. Throws Error(kOutOfMemory). With
  // queued_writes_only (only kernels queued from now on touch it), planning in deferred mode
  // may reuse a block that kernels queued earlier still use (runtime/stream_memory.h).
  static std::shared_ptr<Storage> Allocate(size_t nbytes, bool queued_writes_only = false);
  // Borrows data; release() runs when the last tensor using it is gone. `owner` is an
  // opaque token the creator can read back (the binding keeps its JS buffer reference there).
  static std::shared_ptr<Storage> Borrow(void* data, size_t nbytes, std::function<void()> release,
                                         void* owner);

  // Public only for std::make_shared (one allocation for the object and its count).
  struct Token {};
  explicit Storage(Token) {}
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  bool borrowed() const { return static_cast<bool>(release_); }
  void* owner() const { return owner_; }

  // Counts in-place writes (optimizer steps, fill/copy, running statistics). A backward
  // function compares it with the count when its tensors were saved (autograd/record.h), so
  // a gradient is never computed from data that changed after the forward pass.
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void BumpVersion() { version_.fetch_add(1, std::memory_order_relaxed); }

  // The ticket of the last deferred task that uses this memory (runtime/executor.h): reading
  // it waits for that task only. Touched on the JS thread alone.
  uint64_t last_use() const { return last_use_; }
  // Records a use by the task `ticket` of the executor whose retired memory is `stream`: if
  // this storage dies before that task has run, its memory goes there instead of being freed.
  void MarkUse(uint64_t ticket, const std::shared_ptr<StreamMemory>& stream) {
    if (first_use_ == kUnused) first_use_ = ticket;
    last_use_ = ticket;
    if (stream_ != stream) stream_ = stream;
  }
  // For memory allocated in a deferred scope for kernels to fill: the first task that uses it,
  // normally its producer. If a failure skipped that task, the memory holds no value, and a
  // read says so (Executor::CheckWait). 0 for memory allocated otherwise, or not used yet.
  uint64_t first_use() const { return first_use_ == kUnused ? 0 : first_use_; }
  // Moves this storage (and so every tensor and view on it) onto other memory of the same
  // size, borrowed like Borrow's: for weights shared through a SharedArrayBuffer. With copy,
  // the current bytes are copied over first. The old memory is freed, or kept until this
  // storage dies if JS may still hold an array over it (exported_views). No queued task may
  // use this storage (the caller waits first).
  void Rebind(void* data, std::function<void()> release, void* owner, bool copy);
  // Typed arrays JS holds over this memory (tensor.data() of allocated storage).
  void AddExportedView(int delta) { exported_views_.fetch_add(delta, std::memory_order_relaxed); }


 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  std::function<void()> release_;
  void* owner_ = nullptr;
  std::atomic<uint32_t> version_{0};
  uint64_t last_use_ = 0;
  static constexpr uint64_t kUnused = UINT64_MAX;  // tracked, no task has used it yet
  uint64_t first_use_ = 0;                         // 0: not tracked
  std::shared_ptr<StreamMemory> stream_;
  std::shared_ptr<MemoryAccount> account_;
  std::atomic<int> exported_views_{0};
  // Memory given up by Rebind while JS could still read it: freed with the storage.
  std::vector<std::pair<void*, std::function<void()>>> retired_;
  void FreeBlock(void* data, std::function<void()>& release);
};

}  // namespace tg
