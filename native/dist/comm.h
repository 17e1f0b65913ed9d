// The communication thread: the one thread that calls MPI. It initialises MPI with
// MPI_Init_thread(MPI_THREAD_FUNNELED) -- only the thread that initialised MPI calls it -- and
// then runs collectives from a queue, in the order they were queued, which is the same order
// on every rank. Nothing here touches V8: the N-API side (addon.cc) and the main addon's
// stream (runtime/external_op.h) hand it raw pointers and sizes.
//
// Every collective is nonblocking (MPI_Iallreduce, MPI_Ibcast, MPI_Iallgather, MPI_Ibarrier),
// polled with MPI_Test against a deadline of timeout_ms. A collective that misses it, or that
// MPI reports an error for, breaks the group: the pending collective and everything queued
// after it fail with that reason, and so does every later call. MPI cannot cancel a started
// collective, so a broken group is not recoverable: the process should report and exit.
// Without a timeout (timeout_ms 0) the blocking collectives run instead: MPI's tuned
// algorithms are faster on large messages, and there is no deadline to poll against.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tg::dist {

enum class CollectiveKind { kAllReduce, kBroadcast, kAllGather, kBarrier };
enum class ReduceKind { kSum, kAvg, kMax, kMin };

struct Buffer {
  void* data;
  int64_t numel;
  int32_t dtype;  // TgExternalDType: 0 float32, 1 int32
};

// The completion of one queued collective, waited on from the JS thread, the executor's thread
// or a libuv worker.
class Work {
 public:
  void Finish(std::string error);
  // Blocks until finished; returns the error ("" when it succeeded).
  std::string Wait();
  bool done() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> done_{false};
  std::string error_;
};

struct Collective {
  CollectiveKind kind;
  ReduceKind reduce = ReduceKind::kSum;
  int root = 0;
  // kAllGather: buffers[0] is the input, buffers[1 + r] receives rank r's. Otherwise every
  // buffer takes part in place; runs of one dtype are packed into one message.
  std::vector<Buffer> buffers;
  std::shared_ptr<Work> work;
};

// Counters for the benchmark's overlap figure (bench/ddp.mjs): how long collectives kept the
// communication thread busy, and how long the stream waited for them (the part not hidden).
struct CommStats {
  std::atomic<uint64_t> collectives{0};
  std::atomic<uint64_t> busy_ns{0};
  std::atomic<uint64_t> waited_ns{0};
};

struct InitResult {
  int rank = 0;
  int size = 1;
  int thread_level = 0;  // what MPI provided
  std::string error;
};

class Comm {
 public:
  ~Comm();
  // Starts the thread and initialises MPI on it; blocks until that is done.
  InitResult Init(int64_t timeout_ms);
  // Queues a collective; its work finishes when it has run (or failed).
  void Submit(Collective c);
  // Finishes queued work, calls MPI_Finalize (unless the group is broken: it could hang on the
  // collective that never completed) and joins the thread.
  void Shutdown();

  bool initialized() const;
  bool finalized() const;
  std::string broken_reason() const;
  int rank() const { return rank_; }
  CommStats& stats() { return stats_; }
  int size() const { return size_; }

 private:
  void ThreadMain(int64_t timeout_ms);
  void Run(Collective& c);
  std::string RunGroup(const Collective& c, size_t begin, size_t end);
  std::string RunAllGather(const Collective& c);
  std::string Complete(void* request, const char* what);
  void Break(const std::string& reason);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Collective> queue_;
  std::atomic<size_t> queued_{0};  // queue_.size(), read without the lock by the spinning thread
  std::thread thread_;
  bool stop_ = false;
  bool initialized_ = false;
  bool finalized_ = false;
  std::string broken_;
  int rank_ = 0;
  int size_ = 1;
  int64_t timeout_ms_ = 0;
  CommStats stats_;
  // Init's handshake with the thread.
  bool init_done_ = false;
  InitResult init_result_;
};

// The process's one communication thread (MPI is initialised once per process).
Comm& TheComm();

}  // namespace tg::dist
