// The backward pass: count how many gradients each node will receive, then run nodes as
// their last gradient arrives (Kahn's order), summing contributions in arrival order. The
// order is fixed by the graph, so results are deterministic.
#include "autograd/engine.h"

#include <unordered_map>
#include <vector>

#include "autograd/record.h"
#include "kernels/kernel_table.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kAddGrain = 1 << 15;

// dst += src, in place; dst contiguous float32 of src's shape.
void AddInto(const Tensor& dst, const Tensor& src_in) {
  const Tensor src = Contiguous(src_in);
  const BinaryKernel add = Kernels().eltwise->binary[static_cast<int>(BinaryOp::kAdd)];
  float* d = dst.data<float>();
  const float* s = src.data<float>();
  const int64_t n = dst.numel();
  Launch([=] { ParallelFor(0, n, kAddGrain, [&](int64_t b, int64_t e) { add(d + b, 1, s + b, 1, d + b, e - b); }); }, dst, src);
}

// A leaf's .grad += g. The first gradient is kept as is when nothing else can see its
// memory (the common case: a fresh buffer from a backward function), else copied.
void Accumulate(AutogradMeta& leaf, Tensor g) {
  g = Plain(std::move(g));
  if (leaf.grad.defined()) {
    if (leaf.grad.shape() != g.shape()) {
      Fail(StatusCode::kInternal, "backward: gradient of shape ", ShapeToString(g.shape()),
           " for a leaf whose .grad has shape ", ShapeToString(leaf.grad.shape()));
    }
    AddInto(leaf.grad, g);
    // A graph may have saved this .grad (p * p.grad): it must see that it changed.
    leaf.grad.storage()->BumpVersion();
    return;
  }
  const bool exclusive = g.storage().use_count() == 1 && !g.storage()->borrowed() && g.offset() == 0 &&
                         g.is_contiguous() && g.storage()->nbytes() == static_cast<size_t>(g.numel()) * sizeof(float);
  leaf.grad = exclusive ? std::move(g) : Clone(g);
}

// Number of gradients each node reachable from root will receive; with leaf_uses, also the
// number of edges into each leaf that has a ready_id (so Backward knows its last one).
std::unordered_map<Node*, int> CountDependencies(Node* root, std::unordered_map<AutogradMeta*, int>* leaf_uses) {
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{root};
  deps[root] = 0;
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Edge& e : node->edges()) {
      if (e.fn == nullptr) {
        if (leaf_uses != nullptr && e.leaf != nullptr && e.leaf->ready_id >= 0) ++(*leaf_uses)[e.leaf.get()];
        continue;
      }
      auto [it, first_visit] = deps.try_emplace(e.fn.get(), 0);
      ++it->second;
      if (first_visit) stack.push_back(e.fn.get());
    }
  }
  return deps;
}

}  // namespace

