#include "runtime/executor.h"

#include "runtime/cpu_relax.h"

#include <chrono>
#include <new>

namespace tg {
namespace {

thread_local Executor* t_current = nullptr;

// How long the worker spins for the next task before it sleeps. A planning JS thread submits
// ops microseconds apart; waking a sleeping thread costs tens of microseconds on a VM.
constexpr auto kSpin = std::chrono::microseconds(200);

}  // namespace

Executor* CurrentExecutor() { return t_current; }
CurrentExecutorScope::CurrentExecutorScope(Executor* executor) : previous_(t_current) { t_current = executor; }
CurrentExecutorScope::~CurrentExecutorScope() { t_current = previous_; }

Executor::Executor(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

Executor::~Executor() {
  Shutdown();
  CollectFinished();
}

uint64_t Executor::Submit(std::unique_ptr<Task> task) {
  CollectFinished();
  uint64_t ticket;
  bool wake;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) Fail(StatusCode::kArgument, "the environment is shutting down: no more work can be queued");
    if (queue_.size() >= capacity_) {
      ++js_waiters_;
      done_cv_.wait(lock, [&] { return queue_.size() < capacity_ || stop_; });
      --js_waiters_;
      if (stop_) Fail(StatusCode::kArgument, "the environment is shutting down: no more work can be queued");
    }
    if (!worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
    ticket = submitted_.load(std::memory_order_relaxed) + 1;
    task->ticket = ticket;
    queue_.push_back(std::move(task));
    queued_.store(queue_.size(), std::memory_order_release);
    submitted_.store(ticket, std::memory_order_release);
    wake = sleeping_;
  }
  if (wake) work_cv_.notify_one();
  CollectFinished();
  return ticket;
}

void Executor::WorkerLoop() {
  for (;;) {
    // Spin briefly for the next task (lock-free check), then sleep.
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (int i = 0; queued_.load(std::memory_order_acquire) == 0; ++i) {
      if ((i & 63) == 63 && std::chrono::steady_clock::now() >= deadline) break;
      CpuRelax();
    }
    std::unique_ptr<Task> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (queue_.empty() && !stop_) {
        sleeping_ = true;
        work_cv_.wait(lock, [&] { return !queue_.empty() || stop_; });
        sleeping_ = false;
      }
      if (stop_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      queued_.store(queue_.size(), std::memory_order_release);
    }
    RunOne(std::move(task));
  }
}

void Executor::RunOne(std::unique_ptr<Task> task) {
  const bool cancelled = task->cancel != nullptr && task->cancel->cancelled.load(std::memory_order_acquire);
  const bool skip = !task->marker && (cancelled || failed_.load(std::memory_order_acquire) ||
                                       task->ticket <= skip_through_.load(std::memory_order_acquire));
  if (!skip) {
    StatusCode code = StatusCode::kInternal;
    std::string message;
    bool threw = true;
    try {
      task->Run();
      threw = false;
    } catch (const Error& e) {
      code = e.code();
      message = e.what();
    } catch (const std::bad_alloc&) {
      code = StatusCode::kOutOfMemory;
      message = "out of memory";
    } catch (const std::exception& e) {
      message = std::string("internal error: ") + e.what();
    } catch (...) {
      message = "internal error: unknown exception in a kernel";
    }
    if (threw) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!failed_.load(std::memory_order_relaxed)) {
        pending_.code = code;
        pending_.message = std::move(message);
        pending_.failed_ticket = task->ticket;
        failed_.store(true, std::memory_order_release);
      }
    }
  }
  Finish(std::move(task), skip);
}

void Executor::Finish(std::unique_ptr<Task> task, bool skipped) {
  bool notify_js;
  uint64_t done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_.push_back(std::move(task));
    has_finished_.store(true, std::memory_order_release);
    if (skipped) ++skipped_;
    done = completed_.fetch_add(1, std::memory_order_acq_rel) + 1;
    stream_memory_->set_completed(done);
    notify_js = js_waiters_ > 0;
  }
  if (notify_js) done_cv_.notify_all();
  // Claim the notification request at most once (the JS thread re-arms it).
  uint64_t at = notify_at_.load(std::memory_order_acquire);
  if (done >= at && notify_at_.compare_exchange_strong(at, UINT64_MAX) && notifier_) notifier_();
}

