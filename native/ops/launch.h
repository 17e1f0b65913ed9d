// The second half of an op: its kernel, as a closure over raw pointers, sizes and plain
// values, run by Launch. The first half (checks, output shape, allocation) has already run
// on the calling thread.
//
//   Launch([=] { kernel(x_ptr, out_ptr, n); }, x, out);
//
// Eager (no deferred scope open): the closure runs now, after any deferred work still queued
// (so program order holds). Deferred: it is queued on the environment's executor, and the
// memory of the tensors listed after it stays reserved for it until it has run, whatever JS
// drops meanwhile (ops/storage.cc, runtime/stream_memory.h).
//
// Rules for the closure: capture by value ([=]), never a Tensor with autograd state (capture
// data pointers, or Plain copies from autograd/graph.h), allocate nothing, and check data only
// through Fail(): a failure found while running surfaces at the next wait.
#pragma once

#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "ops/tensor.h"
#include "runtime/executor.h"

namespace tg {
namespace launch_detail {

// A queued kernel. It holds no storage: a storage that dies while its kernels are queued hands
// its memory to the executor's StreamMemory, which keeps it from everything that could run
// before them (ops/storage.cc), and Mark below records which tasks those are.
template <typename Fn>
class KernelTask final : public Task {
 public:
  explicit KernelTask(Fn fn) : fn_(std::move(fn)) {}
  void Run() override { fn_(); }

 private:
  Fn fn_;
};

inline void Mark(uint64_t ticket, const std::shared_ptr<StreamMemory>& stream, const Tensor& t) {
  if (t.defined()) t.storage()->MarkUse(ticket, stream);
}
inline void Mark(uint64_t ticket, const std::shared_ptr<StreamMemory>& stream, const Tensor* t) {
  if (t != nullptr) Mark(ticket, stream, *t);
}
inline void Mark(uint64_t ticket, const std::shared_ptr<StreamMemory>& stream, const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts) Mark(ticket, stream, t);
}
template <size_t N>
void Mark(uint64_t ticket, const std::shared_ptr<StreamMemory>& stream, const std::array<Tensor, N>& ts) {
  for (const Tensor& t : ts) Mark(ticket, stream, t);
}

}  // namespace launch_detail

template <typename Fn, typename... Uses>
void LaunchTask(bool marker, Fn&& fn, const Uses&... uses) {
  Executor* executor = CurrentExecutor();
  if (executor == nullptr) return fn();
  if (!executor->deferring()) {
    if (marker) executor->WaitAllQuietly();
    else if (!executor->Idle() || executor->failed()) executor->WaitAll();
    return fn();
  }
  auto task = std::make_unique<launch_detail::KernelTask<std::decay_t<Fn>>>(std::forward<Fn>(fn));
  task->cancel = executor->cancel_token();
  task->marker = marker;
  const uint64_t ticket = executor->Submit(std::move(task));
  (launch_detail::Mark(ticket, executor->stream_memory(), uses), ...);
}

template <typename Fn, typename... Uses>
void Launch(Fn&& fn, const Uses&... uses) {
  LaunchTask(false, std::forward<Fn>(fn), uses...);
}

// A task that runs even after a failure or a cancel (a lock's release must pair with its
// acquire whatever ran between).
template <typename Fn, typename... Uses>
void LaunchAlways(Fn&& fn, const Uses&... uses) {
  LaunchTask(true, std::forward<Fn>(fn), uses...);
}

// Before the calling thread reads t's values (item(), data(), an op whose output shape depends
// on them): waits for the deferred work that uses t's memory, and rethrows a failure that
// work hit, or one that kept t's value from ever being computed.
inline void WaitForData(const Tensor& t) {
  Executor* executor = CurrentExecutor();
  if (executor == nullptr || !t.defined()) return;
  executor->Wait(t.storage()->last_use(), t.storage()->first_use());
}

}  // namespace tg