void Backward(const Tensor& root, const Tensor* grad_in, bool retain_graph, const GradReadyHook& on_ready) {
  if (!RequiresGrad(root)) {
    Fail(StatusCode::kArgument,
         "backward: the tensor does not require grad and has no gradFn: nothing it was computed from "
         "requires grad (set requiresGrad on the leaves, and do not compute it inside noGrad)");
  }
  Tensor grad;
  if (grad_in == nullptr) {
    if (root.numel() != 1) {
      Fail(StatusCode::kShape, "backward: a gradient can be created implicitly only for a one-element output; "
           "this output has shape ", ShapeToString(root.shape()), ": pass backward(gradient) with that shape");
    }
    grad = Full(root.shape(), 1.0, DType::kFloat32);
  } else {
    RequireFloat(*grad_in, "backward", "gradient");
    if (grad_in->shape() != root.shape()) {
      Fail(StatusCode::kShape, "backward: gradient must have the output's shape ", ShapeToString(root.shape()),
           ", got ", ShapeToString(grad_in->shape()));
    }
    grad = Plain(*grad_in);
  }
  // Gradients are computed without recording (no double backward).
  struct GradModeGuard {
    bool previous = GradEnabled();
    GradModeGuard() { SetGradEnabled(false); }
    ~GradModeGuard() { SetGradEnabled(previous); }
  } guard;

  const std::shared_ptr<AutogradMeta>& meta = root.autograd();
  if (meta->grad_fn == nullptr) {
    Accumulate(*meta, grad);
    if (on_ready && meta->ready_id >= 0) on_ready(meta->ready_id);
    return;
  }

  Node* start = meta->grad_fn.get();
  std::unordered_map<AutogradMeta*, int> leaf_uses;
  std::unordered_map<Node*, int> deps = CountDependencies(start, on_ready ? &leaf_uses : nullptr);
  // Counts an edge into a leaf as delivered (with or without a gradient); reports the leaf
  // when it was the last.
  auto delivered_to_leaf = [&](AutogradMeta* leaf) {
    if (!on_ready || leaf->ready_id < 0) return;
    auto use = leaf_uses.find(leaf);
    if (use != leaf_uses.end() && --use->second == 0) on_ready(leaf->ready_id);
  };
  std::unordered_map<Node*, Tensor> pending;  // summed gradient for each node's output
  pending[start] = grad;
  std::vector<Node*> ready{start};
  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    GradList grads;
    auto it = pending.find(node);
    if (it != pending.end()) {
      const Tensor g = std::move(it->second);
      pending.erase(it);
      grads = node->Apply(g);
    } else {
      // Every path into this node carried no gradient: pass none on, but still count it
      // as delivered so nodes further up that other paths reach still run.
      grads.resize(node->edges().size());
    }
    if (!retain_graph) node->ReleaseSaved();
    const std::vector<Edge>& edges = node->edges();
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      if (e.fn == nullptr) {
        if (e.leaf != nullptr && grads[i].defined()) Accumulate(*e.leaf, std::move(grads[i]));
        if (e.leaf != nullptr) delivered_to_leaf(e.leaf.get());
        continue;
      }
      Node* next = e.fn.get();
      if (grads[i].defined()) {
        auto [slot, fresh] = pending.try_emplace(next, std::move(grads[i]));
        if (!fresh) slot->second = Binary(BinaryOp::kAdd, slot->second, grads[i]);
      }
      if (--deps[next] == 0) ready.push_back(next);
    }
  }
}

void SetRequiresGrad(Tensor& t, bool requires_grad) {
  if (GradFn(t) != nullptr) {
    Fail(StatusCode::kArgument, "requiresGrad_: only leaf tensors can change requiresGrad; this tensor was made by ",
         GradFn(t)->name(), " (use detach() for a leaf copy)");
  }
  if (requires_grad && t.dtype() != DType::kFloat32) {
    Fail(StatusCode::kDType, "requiresGrad_: only float32 tensors can require gradients, got ", DTypeName(t.dtype()));
  }
  if (t.autograd() == nullptr) {
    if (!requires_grad) return;
    t.set_autograd(std::make_shared<AutogradMeta>());
  }
  t.autograd()->requires_grad = requires_grad;
}

void SetGradReadyId(Tensor& t, int64_t ready_id) {
  if (GradFn(t) != nullptr) Fail(StatusCode::kArgument, "setGradReadyId: only leaf tensors have a gradient to report");
  if (t.autograd() == nullptr) t.set_autograd(std::make_shared<AutogradMeta>());
  t.autograd()->ready_id = ready_id;
}

bool IsLeaf(const Tensor& t) { return GradFn(t) == nullptr; }

Tensor Grad(const Tensor& t) { return t.autograd() != nullptr ? t.autograd()->grad : Tensor(); }

void SetGrad(Tensor& t, const Tensor& grad) {
  if (grad.defined()) {
    RequireFloat(grad, "grad", "gradient");
    if (grad.shape() != t.shape()) {
      Fail(StatusCode::kShape, "grad: assigned gradient must have the tensor's shape ", ShapeToString(t.shape()),
           ", got ", ShapeToString(grad.shape()));
    }
  }
  if (t.autograd() == nullptr) {
    if (!grad.defined()) return;
    t.set_autograd(std::make_shared<AutogradMeta>());
  }
  // Accumulation writes into .grad in place, so it must be contiguous and its own memory.
  t.autograd()->grad = grad.defined() ? Clone(grad) : Tensor();
}

Tensor Detach(const Tensor& t) { return Plain(t); }

}  // namespace tg
