// The autograd graph: which tensors need gradients, and the nodes that turn an output's
// gradient into its inputs' gradients. A node is made by the op that produced a tensor
// (record.h) and reached from that tensor's AutogradMeta::grad_fn; its edges lead on to the
// nodes that produced its inputs, or to the leaves whose .grad it feeds. The engine
// (engine.h) walks the edges backwards from one output.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "ops/tensor.h"

namespace tg {

class Node;

struct AutogradMeta {
  // True for a leaf the user marked, and for every tensor made from one while grad mode was on.
  bool requires_grad = false;
  // A leaf's accumulated gradient (undefined until its first backward). Contiguous float32.
  Tensor grad;
  // The node that made this tensor; null for a leaf.
  std::shared_ptr<Node> grad_fn;
  // For a leaf: the id Backward's on_ready hook reports once this leaf's gradient is complete
  // in a backward pass (DDP's bucket trigger); -1 for none.
  int64_t ready_id = -1;
};

// Where the gradient of one input of a node goes: on to the node that made that input, or
// into a leaf's .grad. Neither, for an input that needs no gradient.
struct Edge {
  std::shared_ptr<Node> fn;
  std::shared_ptr<AutogradMeta> leaf;
  bool valid() const { return fn != nullptr || leaf != nullptr; }
};

// One gradient per input, in the order the op took them; an undefined Tensor where an input
// gets none (it needs none, or the gradient is zero by construction).
using GradList = std::vector<Tensor>;

// The version of a saved tensor's storage when the forward pass saved it. Weak: the backward
// function's capture owns the data; this only says whether it changed in place since.
struct SavedVersion {
  std::weak_ptr<Storage> storage;
  uint32_t version;
};

class Node {
 public:
  // grad_output has the shape of the node's output. The function captures what it saved from
  // the forward pass (as plain tensors, see Saved() in record.h) and asks NeedsGrad(i) to
  // skip gradients nobody wants.
  using BackwardFn = std::function<GradList(const Tensor& grad_output, const Node& self)>;

  Node(const char* name, std::vector<Edge> edges, BackwardFn backward, std::vector<SavedVersion> saved = {});
  // Frees long chains iteratively: a recursive destructor would overflow the stack on a
  // graph thousands of nodes deep (an RNN unrolled over a long sequence).
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // PyTorch's name for the backward of the op ("MulBackward0"), shown as grad_fn.
  const char* name() const { return name_; }
  const std::vector<Edge>& edges() const { return edges_; }
  bool NeedsGrad(size_t input) const { return input < edges_.size() && edges_[input].valid(); }
  // Increases with creation order: the engine runs later nodes first among those ready.
  uint64_t sequence() const { return sequence_; }

  // Throws if the saved tensors were already freed by an earlier backward, or were modified
  // in place after the forward pass saved them (PyTorch's version-counter check).
  GradList Apply(const Tensor& grad_output);
  // Frees what the forward pass saved (after a backward without retain_graph).
  void ReleaseSaved();

 private:
  const char* name_;
  std::vector<Edge> edges_;
  BackwardFn backward_;
  std::vector<SavedVersion> saved_;
  uint64_t sequence_;
  bool released_ = false;
};

// Whether ops record graph nodes on this thread (each worker_thread has its own, as each
// JS environment runs on its own thread). torch.no_grad() switches it off.
bool GradEnabled();
void SetGradEnabled(bool enabled);

// Whether t takes part in autograd: a leaf that requires grad, or a tensor made from one.
inline bool RequiresGrad(const Tensor& t) {
  const auto& meta = t.autograd();
  return meta != nullptr && meta->requires_grad;
}
// Null for a leaf or a tensor outside autograd.
inline Node* GradFn(const Tensor& t) { return t.autograd() != nullptr ? t.autograd()->grad_fn.get() : nullptr; }

}  // namespace tg
