// The lock that makes a step on shared weights and a snapshot of them exclusive across
// threads (binding/shared_exports.cc, lib/nn/shared.ts): three int32 words in shared memory.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "runtime/status.h"

namespace tg {

// holder: 0 when free, else the id of the environment holding it. waiting: how many
// environments wait for it. last: the id of its last holder. While another environment waits,
// the last holder may not take it again: with a compare-and-swap alone, a training loop that
// releases and re-acquires at once won nearly every time, and a snapshot could wait forever.
struct LockWords {
  int32_t* holder;
  int32_t* waiting;
  int32_t* last;
};
constexpr int64_t kLockWords = 3;
inline LockWords LockWordsAt(int32_t* p) { return {p, p + 1, p + 2}; }

inline int32_t LockLoad(const int32_t* w) { return __atomic_load_n(w, __ATOMIC_ACQUIRE); }

// AcquireLock in its two halves: BeginLockWait counts the caller as waiting (from then on the
// last holder cannot take the lock again before it), FinishLockWait waits for its turn.
inline void BeginLockWait(LockWords w, int32_t owner) {
  if (LockLoad(w.holder) == owner) Fail(StatusCode::kArgument, "shared weights: this thread already holds their lock (sharedStep inside sharedStep?)");
  __atomic_fetch_add(w.waiting, 1, __ATOMIC_ACQ_REL);
}

// stopping: the executor's shutdown flag (a worker being terminated stops waiting).
inline void FinishLockWait(LockWords w, int32_t owner, const std::atomic<bool>* stopping) {
  for (int spins = 0;; ++spins) {
    const bool my_turn = LockLoad(w.last) != owner || LockLoad(w.waiting) == 1;
    int32_t expected = 0;
    if (my_turn && LockLoad(w.holder) == 0 &&
        __atomic_compare_exchange_n(w.holder, &expected, owner, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      __atomic_store_n(w.last, owner, __ATOMIC_RELEASE);
      __atomic_fetch_sub(w.waiting, 1, __ATOMIC_ACQ_REL);
      return;
    }
    if (stopping->load(std::memory_order_acquire)) {
      __atomic_fetch_sub(w.waiting, 1, __ATOMIC_ACQ_REL);
      Fail(StatusCode::kArgument, "shared weights: the environment shut down while waiting for their lock");
    }
    // Steps last milliseconds: spin briefly, then sleep in short naps.
    if (spins < 1000) std::this_thread::yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

inline void AcquireLock(LockWords w, int32_t owner, const std::atomic<bool>* stopping) {
  BeginLockWait(w, owner);
  FinishLockWait(w, owner, stopping);
}

inline void ReleaseLock(LockWords w, int32_t owner) {
  int32_t expected = owner;
  __atomic_compare_exchange_n(w.holder, &expected, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

}  // namespace tg
