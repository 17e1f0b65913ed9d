#include "ops/storage.h"

#include <cstring>

#include "runtime/executor.h"

namespace tg {

std::shared_ptr<Storage> Storage::Allocate(size_t nbytes, bool queued_writes_only) {
  auto s = std::make_shared<Storage>(Token{});
  Executor* executor = queued_writes_only ? CurrentExecutor() : nullptr;
  if (executor != nullptr && executor->deferring()) {
    uint64_t ticket = 0;
    if (void* p = executor->stream_memory()->Reuse(nbytes, &ticket)) {
      s->data_ = p;
      // Still the earlier kernels' until they ran: this storage may not free it before then.
      s->MarkUse(ticket, executor->stream_memory());
    }
    s->first_use_ = kUnused;  // the next task that uses it produces it
  }
  if (s->data_ == nullptr) s->data_ = tg::Allocate(nbytes);
  s->nbytes_ = nbytes;
  s->account_ = CurrentMemoryAccount();
  if (s->account_) s->account_->live_bytes += static_cast<int64_t>(nbytes);
  return s;
}

std::shared_ptr<Storage> Storage::Borrow(void* data, size_t nbytes, std::function<void()> release,
                                         void* owner) {
  auto s = std::make_shared<Storage>(Token{});
  s->data_ = data;
  s->nbytes_ = nbytes;
  s->release_ = release ? std::move(release) : [] {};
  s->owner_ = owner;
  return s;
}

void Storage::FreeBlock(void* data, std::function<void()>& release) {
  if (release) {
    release();
    return;
  }
  tg::Deallocate(data, nbytes_);
  if (account_) account_->live_bytes -= static_cast<int64_t>(nbytes_);
}

void Storage::Rebind(void* data, std::function<void()> release, void* owner, bool copy) {
  if (copy && nbytes_ > 0) std::memcpy(data, data_, nbytes_);
  if (exported_views_.load(std::memory_order_relaxed) > 0) {
    retired_.emplace_back(data_, std::move(release_));
  } else {
    FreeBlock(data_, release_);
  }
  data_ = data;
  release_ = release ? std::move(release) : [] {};
  owner_ = owner;
  first_use_ = 0;  // the bytes are the shared memory's (or were copied): a value either way
}

Storage::~Storage() {
  for (auto& [data, release] : retired_) FreeBlock(data, release);
  if (stream_ != nullptr && stream_->Pending(last_use_)) {
    // Queued kernels still use this memory: it goes back only once they ran (or, if it is
    // ours, to ops planned after them).
    if (release_) {
      stream_->Retire(nullptr, nbytes_, std::move(release_), last_use_);
    } else {
      stream_->Retire(data_, nbytes_, nullptr, last_use_);
      if (account_) account_->live_bytes -= static_cast<int64_t>(nbytes_);
    }
    return;
  }
  FreeBlock(data_, release_);
}

}  // namespace tg
