// What a differentiable op needs to record itself: each op in this folder runs its forward
// from ops/, then, only when some input requires grad and grad mode is on, attaches a node
// whose backward function sits right next to the forward:
//
//   Tensor y = tg::Unary(UnaryOp::kExp, x);
//   if (!AnyRequiresGrad({&x})) return Plain(y);
//   return Record(y, "ExpBackward0", {&x}, [y = Saved(y)](const Tensor& g, const Node&) {
//     return GradList{tg::Binary(BinaryOp::kMul, g, y)};
//   });
#pragma once

#include <initializer_list>

#include "autograd/graph.h"

namespace tg {

// True when grad mode is on and any input takes part in autograd.
inline bool AnyRequiresGrad(std::initializer_list<const Tensor*> inputs) {
  if (!GradEnabled()) return false;
  for (const Tensor* t : inputs) {
    if (t != nullptr && RequiresGrad(*t)) return true;
  }
  return false;
}

// t without its autograd state. Every op result goes through this or Record(): ops/ may
// return an input itself (Contiguous of a contiguous tensor), and the result must not share
// the input's requires_grad and grad.
inline Tensor Plain(Tensor t) {
  t.set_autograd(nullptr);
  return t;
}

// Notes t's storage version for the node the next Record() on this thread makes.
void NoteSaved(const Tensor& t);
// Forgets versions noted but never taken by a Record() (an op that threw in between): the
// binding calls it after every op, so a stale entry never reaches another op's node.
void DropPendingSaved();

// What a backward function captures from the forward pass: the data only. Keeping the
// autograd state of an output would make a cycle (output -> node -> output). Call it only in
// the Record() that uses it: the node it makes checks, before its backward runs, that the
// data was not modified in place since (Storage::version).
inline Tensor Saved(const Tensor& t) {
  NoteSaved(t);
  return Plain(t);
}

// The edge a gradient for `input` follows (invalid when it needs none).
Edge EdgeTo(const Tensor* input);

// Makes `out` a non-leaf with a new node of the given name over `inputs` (nullptr entries
// are inputs that never need a gradient, such as an absent bias).
Tensor Record(Tensor out, const char* name, std::initializer_list<const Tensor*> inputs, Node::BackwardFn backward);
Tensor Record(Tensor out, const char* name, const std::vector<Tensor>& inputs, Node::BackwardFn backward);

}  // namespace tg
