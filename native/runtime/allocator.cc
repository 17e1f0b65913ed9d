#include "runtime/allocator.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#if defined(_WIN32)
#include <malloc.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

#include "runtime/status.h"

namespace tg {
namespace {

uint64_t PhysicalMemoryBytes() {
#if defined(_WIN32)
  MEMORYSTATUSEX status;
  status.dwLength = sizeof(status);
  return GlobalMemoryStatusEx(&status) ? status.ullTotalPhys : (uint64_t{1} << 40);
#else
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return uint64_t{1} << 40;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
#endif
}

void* SystemAlloc(size_t bytes) {
#if defined(_WIN32)
  return _aligned_malloc(bytes, kAlignment);
#else
  return std::aligned_alloc(kAlignment, bytes);  // bytes is a multiple of kAlignment
#endif
}

void SystemFree(void* p) {
#if defined(_WIN32)
  _aligned_free(p);
#else
  std::free(p);
#endif
}

class CachingAllocator {
 public:
  CachingAllocator() : physical_(PhysicalMemoryBytes()) {
    limit_ = std::min<uint64_t>(uint64_t{2} << 30, physical_ / 4);
  }

  void* Allocate(size_t nbytes) {
    if (nbytes > physical_) {
      Fail(StatusCode::kOutOfMemory, "cannot allocate ", nbytes,
           " bytes: that is more than this machine's physical memory (", physical_, " bytes)");
    }
    const size_t size = SizeClass(nbytes);
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.allocations;
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        p = it->second.back();
        it->second.pop_back();
        stats_.bytes_cached -= static_cast<int64_t>(size);
        ++stats_.cache_hits;
        Track(size);
        return p;
      }
    }
    p = SystemAlloc(size);
    if (p == nullptr) {
      EmptyCache();  // cached blocks of other sizes may be what the system is missing
      p = SystemAlloc(size);
    }
    if (p == nullptr) Fail(StatusCode::kOutOfMemory, "cannot allocate ", nbytes, " bytes: out of memory");
    std::lock_guard<std::mutex> lock(mu_);
    Track(size);
    return p;
  }

  void Deallocate(void* p, size_t nbytes) {
    if (p == nullptr) return;
    const size_t size = SizeClass(nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.bytes_in_use -= static_cast<int64_t>(size);
      if (static_cast<uint64_t>(stats_.bytes_cached) + size <= limit_) {
        free_[size].push_back(p);
        stats_.bytes_cached += static_cast<int64_t>(size);
        return;
      }
    }
    SystemFree(p);
  }

  void EmptyCache() {
    std::unordered_map<size_t, std::vector<void*>> blocks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      blocks.swap(free_);
      stats_.bytes_cached = 0;
    }
    for (auto& entry : blocks) {
      for (void* p : entry.second) SystemFree(p);
    }
  }

  void SetLimit(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      limit_ = bytes;
      if (static_cast<uint64_t>(stats_.bytes_cached) <= limit_) return;
    }
    EmptyCache();
  }

  AllocatorStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    AllocatorStats s = stats_;
    s.cache_limit = static_cast<int64_t>(limit_);
    return s;
  }

 private:
  void Track(size_t size) {  // with mu_ held
    stats_.bytes_in_use += static_cast<int64_t>(size);
    stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  }

  const uint64_t physical_;
  uint64_t limit_;
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  AllocatorStats stats_;
};

// Never destroyed: tensors owned by JS may be freed during teardown after static destructors.
CachingAllocator& Global() {
  static CachingAllocator* allocator = new CachingAllocator();
  return *allocator;
}

thread_local std::shared_ptr<MemoryAccount> t_account;

}  // namespace

size_t SizeClass(size_t n) {
  if (n <= 4096) return std::max<size_t>(kAlignment, (n + kAlignment - 1) / kAlignment * kAlignment);
  // Above 4 KiB: four classes per power of two (2^k * {1, 1.25, 1.5, 1.75}).
  size_t top = 4096;
  while (top * 2 < n) top *= 2;
  const size_t step = top / 4;
  return (n + step - 1) / step * step;
}

void* Allocate(size_t nbytes) { return Global().Allocate(nbytes); }
void Deallocate(void* ptr, size_t nbytes) { Global().Deallocate(ptr, nbytes); }
void EmptyCache() { Global().EmptyCache(); }
void SetCacheLimit(size_t bytes) { Global().SetLimit(bytes); }
AllocatorStats GetAllocatorStats() { return Global().Stats(); }

std::shared_ptr<MemoryAccount> CurrentMemoryAccount() { return t_account; }

MemoryAccountScope::MemoryAccountScope(std::shared_ptr<MemoryAccount> account)
    : previous_(std::move(t_account)) {
  t_account = std::move(account);
}

MemoryAccountScope::~MemoryAccountScope() { t_account = std::move(previous_); }

}  // namespace tg
