#include "autograd/record.h"

namespace tg {
namespace {

// Saved() runs while the arguments of Record() are evaluated, before Record() itself: the
// versions wait here for the node. One list per thread, as grad mode is per thread.
thread_local std::vector<SavedVersion> t_pending_saved;

Tensor Attach(Tensor out, const char* name, std::vector<Edge> edges, Node::BackwardFn backward) {
  auto meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  std::vector<SavedVersion> saved;
  saved.swap(t_pending_saved);
  meta->grad_fn = std::make_shared<Node>(name, std::move(edges), std::move(backward), std::move(saved));
  out.set_autograd(std::move(meta));
  return out;
}

}  // namespace

void NoteSaved(const Tensor& t) {
  if (t.defined()) t_pending_saved.push_back(SavedVersion{t.storage(), t.storage()->version()});
}

void DropPendingSaved() {
  if (!t_pending_saved.empty()) t_pending_saved.clear();
}

Edge EdgeTo(const Tensor* input) {
  if (input == nullptr || !RequiresGrad(*input)) return Edge{};
  const auto& meta = input->autograd();
  if (meta->grad_fn != nullptr) return Edge{meta->grad_fn, nullptr};
  return Edge{nullptr, meta};
}

Tensor Record(Tensor out, const char* name, std::initializer_list<const Tensor*> inputs, Node::BackwardFn backward) {
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor* t : inputs) edges.push_back(EdgeTo(t));
  return Attach(std::move(out), name, std::move(edges), std::move(backward));
}

Tensor Record(Tensor out, const char* name, const std::vector<Tensor>& inputs, Node::BackwardFn backward) {
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor& t : inputs) edges.push_back(EdgeTo(&t));
  return Attach(std::move(out), name, std::move(edges), std::move(backward));
}

}  // namespace tg
