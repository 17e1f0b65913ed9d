#include "runtime/stream_memory.h"

#include <utility>

#include "runtime/allocator.h"

namespace tg {

StreamMemory::~StreamMemory() {
  completed_.store(UINT64_MAX);
  Trim();
}

void StreamMemory::Retire(void* ptr, size_t nbytes, std::function<void()> release, uint64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  blocks_.push_back({ptr, nbytes, ptr != nullptr ? SizeClass(nbytes) : 0, std::move(release), ticket});
}

void* StreamMemory::Reuse(size_t nbytes, uint64_t* ticket) {
  const size_t cls = SizeClass(nbytes);
  std::lock_guard<std::mutex> lock(mu_);
  // The most recently retired first: its lines are the likeliest still in cache.
  for (size_t i = blocks_.size(); i-- > 0;) {
    Block& b = blocks_[i];
    if (b.ptr == nullptr || b.size_class != cls) continue;
    void* p = b.ptr;
    *ticket = b.ticket;
    blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(i));
    return p;
  }
  return nullptr;
}

void StreamMemory::Trim() {
  std::vector<Block> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (blocks_.empty()) return;
    const uint64_t completed = completed_.load(std::memory_order_acquire);
    size_t keep = 0;
    for (size_t i = 0; i < blocks_.size(); ++i) {
      if (blocks_[i].ticket <= completed) {
        done.push_back(std::move(blocks_[i]));
      } else {
        if (keep != i) blocks_[keep] = std::move(blocks_[i]);
        ++keep;
      }
    }
    blocks_.resize(keep);
  }
  for (Block& b : done) {
    if (b.ptr != nullptr) Deallocate(b.ptr, b.nbytes);
    else if (b.release) b.release();
  }
}

size_t StreamMemory::retired_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const Block& b : blocks_) n += b.nbytes;
  return n;
}

}  // namespace tg
