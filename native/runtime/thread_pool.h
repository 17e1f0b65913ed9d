// A process-wide pool of persistent workers. Idle workers block on a condition variable
// (no spinning). ParallelFor splits [begin, end) into at most NumThreads() contiguous chunks
// of at least `grain` items; the split depends only on the range, the grain and the thread
// count, so results are reproducible for a given thread count. Work smaller than one grain,
// nested calls, and calls made while another thread owns the pool run inline on the caller.
#pragma once

#include <cstdint>
#include <utility>

namespace tg {

int NumThreads();
// n >= 1; takes effect for the next ParallelFor. Shared by every worker_thread of the process.
void SetNumThreads(int n);
// Upper bound accepted by SetNumThreads.
constexpr int kMaxThreads = 256;

// While one lives, ParallelFor calls on this thread run inline: for background work (a libuv
// worker gathering the next batch) that must not take the pool away from the JS thread's ops.
class SerialScope {
 public:
  SerialScope();
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  bool previous_;
};

using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);
void ParallelForImpl(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void* ctx);

// fn(int64_t chunk_begin, int64_t chunk_end). Exceptions thrown by fn are rethrown here.
template <typename Fn>
void ParallelFor(int64_t begin, int64_t end, int64_t grain, Fn&& fn) {
  ParallelForImpl(
      begin, end, grain,
      [](void* ctx, int64_t b, int64_t e) { (*static_cast<std::remove_reference_t<Fn>*>(ctx))(b, e); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

// How ParallelFor would split [0, n) with this grain: the number of chunks it runs.
int64_t ChunkCount(int64_t n, int64_t grain);

}  // namespace tg
