// The thread pool (splitting, exceptions, nesting, contention from many callers) and the
// caching allocator (alignment, reuse, limits, accounting, concurrent use).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <cstdint>
#include <numeric>
#include <thread>
#include <vector>

#include "runtime/allocator.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

TG_TEST(parallel_for_covers_each_index_once) {
  for (int threads : {1, 2, 3, 8}) {
    SetNumThreads(threads);
    for (int64_t n : {0, 1, 7, 1000, 100003}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      ParallelFor(0, n, 16, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1);
    }
  }
  SetNumThreads(2);
}

TG_TEST(small_work_runs_inline_on_the_caller) {
  SetNumThreads(4);
  const auto caller = std::this_thread::get_id();
  bool all_on_caller = true;
  ParallelFor(0, 100, 1000, [&](int64_t, int64_t) { all_on_caller &= std::this_thread::get_id() == caller; });
  EXPECT_TRUE(all_on_caller);
  EXPECT_EQ(ChunkCount(100, 1000), 1);
  EXPECT_EQ(ChunkCount(10000, 1000), 4);
  EXPECT_EQ(ChunkCount(0, 1), 0);
  SetNumThreads(2);
}

TG_TEST(work_is_spread_over_threads) {
  SetNumThreads(4);
  std::mutex mu;
  std::vector<std::thread::id> seen;
  ParallelFor(0, 4, 1, [&](int64_t, int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(std::this_thread::get_id());
  });
  std::sort(seen.begin(), seen.end());
  EXPECT_TRUE(std::unique(seen.begin(), seen.end()) - seen.begin() >= 2);
  SetNumThreads(2);
}

TG_TEST(chunks_depend_only_on_range_grain_and_threads) {
  SetNumThreads(3);
  for (int rep = 0; rep < 3; ++rep) {
    std::mutex mu;
    std::vector<std::pair<int64_t, int64_t>> chunks;
    ParallelFor(5, 105, 10, [&](int64_t b, int64_t e) {
      std::lock_guard<std::mutex> lock(mu);
      chunks.emplace_back(b, e);
    });
    std::sort(chunks.begin(), chunks.end());
    const std::vector<std::pair<int64_t, int64_t>> expected = {{5, 39}, {39, 72}, {72, 105}};
    EXPECT_TRUE(chunks == expected);
  }
  SetNumThreads(2);
}

TG_TEST(exceptions_reach_the_caller) {
  SetNumThreads(2);
  EXPECT_THROWS(ParallelFor(0, 1000, 1, [&](int64_t b, int64_t) {
    if (b > 0) Fail(StatusCode::kArgument, "boom");
  }));
  // The pool still works afterwards.
  std::atomic<int64_t> total{0};
  ParallelFor(0, 1000, 1, [&](int64_t b, int64_t e) { total += e - b; });
  EXPECT_EQ(total.load(), 1000);
}

TG_TEST(nested_parallel_for_runs_inline) {
  SetNumThreads(2);
  std::atomic<int64_t> total{0};
  ParallelFor(0, 8, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      ParallelFor(0, 100, 1, [&](int64_t ib, int64_t ie) { total += ie - ib; });
    }
  });
  EXPECT_EQ(total.load(), 800);
}

TG_TEST(many_callers_at_once_all_get_correct_results) {
  SetNumThreads(2);
  constexpr int kCallers = 8, kRounds = 200;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int r = 0; r < kRounds; ++r) {
        const int64_t n = 1000 + c * 37 + r;
        std::vector<int64_t> v(static_cast<size_t>(n));
        ParallelFor(0, n, 64, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) v[static_cast<size_t>(i)] = i * 2;
        });
        const int64_t sum = std::accumulate(v.begin(), v.end(), int64_t{0});
        if (sum != n * (n - 1)) wrong++;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TG_TEST(set_num_threads_validates) {
  EXPECT_THROWS(SetNumThreads(0));
  EXPECT_THROWS(SetNumThreads(kMaxThreads + 1));
  SetNumThreads(1);
  EXPECT_EQ(NumThreads(), 1);
  SetNumThreads(2);
  EXPECT_EQ(NumThreads(), 2);
}

TG_TEST(allocations_are_aligned_and_usable) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{4097}, size_t{1} << 20}) {
    void* p = Allocate(n);
    EXPECT_TRUE(p != nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kAlignment, uintptr_t{0});
    if (n) static_cast<unsigned char*>(p)[n - 1] = 1;
    Deallocate(p, n);
  }
}

TG_TEST(size_classes_bound_waste) {
  for (size_t n = 1; n < (size_t{1} << 26); n = n * 3 / 2 + 1) {
    const size_t c = SizeClass(n);
    EXPECT_TRUE(c >= n);
    EXPECT_EQ(c % kAlignment, size_t{0});
    EXPECT_TRUE(n <= 4096 ? c - n < kAlignment : c <= n + n / 4 + 1);
  }
}

TG_TEST(freed_blocks_are_reused) {
  EmptyCache();
  const AllocatorStats before = GetAllocatorStats();
  void* a = Allocate(100000);
  Deallocate(a, 100000);
  void* b = Allocate(99000);  // same size class
  EXPECT_TRUE(a == b);
  const AllocatorStats after = GetAllocatorStats();
  EXPECT_EQ(after.cache_hits - before.cache_hits, int64_t{1});
  Deallocate(b, 99000);
  EXPECT_TRUE(GetAllocatorStats().bytes_cached >= static_cast<int64_t>(SizeClass(99000)));
  EmptyCache();
  EXPECT_EQ(GetAllocatorStats().bytes_cached, int64_t{0});
}

TG_TEST(cache_limit_is_respected) {
  EmptyCache();
  SetCacheLimit(1 << 20);
  std::vector<void*> blocks;
  for (int i = 0; i < 8; ++i) blocks.push_back(Allocate(512 * 1024));
  for (void* p : blocks) Deallocate(p, 512 * 1024);
  EXPECT_TRUE(GetAllocatorStats().bytes_cached <= (1 << 20));
  SetCacheLimit(size_t{1} << 30);
  EmptyCache();
}

TG_TEST(impossible_allocations_throw_out_of_memory) {
  bool threw = false;
  try {
    Allocate(size_t{1} << 62);
  } catch (const Error& e) {
    threw = e.code() == StatusCode::kOutOfMemory;
  }
  EXPECT_TRUE(threw);
}

TG_TEST(bytes_in_use_track_allocations) {
  const int64_t before = GetAllocatorStats().bytes_in_use;
  void* p = Allocate(10000);
  EXPECT_EQ(GetAllocatorStats().bytes_in_use - before, static_cast<int64_t>(SizeClass(10000)));
  Deallocate(p, 10000);
  EXPECT_EQ(GetAllocatorStats().bytes_in_use, before);
}

TG_TEST(concurrent_allocation_is_safe) {
  std::vector<std::thread> threads;
  std::atomic<int> misaligned{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const size_t n = 64 + static_cast<size_t>((i * 7919 + t) % 50000);
        void* p = Allocate(n);
        if (reinterpret_cast<uintptr_t>(p) % kAlignment) misaligned++;
        static_cast<unsigned char*>(p)[0] = static_cast<unsigned char>(i);
        Deallocate(p, n);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(misaligned.load(), 0);
}

TG_TEST(memory_account_follows_the_current_scope) {
  auto account = std::make_shared<MemoryAccount>();
  {
    MemoryAccountScope scope(account);
    EXPECT_TRUE(CurrentMemoryAccount() == account);
  }
  EXPECT_TRUE(CurrentMemoryAccount() == nullptr);
}

TG_TEST_MAIN()
