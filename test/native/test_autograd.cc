// The autograd engine and the fused backward passes: accumulation, shared subgraphs, the
// freed-graph error, graphs deep enough to overflow a recursive destructor, memory released
// after backward, and the fused linear / cross-entropy passes against their reference twins.
#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "ops/nn.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

namespace {

Tensor Leaf(const std::vector<float>& v, const Shape& shape) {
  Tensor t = FromCopy(v.data(), shape, DType::kFloat32);
  SetRequiresGrad(t, true);
  return t;
}

Tensor Random(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return Randn(shape, gen);
}

void ExpectAllClose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  EXPECT_TRUE(a.shape() == b.shape());
  const Tensor ac = Contiguous(a), bc = Contiguous(b);
  for (int64_t i = 0; i < ac.numel(); ++i) EXPECT_CLOSE(ac.data<float>()[i], bc.data<float>()[i], rtol, atol);
}

}  // namespace

TG_TEST(gradients_accumulate_and_shared_inputs_sum) {
  Tensor x = Leaf({1, 2, 3}, {3});
  // y = sum(x * x + x): dy/dx = 2x + 1, the two uses of x summed.
  Tensor y = autograd::Reduce(ReduceOp::kSum, autograd::Binary(BinaryOp::kAdd, autograd::Binary(BinaryOp::kMul, x, x), x), {}, false);
  Backward(y, nullptr, /*retain_graph=*/true);
  Tensor g = Grad(x);
  EXPECT_CLOSE(g.data<float>()[0], 3.0, 0, 1e-6);
  EXPECT_CLOSE(g.data<float>()[2], 7.0, 0, 1e-6);
  Backward(y, nullptr, false);  // accumulates
  EXPECT_CLOSE(Grad(x).data<float>()[1], 10.0, 0, 1e-6);
  EXPECT_THROWS(Backward(y, nullptr, false));  // saved tensors were freed
}

// DDP's bucket trigger: each leaf with a ready id is reported once, after its last gradient
// of the pass (a leaf used twice only after both), in the walk's order; others never.
TG_TEST(backward_reports_each_leaf_once_its_gradient_is_complete) {
  Tensor a = Leaf({1, 2}, {2});
  Tensor b = Leaf({3, 4}, {2});
  Tensor unused = Leaf({5}, {1});
  Tensor silent = Leaf({6, 7}, {2});
  SetGradReadyId(a, 10);
  SetGradReadyId(b, 11);
  SetGradReadyId(unused, 12);
  // y = sum(a * b + a + silent): a reaches the graph twice, b once.
  Tensor y = autograd::Reduce(
      ReduceOp::kSum, autograd::Binary(BinaryOp::kAdd, autograd::Binary(BinaryOp::kAdd, autograd::Binary(BinaryOp::kMul, a, b), a), silent),
      {}, false);
  std::vector<int64_t> reported;
  std::vector<bool> complete;
  Backward(y, nullptr, /*retain_graph=*/true, [&](int64_t id) {
    reported.push_back(id);
    // At the report the leaf's gradient is final: a's is b + 1.
    if (id == 10) complete.push_back(Grad(a).data<float>()[0] == 4.0f && Grad(a).data<float>()[1] == 5.0f);
  });
  EXPECT_TRUE(reported.size() == 2);
  EXPECT_TRUE(std::count(reported.begin(), reported.end(), 10) == 1);
  EXPECT_TRUE(std::count(reported.begin(), reported.end(), 11) == 1);
  EXPECT_TRUE(complete.size() == 1 && complete[0]);
  // The same order on a second pass, and nothing without a hook.
  std::vector<int64_t> again;
  Backward(y, nullptr, true, [&](int64_t id) { again.push_back(id); });
  EXPECT_TRUE(again == reported);
  Backward(y, nullptr, false);
  EXPECT_THROWS(SetGradReadyId(y, 1));  // not a leaf
}

TG_TEST(backward_needs_a_gradient_for_non_scalars) {
  Tensor x = Leaf({1, 2}, {2});
  Tensor y = autograd::Unary(UnaryOp::kExp, x);
  EXPECT_THROWS(Backward(y, nullptr, false));
  Tensor wrong = Full({3}, 1.0, DType::kFloat32);
  EXPECT_THROWS(Backward(y, &wrong, false));
  Tensor plain = Full({}, 1.0, DType::kFloat32);
  EXPECT_THROWS(Backward(plain, nullptr, false));  // nothing requires grad
}

TG_TEST(grad_mode_off_records_nothing) {
  Tensor x = Leaf({1, 2}, {2});
  SetGradEnabled(false);
  Tensor y = autograd::Unary(UnaryOp::kExp, x);
  SetGradEnabled(true);
  EXPECT_TRUE(!RequiresGrad(y));
  EXPECT_TRUE(GradFn(y) == nullptr);
}

