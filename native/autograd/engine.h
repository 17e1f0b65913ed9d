// The backward engine and the per-tensor autograd controls the binding exposes.
#pragma once

#include <cstdint>
#include <functional>

#include "autograd/graph.h"

namespace tg {

// Runs the chain rule from `root` back to the leaves, adding into each leaf's .grad.
// `grad` is d(something)/d(root), root's shape; it may be null only for a one-element root
// (then it is 1). Without retain_graph the saved tensors of every node visited are freed,
// and a second backward through them throws.
//
// on_ready, when set, is called (on this thread, during the walk) with a leaf's ready_id as
// soon as the last gradient that pass sends to that leaf has been accumulated: at that point
// its .grad is final for the pass (planned; in deferred mode its kernels may still be queued,
// and work launched after the call is ordered after them). Leaves without a ready_id, or that
// the pass does not reach, are not reported. The order is the walk's, fixed by the graph.
using GradReadyHook = std::function<void(int64_t ready_id)>;
void Backward(const Tensor& root, const Tensor* grad, bool retain_graph, const GradReadyHook& on_ready = {});
// Sets the id on_ready reports for a leaf (-1: none); creates its autograd state if needed.
void SetGradReadyId(Tensor& t, int64_t ready_id);

// requires_grad on a leaf (throws for a tensor made by a recorded op, or for int32).
void SetRequiresGrad(Tensor& t, bool requires_grad);
bool IsLeaf(const Tensor& t);
// The accumulated gradient of a leaf, undefined when there is none.
Tensor Grad(const Tensor& t);
// Replaces (or, with an undefined grad, clears) a tensor's .grad; the shape must match.
void SetGrad(Tensor& t, const Tensor& grad);
// The same data outside the graph (shares memory, requires no grad).
Tensor Detach(const Tensor& t);

}  // namespace tg
