#include "comm.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace tg::dist {
namespace {

using Clock = std::chrono::steady_clock;

MPI_Datatype DatatypeOf(int32_t dtype) { return dtype == 0 ? MPI_FLOAT : MPI_INT; }

MPI_Op OpOf(ReduceKind reduce) {
  switch (reduce) {
    case ReduceKind::kMax: return MPI_MAX;
    case ReduceKind::kMin: return MPI_MIN;
    default: return MPI_SUM;  // kAvg sums, then scales
  }
}

std::string MpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<size_t>(length));
}

const char* NameOf(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::kAllReduce: return "allReduce";
    case CollectiveKind::kBroadcast: return "broadcast";
    case CollectiveKind::kAllGather: return "allGather";
    case CollectiveKind::kBarrier: return "barrier";
  }
  return "collective";
}

constexpr size_t kElementSize = 4;  // float32 and int32

// Handing work between threads through a condition variable costs tens of microseconds of
// wake-up on a busy or virtual machine, more than a small all-reduce. So a waiter, and the
// communication thread between collectives, first spin (yielding the core) for this long; an
// idle one then sleeps and costs nothing.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(200);
// A started collective is polled in a spin for this long (MPI progresses a nonblocking
// collective only inside MPI calls, so polling slowly slows the transfer itself), then with
// short sleeps, then with long ones: a collective that waits for a late or dead rank should not
// take a core from the compute threads.
// TENSORGRAD_MPI_POLL_SPIN_US overrides it (0: sleep between polls at once): spin longer on a
// machine with cores to spare, shorter when ranks share every core.
std::chrono::microseconds PollSpin() {
  static const std::chrono::microseconds spin = [] {
    const char* value = std::getenv("TENSORGRAD_MPI_POLL_SPIN_US");
    return std::chrono::microseconds(value != nullptr ? std::strtoll(value, nullptr, 10) : 1000);
  }();
  return spin;
}
constexpr auto kPollShortSleepsUntil = std::chrono::milliseconds(500);

template <typename Ready>
void SpinUntil(Ready ready) {
  const auto until = Clock::now() + kSpinBeforeSleep;
  while (!ready() && Clock::now() < until) std::this_thread::yield();
}

}  // namespace

void Work::Finish(std::string error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::move(error);
    done_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

std::string Work::Wait() {
  SpinUntil([&] { return done_.load(std::memory_order_acquire); });
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_.load(std::memory_order_acquire); });
  return error_;
}

bool Work::done() const { return done_.load(std::memory_order_acquire); }

Comm::~Comm() { Shutdown(); }

InitResult Comm::Init(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  if (finalized_) return {0, 1, 0, "MPI was finalized by destroyProcessGroup and cannot be initialised again in this process"};
  if (initialized_) return {rank_, size_, init_result_.thread_level, ""};
  init_done_ = false;
  stop_ = false;
  thread_ = std::thread([this, timeout_ms] { ThreadMain(timeout_ms); });
  cv_.wait(lock, [&] { return init_done_; });
  InitResult result = init_result_;
  if (!result.error.empty()) {
    lock.unlock();
    thread_.join();
  }
  return result;
}

void Comm::ThreadMain(int64_t timeout_ms) {
  int provided = 0;
  int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  InitResult result;
  if (code != MPI_SUCCESS) {
    result.error = "MPI_Init_thread failed: " + MpiError(code);
  } else if (provided < MPI_THREAD_FUNNELED) {
    result.error = "MPI provides thread level " + std::to_string(provided) + ", below MPI_THREAD_FUNNELED";
  } else {
    // Errors come back as codes, so that a failed collective breaks the group instead of
    // aborting the job from inside MPI.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &result.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &result.size);
    result.thread_level = provided;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    init_result_ = result;
    init_done_ = true;
    if (result.error.empty()) {
      initialized_ = true;
      rank_ = result.rank;
      size_ = result.size;
      timeout_ms_ = timeout_ms;
    }
  }
  cv_.notify_all();
  if (!result.error.empty()) return;

  for (;;) {
    Collective c;
    SpinUntil([&] { return queued_.load(std::memory_order_acquire) > 0; });
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stop_, and everything queued has run
      c = std::move(queue_.front());
      queue_.pop_front();
      queued_.store(queue_.size(), std::memory_order_release);
    }
    Run(c);
  }
  bool finalize;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finalize = broken_.empty();
  }
  if (finalize) MPI_Finalize();
  std::lock_guard<std::mutex> lock(mu_);
  finalized_ = true;
  initialized_ = false;
}

