// The executor (runtime/executor.h) and Launch (ops/launch.h): order, tickets, failures and
// skipping, the bounded queue, cancellation, shutdown with work queued, and deferred ops giving
// eager mode's bits. Also built under ThreadSanitizer (scripts/ctest.mjs --tsan).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/executor.h"
#include "runtime/shared_lock.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

namespace {

// Opens a deferred scope on `ex` for this thread, as the binding does around a JS call.
struct Deferring {
  explicit Deferring(Executor& ex) : ex_(ex), current_(&ex) { ex.Enter(); }
  ~Deferring() { ex_.Exit(); }
  Executor& ex_;
  CurrentExecutorScope current_;
};

std::vector<float> Values(const Tensor& t) {
  const Tensor c = Contiguous(t);
  WaitForData(c);
  return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}

}  // namespace

TG_TEST(tasks_run_in_order_and_tickets_count) {
  Executor ex;
  std::vector<int> order;  // written by the worker only, read after WaitAll
  uint64_t last = 0;
  for (int i = 0; i < 100; ++i) last = ex.Submit(MakeTask([&order, i] { order.push_back(i); }));
  EXPECT_EQ(last, uint64_t{100});
  ex.WaitAll();
  EXPECT_EQ(order.size(), size_t{100});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_TRUE(ex.Idle());
}

TG_TEST(a_failure_skips_later_kernels_until_a_wait_takes_it) {
  Executor ex;
  std::atomic<int> ran{0};
  ex.Submit(MakeTask([&] { ran++; }));
  ex.Submit(MakeTask([] { Fail(StatusCode::kArgument, "index 7 is out of range"); }));
  ex.Submit(MakeTask([&] { ran++; }));  // skipped: eager mode would never have reached it
  const std::string message = tg_testing::ErrorOf([&] { ex.WaitAll(); });
  EXPECT_TRUE(tg_testing::Contains(message, "index 7 is out of range"));
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(ex.stats().skipped, uint64_t{1});
  // Taken once: the queue runs normally afterwards.
  ex.Submit(MakeTask([&] { ran++; }));
  ex.WaitAll();
  EXPECT_EQ(ran.load(), 2);
}

TG_TEST(work_queued_before_a_failure_was_taken_stays_skipped) {
  Executor ex;
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  ex.Submit(MakeTask([] { Fail(StatusCode::kArgument, "bad"); }));
  auto hold = MakeTask([&] {
    while (!release.load()) std::this_thread::yield();
  });
  hold->marker = true;  // runs despite the failure, holding the queue behind it
  ex.Submit(std::move(hold));
  for (int i = 0; i < 10; ++i) ex.Submit(MakeTask([&] { ran++; }));
  // Take the failure while those ten are still queued behind the marker.
  while (!ex.failed()) std::this_thread::yield();
  WaitError taken;
  EXPECT_TRUE(ex.CheckWait(ex.submitted(), 0, &taken) && taken.taken);
  release = true;
  ex.WaitAll();
  EXPECT_EQ(ran.load(), 0);
  ex.Submit(MakeTask([&] { ran++; }));  // queued after: runs
  ex.WaitAll();
  EXPECT_EQ(ran.load(), 1);
}

