// A caching allocator for 64-byte-aligned buffers. Training allocates the same sizes every
// step; freed blocks go to a per-size-class free list and are handed out again instead of
// going back to the system. Sizes are rounded up to a class (at most 25% larger), the cache
// is bounded (SetCacheLimit), and EmptyCache() returns every cached block to the system.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

constexpr size_t kAlignment = 64;

struct AllocatorStats {
  int64_t bytes_in_use = 0;       // handed out and not yet freed (size-class bytes)
  int64_t peak_bytes_in_use = 0;
  int64_t bytes_cached = 0;       // freed, kept for reuse
  int64_t cache_limit = 0;
  int64_t allocations = 0;        // calls to Allocate
  int64_t cache_hits = 0;         // of those, served from the cache
};

// The size actually reserved for a request of n bytes.
size_t SizeClass(size_t n);

// Throws Error(kOutOfMemory) when the request exceeds physical memory or the system refuses.
// A zero-byte request returns a valid, unique, aligned pointer.
void* Allocate(size_t nbytes);
// nbytes must be the size passed to Allocate.
void Deallocate(void* ptr, size_t nbytes);

void EmptyCache();
void SetCacheLimit(size_t bytes);
AllocatorStats GetAllocatorStats();

// Live bytes owned by one JS environment (main thread or a worker), so the binding can
// report them to that environment's garbage collector. Storages capture the account that
// is current on their thread when they are created.
struct MemoryAccount {
  std::atomic<int64_t> live_bytes{0};
};
std::shared_ptr<MemoryAccount> CurrentMemoryAccount();

// Makes `account` current on this thread for the scope's lifetime.
class MemoryAccountScope {
 public:
  explicit MemoryAccountScope(std::shared_ptr<MemoryAccount> account);
  ~MemoryAccountScope();
  MemoryAccountScope(const MemoryAccountScope&) = delete;
  MemoryAccountScope& operator=(const MemoryAccountScope&) = delete;

 private:
  std::shared_ptr<MemoryAccount> previous_;
};

}  // namespace tg