void Executor::BlockUntil(uint64_t ticket) {
  if (!Done(ticket)) {
    std::unique_lock<std::mutex> lock(mu_);
    ++js_waiters_;
    done_cv_.wait(lock, [&] { return completed_.load(std::memory_order_acquire) >= ticket || stop_; });
    --js_waiters_;
  }
  CollectFinished();
}

void Executor::WaitAllQuietly() { BlockUntil(submitted()); }

void Executor::Wait(uint64_t ticket, uint64_t first_use) {
  BlockUntil(ticket);
  WaitError error;
  if (CheckWait(ticket, first_use, &error)) throw Error(error.code, std::move(error.message));
}

bool Executor::CheckWait(uint64_t ticket, uint64_t first_use, WaitError* error) {
  if (!failed_.load(std::memory_order_acquire) && (first_use == 0 || taken_empty_.load(std::memory_order_acquire))) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_.load(std::memory_order_relaxed) && ticket >= pending_.failed_ticket) {
    const uint64_t skipped_through = submitted_.load(std::memory_order_acquire);
    skip_through_.store(skipped_through, std::memory_order_release);
    *error = pending_;
    error->taken = true;
    taken_.push_back({std::move(pending_), skipped_through});
    if (taken_.size() > kRememberedFailures) taken_.pop_front();
    taken_empty_.store(false, std::memory_order_release);
    pending_ = WaitError{};
    failed_.store(false, std::memory_order_release);
    return true;
  }
  if (first_use == 0) return false;
  for (const TakenFailure& f : taken_) {
    if (first_use >= f.error.failed_ticket && first_use <= f.skipped_through) {
      *error = f.error;
      error->taken = false;
      error->message = "this tensor's value was never computed: an earlier deferred op failed (" + f.error.message + ")";
      return true;
    }
  }
  return false;
}

void Executor::Cancel(const std::shared_ptr<CancelToken>& token) {
  if (token == nullptr) return;
  token->cancelled.store(true, std::memory_order_release);
}

void Executor::NotifyWhenDone(uint64_t ticket) {
  notify_at_.store(ticket, std::memory_order_seq_cst);
  // The worker may have passed `ticket` before the request was visible: claim it here then.
  uint64_t at = ticket;
  if (Done(ticket) && notify_at_.compare_exchange_strong(at, UINT64_MAX) && notifier_) notifier_();
}

void Executor::CollectFinished() {
  if (!has_finished_.load(std::memory_order_acquire)) return;
  stream_memory_->Trim();
  std::vector<std::unique_ptr<Task>> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done.swap(finished_);
    has_finished_.store(false, std::memory_order_release);
  }
  done.clear();  // storages and closures die here, on the JS thread
}

void Executor::Shutdown() {
  std::deque<std::unique_ptr<Task>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !worker_.joinable()) return;
    stop_ = true;
    stopping_.store(true, std::memory_order_release);
    dropped.swap(queue_);
    queued_.store(0, std::memory_order_release);
    skipped_ += dropped.size();
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  // Only once the running kernel has returned may its memory count as free: before the join,
  // completed_ and the stream memory still say it is in use.
  if (worker_.joinable()) worker_.join();
  completed_.store(submitted_.load(std::memory_order_acquire), std::memory_order_release);
  notifier_ = nullptr;
  // Nothing will run any more: every retired block can go back.
  stream_memory_->set_completed(UINT64_MAX);
  stream_memory_->Trim();
}

void Executor::set_capacity(size_t capacity) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    capacity_ = capacity < 1 ? 1 : capacity;
  }
  done_cv_.notify_all();
}

ExecutorStats Executor::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ExecutorStats s;
  s.submitted = submitted_.load();
  s.completed = completed_.load();
  s.skipped = skipped_;
  s.capacity = capacity_;
  s.pending = queue_.size();
  s.running = worker_.joinable();
  return s;
}

}  // namespace tg