void Comm::Submit(Collective c) {
  std::string refuse;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!initialized_ || stop_) refuse = "the process group is not initialised (call initProcessGroup first)";
    else if (!broken_.empty()) refuse = "the process group is broken: " + broken_;
    else {
      queue_.push_back(std::move(c));
      queued_.store(queue_.size(), std::memory_order_release);
    }
  }
  if (!refuse.empty()) return c.work->Finish(std::move(refuse));
  cv_.notify_all();
}

void Comm::Break(const std::string& reason) {
  std::deque<Collective> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken_.empty()) broken_ = reason;
    dropped.swap(queue_);
    queued_.store(0, std::memory_order_release);
  }
  for (Collective& c : dropped) c.work->Finish("the process group is broken: " + reason);
}

// Polls a started collective until it completes or the deadline passes (kPollSpin above).
std::string Comm::Complete(void* request_ptr, const char* what) {
  MPI_Request& request = *static_cast<MPI_Request*>(request_ptr);
  const auto start = Clock::now();
  const bool bounded = timeout_ms_ > 0;
  const auto deadline = start + std::chrono::milliseconds(timeout_ms_);
  for (;;) {
    int flag = 0;
    const int code = MPI_Test(&request, &flag, MPI_STATUS_IGNORE);
    if (code != MPI_SUCCESS) return std::string(what) + " failed in MPI: " + MpiError(code);
    if (flag) return "";
    const auto now = Clock::now();
    if (bounded && now >= deadline) {
      std::ostringstream message;
      message << what << " timed out after " << timeout_ms_ << " ms (timeoutMs): another rank failed, exited or "
              << "did not reach the same collective";
      return message.str();
    }
    const auto waited = now - start;
    if (waited < PollSpin()) std::this_thread::yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(waited < kPollShortSleepsUntil ? 50 : 1000));
  }
}

