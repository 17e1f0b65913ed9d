#include "autograd/graph.h"

#include <atomic>

#include "runtime/status.h"

namespace tg {
namespace {

thread_local bool t_grad_enabled = true;
std::atomic<uint64_t> g_next_sequence{0};

}  // namespace

bool GradEnabled() { return t_grad_enabled; }
void SetGradEnabled(bool enabled) { t_grad_enabled = enabled; }

Node::Node(const char* name, std::vector<Edge> edges, BackwardFn backward, std::vector<SavedVersion> saved)
    : name_(name),
      edges_(std::move(edges)),
      backward_(std::move(backward)),
      saved_(std::move(saved)),
      sequence_(g_next_sequence.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
  // Take over every upstream node this one holds the last reference to, and let each die
  // here with its own edges already taken: the depth of recursion stays one.
  std::vector<std::shared_ptr<Node>> orphans;
  auto adopt = [&orphans](std::vector<Edge>& edges) {
    for (Edge& e : edges) {
      if (e.fn != nullptr && e.fn.use_count() == 1) orphans.push_back(std::move(e.fn));
    }
  };
  adopt(edges_);
  while (!orphans.empty()) {
    std::shared_ptr<Node> node = std::move(orphans.back());
    orphans.pop_back();
    adopt(node->edges_);
    node->backward_ = nullptr;  // saved tensors may hold the last reference to big buffers
  }
}

GradList Node::Apply(const Tensor& grad_output) {
  if (released_) {
    Fail(StatusCode::kArgument,
         "backward: trying to backward through the graph a second time (at ", name_,
         "). The values saved for backward are freed after the first backward(); pass "
         "{ retainGraph: true } to the first backward() to keep them");
  }
  for (const SavedVersion& s : saved_) {
    std::shared_ptr<Storage> storage = s.storage.lock();
    if (storage != nullptr && storage->version() != s.version) {
      Fail(StatusCode::kArgument, "backward: a tensor ", name_,
           " needs was modified in place after the forward pass used it (by an optimizer step, "
           "an init function, fill_/copy_ or a running-statistics update; its version is ",
           storage->version(), ", expected ", s.version,
           "). Call backward() before changing the tensors the forward pass read");
    }
  }
  GradList grads = backward_(grad_output, *this);
  if (grads.size() != edges_.size()) {
    Fail(StatusCode::kInternal, name_, " returned ", grads.size(), " gradients for ", edges_.size(), " inputs");
  }
  return grads;
}

void Node::ReleaseSaved() {
  backward_ = nullptr;
  saved_.clear();
  released_ = true;
}

}  // namespace tg
