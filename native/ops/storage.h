// A reference-counted block of tensor memory: from the caching allocator, or borrowed from
// the outside (a JS ArrayBuffer) and given back through a release callback.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "runtime/allocator.h"

namespace tg {

class Storage {
 public:
  // nbytes of 64-byte-aligned memory, uninitialised. Throws Error(kOutOfMemory).
  static std::shared_ptr<Storage> Allocate(size_t nbytes);
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

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  std::function<void()> release_;
  void* owner_ = nullptr;
  std::shared_ptr<MemoryAccount> account_;
};

}  // namespace tg