// One nonblocking collective over buffers[begin, end), all of one dtype: in place for one
// buffer, else packed into one message and unpacked after.
std::string Comm::RunGroup(const Collective& c, size_t begin, size_t end) {
  const int32_t dtype = c.buffers[begin].dtype;
  int64_t total = 0;
  for (size_t i = begin; i < end; ++i) total += c.buffers[i].numel;
  if (total == 0 && c.kind != CollectiveKind::kBarrier) return "";
  std::vector<char> packed;
  void* data = c.buffers[begin].data;
  if (end - begin > 1) {
    packed.resize(static_cast<size_t>(total) * kElementSize);
    char* out = packed.data();
    for (size_t i = begin; i < end; ++i) {
      const size_t bytes = static_cast<size_t>(c.buffers[i].numel) * kElementSize;
      std::memcpy(out, c.buffers[i].data, bytes);
      out += bytes;
    }
    data = packed.data();
  }
  if (total > INT32_MAX) return std::string(NameOf(c.kind)) + ": a message of more than 2^31-1 elements";
  const int count = static_cast<int>(total);
  const bool all_reduce = c.kind == CollectiveKind::kAllReduce;
  int code = MPI_SUCCESS;
  std::string error;
  if (timeout_ms_ == 0) {
    // No deadline to keep: MPI's blocking collectives, whose tuned algorithms beat the
    // nonblocking ones on large messages (bench/DDP.md).
    code = all_reduce ? MPI_Allreduce(MPI_IN_PLACE, data, count, DatatypeOf(dtype), OpOf(c.reduce), MPI_COMM_WORLD)
                      : MPI_Bcast(data, count, DatatypeOf(dtype), c.root, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return std::string(NameOf(c.kind)) + " failed in MPI: " + MpiError(code);
  } else {
    MPI_Request request = MPI_REQUEST_NULL;
    code = all_reduce ? MPI_Iallreduce(MPI_IN_PLACE, data, count, DatatypeOf(dtype), OpOf(c.reduce), MPI_COMM_WORLD, &request)
                      : MPI_Ibcast(data, count, DatatypeOf(dtype), c.root, MPI_COMM_WORLD, &request);
    if (code != MPI_SUCCESS) return std::string(NameOf(c.kind)) + " failed in MPI: " + MpiError(code);
    error = Complete(&request, NameOf(c.kind));
    if (!error.empty()) return error;
  }
  if (c.kind == CollectiveKind::kAllReduce && c.reduce == ReduceKind::kAvg) {
    const float scale = 1.0f / static_cast<float>(size_);
    float* values = static_cast<float*>(data);
    for (int64_t i = 0; i < total; ++i) values[i] *= scale;
  }
  if (!packed.empty()) {
    const char* in = packed.data();
    for (size_t i = begin; i < end; ++i) {
      const size_t bytes = static_cast<size_t>(c.buffers[i].numel) * kElementSize;
      std::memcpy(c.buffers[i].data, in, bytes);
      in += bytes;
    }
  }
  return "";
}

std::string Comm::RunAllGather(const Collective& c) {
  const Buffer& input = c.buffers[0];
  const size_t bytes = static_cast<size_t>(input.numel) * kElementSize;
  std::vector<char> gathered(bytes * static_cast<size_t>(size_));
  if (input.numel > INT32_MAX) return "allGather: a message of more than 2^31-1 elements";
  MPI_Request request = MPI_REQUEST_NULL;
  const MPI_Datatype type = DatatypeOf(input.dtype);
  const int count = static_cast<int>(input.numel);
  const int code = timeout_ms_ == 0 ? MPI_Allgather(input.data, count, type, gathered.data(), count, type, MPI_COMM_WORLD)
                                    : MPI_Iallgather(input.data, count, type, gathered.data(), count, type, MPI_COMM_WORLD, &request);
  if (code != MPI_SUCCESS) return "allGather failed in MPI: " + MpiError(code);
  if (timeout_ms_ != 0) {
    std::string error = Complete(&request, "allGather");
    if (!error.empty()) return error;
  }
  for (int r = 0; r < size_; ++r) std::memcpy(c.buffers[1 + r].data, gathered.data() + bytes * r, bytes);
  return "";
}

void Comm::Run(Collective& c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!broken_.empty()) return c.work->Finish("the process group is broken: " + broken_);
  }
  const auto started = Clock::now();
  std::string error;
  if (c.kind == CollectiveKind::kBarrier) {
    MPI_Request request = MPI_REQUEST_NULL;
    const int code = timeout_ms_ == 0 ? MPI_Barrier(MPI_COMM_WORLD) : MPI_Ibarrier(MPI_COMM_WORLD, &request);
    if (code != MPI_SUCCESS) error = "barrier failed in MPI: " + MpiError(code);
    else if (timeout_ms_ != 0) error = Complete(&request, "barrier");
  } else if (c.kind == CollectiveKind::kAllGather) {
    error = RunAllGather(c);
  } else {
    for (size_t begin = 0; begin < c.buffers.size() && error.empty();) {
      size_t end = begin + 1;
      while (end < c.buffers.size() && c.buffers[end].dtype == c.buffers[begin].dtype) ++end;
      error = RunGroup(c, begin, end);
      begin = end;
    }
  }
  stats_.collectives.fetch_add(1, std::memory_order_relaxed);
  stats_.busy_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count(),
                           std::memory_order_relaxed);
  if (!error.empty()) Break(error);
  c.work->Finish(std::move(error));
}

void Comm::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool Comm::initialized() const {
  std::lock_guard<std::mutex> lock(mu_);
  return initialized_;
}

bool Comm::finalized() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finalized_;
}

std::string Comm::broken_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broken_;
}

Comm& TheComm() {
  // Never destroyed: the environment's cleanup hook shuts it down while the process can
  // still finalise MPI; a static destructor would run too late.
  static Comm* comm = new Comm();
  return *comm;
}

}  // namespace tg::dist