TG_TEST(the_queue_is_bounded) {
  Executor ex(4);
  std::atomic<bool> release{false};
  std::atomic<int> max_pending{0};
  ex.Submit(MakeTask([&] {
    while (!release.load()) std::this_thread::yield();
  }));
  std::thread producer([&] {
    for (int i = 0; i < 20; ++i) {
      ex.Submit(MakeTask([] {}));
      const int pending = static_cast<int>(ex.stats().pending);
      if (pending > max_pending.load()) max_pending = pending;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(ex.stats().pending <= 4);  // the producer is blocked, not queueing more
  release = true;
  producer.join();
  ex.WaitAll();
  EXPECT_TRUE(max_pending.load() <= 4);
  EXPECT_EQ(ex.completed(), uint64_t{21});
}

TG_TEST(cancelled_tasks_are_skipped_and_markers_still_run) {
  Executor ex;
  std::atomic<bool> release{false};
  std::atomic<int> ran{0}, markers{0};
  ex.Submit(MakeTask([&] {
    while (!release.load()) std::this_thread::yield();
  }));
  auto token = std::make_shared<CancelToken>();
  for (int i = 0; i < 10; ++i) {
    auto task = MakeTask([&] { ran++; });
    task->cancel = token;
    ex.Submit(std::move(task));
  }
  auto marker = MakeTask([&] { markers++; });
  marker->cancel = token;
  marker->marker = true;
  ex.Submit(std::move(marker));
  ex.Cancel(token);
  release = true;
  ex.WaitAll();  // cancelling is not a failure: no throw
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(markers.load(), 1);
  EXPECT_EQ(ex.stats().skipped, uint64_t{10});
}

TG_TEST(notify_fires_once_the_ticket_is_done) {
  Executor ex;
  std::atomic<int> notified{0};
  ex.set_notifier([&] { notified++; });
  std::atomic<bool> release{false};
  const uint64_t t = ex.Submit(MakeTask([&] {
    while (!release.load()) std::this_thread::yield();
  }));
  ex.NotifyWhenDone(t);
  EXPECT_EQ(notified.load(), 0);
  release = true;
  ex.WaitAll();
  for (int i = 0; i < 1000 && notified.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(notified.load(), 1);
  ex.NotifyWhenDone(t);  // already done: at once, on this thread
  EXPECT_EQ(notified.load(), 2);
}

TG_TEST(shutdown_with_work_queued_drops_it_and_frees_everything) {
  auto keep = std::make_shared<int>(5);
  std::weak_ptr<int> watch = keep;
  {
    Executor ex;
    std::atomic<bool> started{false};
    ex.Submit(MakeTask([&] {
      started = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }));
    for (int i = 0; i < 50; ++i) {
      auto task = MakeTask([] {});
      task->keep.push_back(keep);
      ex.Submit(std::move(task));
    }
    keep.reset();
    while (!started.load()) std::this_thread::yield();
    ex.Shutdown();
    EXPECT_TRUE(ex.Idle());
    EXPECT_TRUE(!tg_testing::ErrorOf([&] { ex.Submit(MakeTask([] {})); }).empty());
  }
  EXPECT_TRUE(watch.expired());
}

TG_TEST(deferred_ops_match_eager_bits_and_keep_inputs_alive) {
  Generator gen(3);
  const Tensor a = Randn({64, 33}, gen), b = Randn({33}, gen);
  const std::vector<float> want = Values(Unary(UnaryOp::kExp, Binary(BinaryOp::kMul, Binary(BinaryOp::kAdd, a, b), a)));
  Executor ex;
  Tensor out;
  {
    Deferring scope(ex);
    Tensor a2 = Clone(a);  // dropped below while its kernels may still be queued
    out = Unary(UnaryOp::kExp, Binary(BinaryOp::kMul, Binary(BinaryOp::kAdd, a2, b), a2));
  }
  CurrentExecutorScope current(&ex);
  EXPECT_TRUE(tg_testing::SameBits(Values(out), want));
}

TG_TEST(eager_after_deferred_waits_for_the_queue) {
  Executor ex;
  CurrentExecutorScope current(&ex);
  Generator gen(4);
  const Tensor a = Randn({256, 256}, gen);
  Tensor y;
  ex.Enter();
  y = Binary(BinaryOp::kAdd, a, a);
  for (int i = 0; i < 20; ++i) y = Binary(BinaryOp::kAdd, y, a);
  ex.Exit();
  const Tensor z = Binary(BinaryOp::kSub, y, a);  // eager: runs after the queue drained
  const std::vector<float> got = Values(z), av = Values(a);
  bool ok = true;
  for (size_t i = 0; i < got.size() && ok; ++i) {
    float want = av[i] + av[i];
    for (int k = 0; k < 20; ++k) want += av[i];
    ok = got[i] == want - av[i];
  }
  EXPECT_TRUE(ok);
}

TG_TEST(a_wait_for_earlier_work_leaves_the_failure_pending) {
  Executor ex;
  const uint64_t before = ex.Submit(MakeTask([] {}));
  const uint64_t bad = ex.Submit(MakeTask([] { Fail(StatusCode::kArgument, "bad value"); }));
  ex.WaitAllQuietly();
  ex.Wait(before);  // work ahead of the failure: fine, and the failure stays for its own waiter
  EXPECT_TRUE(ex.failed());
  WaitError error;
  EXPECT_TRUE(ex.CheckWait(bad, 0, &error));
  EXPECT_TRUE(error.taken && error.failed_ticket == bad && tg_testing::Contains(error.message, "bad value"));
  EXPECT_TRUE(!ex.failed());
  ex.Wait(bad);  // taken once: a plain wait for the same ticket succeeds afterwards
}

TG_TEST(reading_what_a_skipped_task_was_to_produce_fails) {
  Executor ex;
  CurrentExecutorScope current(&ex);
  const Tensor x = Full({4, 3}, 1.5, DType::kFloat32);
  const Tensor good_index = Full({2}, 1, DType::kInt32), bad_index = Full({2}, 9, DType::kInt32);
  Tensor ok, picked, later;
  ex.Enter();
  ok = Binary(BinaryOp::kAdd, x, x);
  picked = IndexSelect(x, 0, bad_index);  // fails in its kernel: index 9 of 4 rows
  later = Binary(BinaryOp::kMul, picked, picked);
  ex.Exit();
  // A read of earlier work succeeds; the failure waits for a read that covers it.
  EXPECT_TRUE(Values(ok) == std::vector<float>(12, 3.0f));
  // (That read waited for `ok` only: let the queue run to its end without taking the failure.)
  while (!ex.Idle()) std::this_thread::yield();
  EXPECT_TRUE(ex.failed());
  EXPECT_TRUE(tg_testing::Contains(tg_testing::ErrorOf([&] { Values(later); }), "out of range"));
  // Taken: what the skipped tasks were to produce reads as never computed, not as garbage.
  const std::string never = tg_testing::ErrorOf([&] { Values(picked); });
  EXPECT_TRUE(tg_testing::Contains(never, "never computed") && tg_testing::Contains(never, "out of range"));
  // Memory that existed before keeps its value, and the queue runs on.
  EXPECT_TRUE(Values(x) == std::vector<float>(12, 1.5f));
  ex.Enter();
  const Tensor again = IndexSelect(x, 0, good_index);
  ex.Exit();
  EXPECT_TRUE(Values(again) == std::vector<float>(6, 1.5f));
}

TG_TEST(the_shared_lock_goes_to_a_waiter_before_its_last_holder_again) {
  int32_t words[kLockWords] = {0, 0, 0};
  const LockWords w = LockWordsAt(words);
  const std::atomic<bool> stopping{false};
  std::atomic<bool> done{false};
  std::atomic<int> trainer_steps{0};
  std::thread trainer([&] {  // releases and re-acquires at once, as a training loop does
    while (!done.load()) {
      AcquireLock(w, 1, &stopping);
      trainer_steps++;
      ReleaseLock(w, 1);
    }
  });
  while (trainer_steps.load() < 100) std::this_thread::yield();
  int most_overtaken = 0;
  for (int i = 0; i < 50; ++i) {
    // Counted from the moment this thread is known to wait (however late the scheduler lets
    // it run): at most the step in progress and one that had passed its check, never a run.
    BeginLockWait(w, 2);
    const int before = trainer_steps.load();
    FinishLockWait(w, 2, &stopping);
    most_overtaken = std::max(most_overtaken, trainer_steps.load() - before);
    ReleaseLock(w, 2);
  }
  done = true;
  trainer.join();
  EXPECT_TRUE(most_overtaken <= 2);
  EXPECT_EQ(words[1], 0);  // nobody left waiting
  EXPECT_EQ(words[0], 0);
}

TG_TEST(a_wait_for_the_shared_lock_ends_when_the_environment_stops) {
  int32_t words[kLockWords] = {7, 0, 7};  // held by an environment that never gives it back
  std::atomic<bool> stopping{false};
  std::string error;
  std::thread waiter([&] { error = tg_testing::ErrorOf([&] { AcquireLock(LockWordsAt(words), 2, &stopping); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stopping = true;
  waiter.join();
  EXPECT_TRUE(tg_testing::Contains(error, "shut down"));
  EXPECT_EQ(words[1], 0);
  EXPECT_EQ(words[0], 7);
}

TG_TEST_MAIN()
