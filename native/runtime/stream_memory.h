// Memory that died while queued kernels may still use it. The executor runs its queue in
// order, so such a block can be handed at once to an op planned from now on (its kernels run
// after the ones still using the block), as CUDA's caching allocator reuses memory within a
// stream. Anything else (eager code, other threads, the global cache) gets the block only
// once those kernels have run. Without this, deferred planning allocated a whole step's
// buffers before any kernel freed one, and cold buffers cost throughput.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace tg {

class StreamMemory {
 public:
  ~StreamMemory();

  // Queued kernels up to `ticket` may use the block (ptr and nbytes as given to tg::Allocate),
  // or the borrowed memory that `release` gives back (ptr null then: never reused).
  void Retire(void* ptr, size_t nbytes, std::function<void()> release, uint64_t ticket);
  // A retired block of nbytes' size class for memory that only kernels queued from now on
  // write (planning in deferred mode), or null; *ticket gets the block's last use.
  void* Reuse(size_t nbytes, uint64_t* ticket);
  // Gives back to the allocator (or to their owners) the blocks whose kernels have all run.
  void Trim();

  bool Pending(uint64_t ticket) const { return completed_.load(std::memory_order_acquire) < ticket; }
  void set_completed(uint64_t completed) { completed_.store(completed, std::memory_order_release); }
  size_t retired_bytes() const;

 private:
  struct Block {
    void* ptr;
    size_t nbytes;
    size_t size_class;
    std::function<void()> release;
    uint64_t ticket;
  };
  mutable std::mutex mu_;
  std::vector<Block> blocks_;
  std::atomic<uint64_t> completed_{0};
};

}  // namespace tg
