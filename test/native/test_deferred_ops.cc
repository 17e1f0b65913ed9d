// Ops run deferred on a real Executor against the same ops run eagerly, compared byte for
// byte, with every input dropped right after the call (so only the queued tasks keep it
// alive). Built under ASan + UBSan (ctest --sanitize) and ThreadSanitizer (ctest --tsan).
#include <cstring>
#include <functional>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/graph.h"
#include "ops/launch.h"
#include "ops/nn.h"
#include "ops/ops.h"
#include "ops/random.h"
#include "runtime/executor.h"
#include "runtime/status.h"
#include "testing.h"

using namespace tg;

namespace {

std::vector<char> Bytes(const Tensor& t) {
  const Tensor c = Contiguous(t);
  WaitForData(c);
  const size_t n = static_cast<size_t>(c.numel()) * ElementSize(c.dtype());
  std::vector<char> out(n);
  if (n) std::memcpy(out.data(), c.bytes(), n);
  return out;
}

// fn builds its own inputs (so they die before the kernel runs in deferred mode) and returns outputs.
void Check(const char* name, const std::function<std::vector<Tensor>()>& fn) {
  std::vector<std::vector<char>> eager, deferred;
  for (auto& t : fn()) eager.push_back(Bytes(t));
  Executor ex;
  {
    CurrentExecutorScope scope(&ex);
    ex.Enter();
    std::vector<Tensor> outs = fn();
    ex.Exit();
    for (auto& t : outs) deferred.push_back(Bytes(t));
    ex.WaitAll();
    ex.CollectFinished();
  }
  if (eager != deferred) tg_testing::Report(__FILE__, __LINE__, std::string(name) + ": deferred bytes differ from eager");
}

Tensor R(const Shape& s, uint64_t seed) {
  Generator g(seed);
  return Rand(s, g);
}

}  // namespace

TG_TEST(deferred_ops_give_eager_bytes) {
  Check("matmul batched broadcast", [] { return std::vector<Tensor>{Matmul(R({3, 1, 5, 7}, 1), R({4, 7, 6}, 2))}; });
  Check("matmul transposed + vec", [] {
    return std::vector<Tensor>{Matmul(Transpose(R({7, 5}, 3), 0, 1), R({7}, 4)), Matmul(R({64, 300}, 5), R({300, 200}, 6))};
  });
  Check("matmul noncontig copy", [] { return std::vector<Tensor>{Matmul(Slice(R({5, 8}, 7), 0, 5, 2), Transpose(Slice(R({9, 8}, 8), 0, 9, 3), 0, 1))}; });
  Check("linear bias relu", [] {
    Tensor b = R({6}, 11);
    return std::vector<Tensor>{Linear(R({2, 3, 5}, 9), R({6, 5}, 10), &b, Activation::kRelu, 0.01f),
                               Linear(R({4, 5}, 9), R({6, 5}, 10), nullptr, Activation::kIdentity, 0.01f)};
  });
  for (int a = 0; a < 5; ++a) {
    Check("linear backward", [a] {
      const Activation act = static_cast<Activation>(a);
      Tensor x = R({3, 4, 5}, 20), w = R({6, 5}, 21), g = R({3, 4, 6}, 22);
      Tensor y = Linear(x, w, nullptr, act, 0.1f);
      LinearGrads gr = LinearBackward(x, w, y, g, act, 0.1f, true, true, true);
      LinearGrads g2 = LinearBackward(Transpose(R({5, 12}, 23), 0, 1), w, y, g, act, 0.1f, true, false, false);
      LinearGrads ref = LinearBackwardReference(x, w, y, g, act, 0.1f);
      return std::vector<Tensor>{gr.x, gr.weight, gr.bias, g2.x, ref.x, ref.weight, ref.bias};
    });
  }
  for (int a = 0; a < 5; ++a) {
    Check("activate/backward", [a] {
      const Activation act = static_cast<Activation>(a);
      Tensor x = BinaryScalar(BinaryOp::kSub, R({100, 70}, 30), 0.5f, false);
      Tensor y = Activate(Transpose(x, 0, 1), act, 0.2f);
      return std::vector<Tensor>{y, ActivationBackward(y, Transpose(R({100, 70}, 31), 0, 1), act, 0.2f), Step(x)};
    });
  }
  Check("softmax", [] {
    Tensor x = R({4, 50, 3}, 40), g = R({4, 50, 3}, 41);
    Tensor s = Softmax(x, 1, false), l = Softmax(x, -1, true);
    return std::vector<Tensor>{s, l, SoftmaxBackward(s, g, 1, false), SoftmaxBackward(l, g, -1, true), Softmax(R({}, 3), 0, false)};
  });
  Check("reduce", [] {
    Tensor x = R({30, 40, 50}, 50);
    return std::vector<Tensor>{Reduce(ReduceOp::kSum, x, {}, false), Reduce(ReduceOp::kMax, x, {2}, false),
                               Reduce(ReduceOp::kMin, x, {1}, true), Reduce(ReduceOp::kSum, x, {0, 2}, false),
                               Reduce(ReduceOp::kSum, R({3, 0, 4}, 1), {1}, false), Reduce(ReduceOp::kSum, R({70000}, 2), {0}, false),
                               Mean(x, {1}, false), Mean(R({0, 3}, 1), {0}, false), ArgExtreme(true, x, true, 1, false),
                               ArgExtreme(false, x, true, 2, true), ArgExtreme(true, x, false, 0, false),
                               SumTo(x, {40, 1})};
  });
  Check("creation", [] {
    Generator g(5);
    Tensor a = Rand({1000}, g), b = Randn({1001}, g), c = Rand({7}, g);
    g.ManualSeed(99);  // a reseed after planning must not change the draws above
    return std::vector<Tensor>{Full({100, 1000}, 2.5, DType::kFloat32), Full({33}, -3, DType::kInt32),
                               Arange(0, 100000, 0.5, DType::kFloat32), Arange(-5, 50, 3, DType::kInt32), a, b, c};
  });
  Check("copy/join", [] {
    Tensor x = R({6, 7, 8}, 60);
    Tensor into = Full({8, 7, 6}, 0, DType::kFloat32);
    CopyInto(Permute(x, {2, 1, 0}), into);
    Tensor i = ToDType(BinaryScalar(BinaryOp::kMul, x, 1000.0f, false), DType::kInt32);
    return std::vector<Tensor>{into, Clone(Transpose(x, 0, 2)), i, ToDType(i, DType::kFloat32),
                               Cat({x, Transpose(R({6, 8, 3}, 61), 1, 2)}, 1), Stack({x, x, R({6, 7, 8}, 62)}, 3)};
  });
  Check("backward accumulate", [] {
    Tensor w = R({5, 4}, 70);
    SetRequiresGrad(w, true);
    for (int it = 0; it < 3; ++it) {
      Tensor y = autograd::Matmul(R({3, 5}, 71 + it), w);
      Tensor loss = autograd::Reduce(ReduceOp::kSum, y, {}, false);
      Backward(loss, nullptr, false);
    }
    return std::vector<Tensor>{Grad(w)};
  });
}

TG_TEST_MAIN()
