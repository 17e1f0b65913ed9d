#include "ops/storage.h"

#include <cstring>

namespace tg {

std::shared_ptr<Storage> Storage::Allocate(size_t nbytes) {
  auto s = std::make_shared<Storage>(Token{});
  s->data_ = tg::Allocate(nbytes);
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
}

Storage::~Storage() {
  for (auto& [data, release] : retired_) FreeBlock(data, release);
  FreeBlock(data_, release_);
}

}  // namespace tg