TG_TEST(deep_graphs_are_freed_without_recursion) {
  Tensor x = Leaf({1}, {1});
  Tensor y = x;
  for (int i = 0; i < 200000; ++i) y = autograd::BinaryScalar(BinaryOp::kMul, y, 1.0f, false);
  y = Tensor();  // drops 200k nodes: a recursive destructor would overflow the stack
  EXPECT_TRUE(true);
}

TG_TEST(backward_releases_saved_tensors) {
  Tensor x = Leaf(std::vector<float>(1000, 0.5f), {1000});
  Tensor e = autograd::Unary(UnaryOp::kExp, x);
  std::weak_ptr<Storage> saved_output = e.storage();
  Tensor y = autograd::Reduce(ReduceOp::kSum, e, {}, false);
  e = Tensor();
  EXPECT_TRUE(!saved_output.expired());  // the exp node keeps its output for backward
  Backward(y, nullptr, false);
  EXPECT_TRUE(saved_output.expired());  // freed by backward, though y (and the graph) live on
}

TG_TEST(fused_linear_backward_matches_its_reference) {
  for (Activation act : {Activation::kIdentity, Activation::kRelu, Activation::kLeakyRelu, Activation::kSigmoid, Activation::kTanh}) {
    for (int64_t rows : {1, 7, 64}) {
      const Tensor x = Random({rows, 33}, 1), w = Random({19, 33}, 2), b = Random({19}, 3), g = Random({rows, 19}, 4);
      const Tensor y = Linear(x, w, &b, act, 0.2f);
      const LinearGrads fast = LinearBackward(x, w, y, g, act, 0.2f, true, true, true);
      const LinearGrads ref = LinearBackwardReference(x, w, y, g, act, 0.2f);
      ExpectAllClose(fast.x, ref.x, 1e-4, 1e-4);
      ExpectAllClose(fast.weight, ref.weight, 1e-4, 1e-4);
      ExpectAllClose(fast.bias, ref.bias, 1e-4, 1e-4);
    }
  }
}

TG_TEST(fused_linear_backward_is_independent_of_thread_count) {
  const Tensor x = Random({256, 300}, 5), w = Random({200, 300}, 6), g = Random({256, 200}, 7);
  const Tensor y = Linear(x, w, nullptr, Activation::kRelu, 0.0f);
  SetNumThreads(1);
  const LinearGrads one = LinearBackward(x, w, y, g, Activation::kRelu, 0.0f, true, true, true);
  SetNumThreads(2);
  const LinearGrads two = LinearBackward(x, w, y, g, Activation::kRelu, 0.0f, true, true, true);
  for (int64_t i = 0; i < one.bias.numel(); ++i) EXPECT_EQ(one.bias.data<float>()[i], two.bias.data<float>()[i]);
  for (int64_t i = 0; i < one.weight.numel(); ++i) EXPECT_EQ(one.weight.data<float>()[i], two.weight.data<float>()[i]);
}

TG_TEST(fused_cross_entropy_matches_its_reference) {
  const Tensor logits = Random({37, 11}, 8);
  std::vector<int32_t> t(37);
  for (int i = 0; i < 37; ++i) t[i] = i % 5 == 0 ? -100 : (i * 7) % 11;
  const Tensor target = FromCopy(t.data(), {37}, DType::kInt32);
  Generator gen(9);
  const Tensor weight = Rand({11}, gen);
  for (float smoothing : {0.0f, 0.1f}) {
    for (const Tensor* w : {static_cast<const Tensor*>(nullptr), &weight}) {
      const auto fast = CrossEntropyRows(logits, target, w, -100, smoothing, false);
      const auto ref = CrossEntropyRows(logits, target, w, -100, smoothing, true);
      ExpectAllClose(fast.loss, ref.loss, 1e-5, 1e-5);
      EXPECT_CLOSE(fast.denom.data<float>()[0], ref.denom.data<float>()[0], 1e-6, 1e-6);
      const Tensor dloss = Random({37}, 10);
      ExpectAllClose(CrossEntropyRowsBackward(logits, target, w, -100, smoothing, fast.lse, dloss, false),
                     CrossEntropyRowsBackward(logits, target, w, -100, smoothing, ref.lse, dloss, true), 1e-5, 1e-5);
    }
  }
}

TG_TEST(cross_entropy_rejects_targets_out_of_range) {
  const Tensor logits = Random({2, 3}, 11);
  const std::vector<int32_t> t = {0, 3};
  const Tensor target = FromCopy(t.data(), {2}, DType::kInt32);
  EXPECT_THROWS(CrossEntropyRows(logits, target, nullptr, -100, 0.0f));
}

TG_TEST_MAIN()
