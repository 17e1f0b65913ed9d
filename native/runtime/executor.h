// The executor: the queue that deferred kernels run from, one per JS environment, drained
// in order by one native thread. An op plans on the JS thread (checks, shape, allocation,
// autograd record) and hands its kernel here as a closure over raw pointers and sizes; in
// eager mode the closure runs at once instead (ops/launch.h decides).
//
// Threads: Submit, Wait, Cancel, CollectFinished and the deferring() flag belong to the
// environment's JS thread; the worker thread only runs tasks. Tasks are destroyed on the JS
// thread (CollectFinished), so storages, their release callbacks and the allocator's caches
// never see the worker thread.
//
// Errors: a task that throws (tg::Error, bad_alloc) is the first failure; kernel tasks after it
// are skipped, as eager mode would have thrown at the op and run nothing after. The failure
// stays pending until a wait that covers it (one for the failed task's ticket or a later one)
// takes it and rethrows it; a wait for earlier work succeeds and leaves it pending. Tasks queued
// before the take stay skipped, and a read of memory that one of them was to produce first
// (Storage::first_use) fails with the same error instead of returning garbage.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/status.h"
#include "runtime/stream_memory.h"

namespace tg {

// Shared by the tasks of one cancellable scope (tg.deferred with a signal): once set, the
// executor skips those tasks instead of running them.
struct CancelToken {
  std::atomic<bool> cancelled{false};
};

class Task {
 public:
  virtual ~Task() = default;
  virtual void Run() = 0;
  // Memory the closure reads or writes (storages, type-erased): alive until the task is destroyed.
  std::vector<std::shared_ptr<void>> keep;
  std::shared_ptr<CancelToken> cancel;
  // A marker always runs, even after a failure or a cancel: waits and notifications use them.
  bool marker = false;
  uint64_t ticket = 0;  // set by Submit
};

// Why a wait failed: the kernel error, and whether this wait took it from the executor (the
// first wait to cover a failure) or found memory that a skipped task was to produce.
struct WaitError {
  StatusCode code = StatusCode::kInternal;
  std::string message;
  uint64_t failed_ticket = 0;  // the task that threw
  bool taken = false;
};

template <typename Fn>
class ClosureTask final : public Task {
 public:
  explicit ClosureTask(Fn fn) : fn_(std::move(fn)) {}
  void Run() override { fn_(); }

 private:
  Fn fn_;
};

template <typename Fn>
std::unique_ptr<Task> MakeTask(Fn&& fn) {
  return std::make_unique<ClosureTask<std::decay_t<Fn>>>(std::forward<Fn>(fn));
}

struct ExecutorStats {
  uint64_t submitted = 0;
  uint64_t completed = 0;  // run, skipped or cancelled
  uint64_t skipped = 0;    // not run: after a failure, or cancelled
  size_t capacity = 0;
  size_t pending = 0;
  bool running = false;    // the worker thread exists
};

class Executor {
 public:
  static constexpr size_t kDefaultCapacity = 2048;

  explicit Executor(size_t capacity = kDefaultCapacity);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Deferred scopes nest: ops defer while at least one is open.
  bool deferring() const { return depth_ > 0; }
  void Enter() { ++depth_; }
  void Exit() {
    if (depth_ > 0) --depth_;
  }
  // The token new tasks carry (null: not cancellable). Set by the binding for a scope.
  void set_cancel_token(std::shared_ptr<CancelToken> token) { token_ = std::move(token); }
  const std::shared_ptr<CancelToken>& cancel_token() const { return token_; }

  // Queues a task and returns its ticket (1, 2, ...). Blocks while `capacity` tasks are pending,
  // so a loop that never waits cannot run ahead without bound. Throws if shut down.
  uint64_t Submit(std::unique_ptr<Task> task);

  uint64_t submitted() const { return submitted_.load(std::memory_order_acquire); }
  uint64_t completed() const { return completed_.load(std::memory_order_acquire); }
  bool Done(uint64_t ticket) const { return completed() >= ticket; }
  bool Idle() const { return completed() == submitted(); }

