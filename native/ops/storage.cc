#include "ops/storage.h"

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

Storage::~Storage() {
  if (release_) {
    release_();
    return;
  }
  tg::Deallocate(data_, nbytes_);
  if (account_) account_->live_bytes -= static_cast<int64_t>(nbytes_);
}

}  // namespace tg
