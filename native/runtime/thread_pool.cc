#include "runtime/thread_pool.h"

#include "runtime/cpu_relax.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/status.h"

namespace tg {
namespace {

thread_local bool t_inside_parallel_region = false;

// How long a thread spins on an atomic before it sleeps on a condition variable. The ops of a
// training step come back to back, a few microseconds apart, and waking a sleeping thread (a
// futex round trip) takes tens of microseconds on a VM: more than many ops last. After this
// long without work the thread sleeps, so an idle pool costs nothing.
constexpr auto kSpin = std::chrono::microseconds(100);

// Spins until done() or kSpin has passed; returns done().
template <typename Done>
bool SpinUntil(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (done()) return true;
    // Reading the clock costs more than a pause: check it every 64 rounds.
    if ((i & 63) == 63 && std::chrono::steady_clock::now() >= deadline) return done();
    CpuRelax();
  }
}

struct Job {
  RangeFn fn;
  void* ctx;
  int64_t begin;
  int64_t end;
  int64_t chunks;
  std::atomic<int64_t> next_chunk{0};
  std::atomic<int64_t> chunks_left{0};
  std::atomic<int> workers_inside{0};  // changed under Pool::mu_; read without it while spinning
  std::mutex error_mu;
  std::exception_ptr error;

  void RunChunk(int64_t c) {
    // Even split: the first (n % chunks) chunks get one extra item.
    const int64_t n = end - begin, base = n / chunks, extra = n % chunks;
    const int64_t b = begin + c * base + std::min(c, extra);
    const int64_t e = b + base + (c < extra ? 1 : 0);
    try {
      fn(ctx, b, e);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
    }
  }

  // Runs chunks until none are left; returns true if this call finished the last one.
  bool Drain() {
    bool finished_last = false;
    for (int64_t c = next_chunk.fetch_add(1); c < chunks; c = next_chunk.fetch_add(1)) {
      RunChunk(c);
      if (chunks_left.fetch_sub(1) == 1) finished_last = true;
    }
    return finished_last;
  }
};

class Pool {
 public:
  Pool() : threads_(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))) {
    Resize(threads_);
  }

  int threads() const { return threads_.load(); }

  void SetThreads(int n) {
    std::lock_guard<std::mutex> submit(submit_mu_);
    Resize(n);
  }

  void Run(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void* ctx) {
    const int64_t chunks = ChunkCount(end - begin, grain);
    std::unique_lock<std::mutex> submit(submit_mu_, std::try_to_lock);
    if (chunks <= 1 || t_inside_parallel_region || !submit.owns_lock() || workers_.empty()) {
      if (end > begin) fn(ctx, begin, end);
      return;
    }
    Job job;
    job.fn = fn;
    job.ctx = ctx;
    job.begin = begin;
    job.end = end;
    job.chunks = chunks;
    job.chunks_left = chunks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &job;
      ++generation_;
      posted_.store(generation_, std::memory_order_release);
    }
    work_cv_.notify_all();
    t_inside_parallel_region = true;
    job.Drain();
    t_inside_parallel_region = false;
    {
      // The job lives on this stack frame: wait until no worker can still touch it.
      auto finished = [&] { return job.chunks_left.load() == 0 && job.workers_inside.load() == 0; };
      SpinUntil(finished);
      std::unique_lock<std::mutex> lock(mu_);
      done_cv_.wait(lock, finished);
      job_ = nullptr;
    }
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  // Called with submit_mu_ held, so no job is running.
  void Resize(int n) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      stop_flag_.store(true, std::memory_order_release);
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    stop_flag_.store(false, std::memory_order_release);
    threads_ = n;
    // Each worker starts from the current generation, read here rather than in the new
    // thread: a job posted before the thread first runs must not look already seen.
    const uint64_t start = generation_;
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, start] { WorkerLoop(start); });
  }

  void WorkerLoop(uint64_t seen) {
    t_inside_parallel_region = true;
    for (;;) {
      Job* job;
      SpinUntil([&] { return posted_.load(std::memory_order_acquire) != seen || stop_flag_.load(std::memory_order_acquire); });
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return stop_ || (job_ != nullptr && generation_ != seen); });
        if (stop_) return;
        seen = generation_;
        job = job_;
        ++job->workers_inside;
      }
      job->Drain();
      {
        std::lock_guard<std::mutex> lock(mu_);
        --job->workers_inside;
      }
      done_cv_.notify_all();
    }
  }

  std::atomic<int> threads_;
  std::vector<std::thread> workers_;
  std::mutex submit_mu_;  // one job at a time; a second caller runs inline instead of waiting
  std::mutex mu_;         // guards job_, generation_, stop_, Job::workers_inside
  std::condition_variable work_cv_, done_cv_;
  Job* job_ = nullptr;
  uint64_t generation_ = 0;
  bool stop_ = false;
  // Mirrors of generation_ and stop_ that spinning workers read without taking mu_.
  std::atomic<uint64_t> posted_{0};
  std::atomic<bool> stop_flag_{false};
};

// Never destroyed: worker threads must not be joined during static destruction at exit,
// when other threads (Node's workers) may still be running.
Pool& GlobalPool() {
  static Pool* pool = new Pool();
  return *pool;
}

}  // namespace

SerialScope::SerialScope() : previous_(t_inside_parallel_region) { t_inside_parallel_region = true; }
SerialScope::~SerialScope() { t_inside_parallel_region = previous_; }

int NumThreads() { return GlobalPool().threads(); }

void SetNumThreads(int n) {
  if (n < 1 || n > kMaxThreads) {
    Fail(StatusCode::kArgument, "numThreads must be an integer from 1 to ", kMaxThreads, ", got ", n);
  }
  GlobalPool().SetThreads(n);
}

int64_t ChunkCount(int64_t n, int64_t grain) {
  if (n <= 0) return 0;
  const int64_t g = std::max<int64_t>(grain, 1);
  const int64_t by_grain = (n + g - 1) / g;
  return std::max<int64_t>(1, std::min<int64_t>(by_grain, NumThreads()));
}

void ParallelForImpl(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void* ctx) {
  if (end <= begin) return;
  GlobalPool().Run(begin, end, grain, fn, ctx);
}

}  // namespace tg