  // Blocks until every task up to `ticket` has finished, then throws what CheckWait reports.
  // first_use: the Storage::first_use of the memory about to be read (0: none).
  void Wait(uint64_t ticket, uint64_t first_use = 0);
  void WaitAll() { Wait(submitted()); }
  // Waits like WaitAll but leaves a failure pending (for a release that must run regardless).
  void WaitAllQuietly();
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // For a finished wait on `ticket`: takes the pending failure if the wait covers it (ticket at
  // or after the failed task), or reports that memory first used by `first_use` was never
  // produced because a taken failure skipped that task. False when the wait succeeds.
  bool CheckWait(uint64_t ticket, uint64_t first_use, WaitError* error);

  // Marks the token cancelled and wakes the worker: its queued tasks are skipped.
  void Cancel(const std::shared_ptr<CancelToken>& token);

  // Calls `notify` (on the worker thread) once completed() reaches `ticket`, or at once (on
  // this thread) if it already has; a later call replaces an earlier request.
  void NotifyWhenDone(uint64_t ticket);
  void set_notifier(std::function<void()> notify) { notifier_ = std::move(notify); }

  // Destroys the tasks that have finished (JS thread). Cheap when there are none.
  void CollectFinished();

  // Drops every queued task, waits for the running one, joins the thread. Idempotent; later
  // Submits throw.
  void Shutdown();
  // Set once Shutdown begins: a task that may wait on another thread for long (a shared-weight
  // lock) polls it and gives up, so that the join cannot hang.
  const std::atomic<bool>* stopping() const { return &stopping_; }

  void set_capacity(size_t capacity);
  ExecutorStats stats() const;

  // Blocks that died with queued kernels still using them (runtime/stream_memory.h). Storages
  // hold it, so it outlives the executor.
  const std::shared_ptr<StreamMemory>& stream_memory() const { return stream_memory_; }

 private:
  void BlockUntil(uint64_t ticket);
  void WorkerLoop();
  void RunOne(std::unique_ptr<Task> task);
  void Finish(std::unique_ptr<Task> task, bool skipped);

  int depth_ = 0;
  std::shared_ptr<CancelToken> token_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // worker: a task arrived, or stop
  std::condition_variable done_cv_;   // JS thread: a task finished (waits, full queue)
  std::deque<std::unique_ptr<Task>> queue_;
  std::vector<std::unique_ptr<Task>> finished_;
  std::thread worker_;
  bool stop_ = false;
  std::atomic<bool> stopping_{false};
  bool sleeping_ = false;  // the worker waits on work_cv_ (so Submit must notify)
  int js_waiters_ = 0;     // JS thread blocked on done_cv_ (so the worker must notify)
  size_t capacity_;
  uint64_t skipped_ = 0;

  std::atomic<uint64_t> submitted_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> queued_{0};        // mirror of queue_.size() for the spinning worker
  std::atomic<bool> has_finished_{false};  // finished_ is non-empty
  std::atomic<uint64_t> notify_at_{UINT64_MAX};
  std::function<void()> notifier_;
  std::shared_ptr<StreamMemory> stream_memory_ = std::make_shared<StreamMemory>();

  std::atomic<bool> failed_{false};
  // Tasks queued before a failure was taken are skipped even after it was: eager mode would
  // never have run them.
  std::atomic<uint64_t> skip_through_{0};
  // The pending failure (guarded by mu_; failed_ says whether there is one).
  WaitError pending_;
  // Failures already taken, newest last: tasks failed_ticket..skipped_through never ran. Kept
  // for reads of what they were to produce; the oldest are forgotten past kRememberedFailures.
  struct TakenFailure {
    WaitError error;
    uint64_t skipped_through;
  };
  static constexpr size_t kRememberedFailures = 64;
  std::deque<TakenFailure> taken_;  // guarded by mu_
  std::atomic<bool> taken_empty_{true};  // lets a wait skip the lock when nothing ever failed
};

// The executor of the calling thread's environment, or null (C++ tests, libuv workers, the
// executor's own thread): ops then run their kernels inline.
Executor* CurrentExecutor();

// Makes `executor` current on this thread for the scope's lifetime (binding/errors.h, per call).
class CurrentExecutorScope {
 public:
  explicit CurrentExecutorScope(Executor* executor);
  ~CurrentExecutorScope();
  CurrentExecutorScope(const CurrentExecutorScope&) = delete;
  CurrentExecutorScope& operator=(const CurrentExecutorScope&) = delete;

 private:
  Executor* previous_;
};

}  // namespace tg
