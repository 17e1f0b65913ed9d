// ops/ against naive references: broadcasting, strided views, copies, reductions (including
// independence from the thread count), random numbers, and the errors bad input raises.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

namespace {

Tensor FromVector(const std::vector<float>& v, const Shape& shape) { return FromCopy(v.data(), shape, DType::kFloat32); }

Tensor RandomTensor(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return Randn(shape, gen);
}

// Element at a multi-index of a (possibly strided) tensor.
float At(const Tensor& t, const std::vector<int64_t>& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[d];
  return t.data<float>()[off];
}

// Calls fn(index) for every multi-index of shape in row-major order.
template <typename Fn>
void ForEachIndex(const Shape& shape, Fn fn) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(idx);
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

StatusCode CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return StatusCode::kInternal;  // "did not throw"
}

}  // namespace

TG_TEST(small_vector_grows_past_its_inline_capacity) {
  Shape s;
  for (int64_t i = 0; i < 20; ++i) s.push_back(i);  // 6 inline, then the heap
  EXPECT_EQ(s.size(), size_t{20});
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(s[static_cast<size_t>(i)], i);
  Shape copy = s;
  Shape moved = std::move(copy);
  EXPECT_TRUE(moved == s);
  EXPECT_TRUE(copy.empty());
  Shape small{1, 2, 3};
  small.insert(small.begin() + 1, 9);
  small.insert(small.end(), s.begin(), s.begin() + 5);  // crosses into the heap mid-insert
  EXPECT_TRUE((small == Shape{1, 9, 2, 3, 0, 1, 2, 3, 4}));
  Shape inline_moved = std::move(small);
  EXPECT_EQ(inline_moved.back(), int64_t{4});
  Shape filled(8, 7);
  EXPECT_TRUE(filled != s);
  EXPECT_EQ(filled[7], int64_t{7});
}

TG_TEST(broadcast_shapes_follow_pytorch) {
  EXPECT_TRUE((BroadcastShapes({2, 3}, {3}) == Shape{2, 3}));
  EXPECT_TRUE((BroadcastShapes({4, 1, 3}, {2, 1}) == Shape{4, 2, 3}));
  EXPECT_TRUE((BroadcastShapes({}, {5}) == Shape{5}));
  EXPECT_TRUE((BroadcastShapes({0, 3}, {1, 3}) == Shape{0, 3}));
  EXPECT_TRUE(CodeOf([] { BroadcastShapes({2, 3}, {4}); }) == StatusCode::kShape);
}

TG_TEST(binary_ops_broadcast_over_strided_inputs) {
  const Tensor a = Transpose(RandomTensor({5, 4, 3}, 1), 0, 2);  // [3, 4, 5], non-contiguous
  const Tensor b = Slice(RandomTensor({6, 1, 5}, 2), 0, 6, 2);   // [3, 1, 5], stepped
  const Tensor out = Binary(BinaryOp::kMul, a, b);
  EXPECT_TRUE((out.shape() == Shape{3, 4, 5}));
  ForEachIndex(out.shape(), [&](const std::vector<int64_t>& i) {
    EXPECT_EQ(At(out, i), At(a, i) * At(b, {i[0], 0, i[2]}));
  });
}

TG_TEST(scalar_ops_put_the_scalar_on_either_side) {
  const Tensor a = FromVector({1, 2, 4}, {3});
  const Tensor left = BinaryScalar(BinaryOp::kSub, a, 1.0f, true);  // 1 - a
  const Tensor right = BinaryScalar(BinaryOp::kDiv, a, 2.0f, false);
  const float expect_left[] = {0, -1, -3}, expect_right[] = {0.5f, 1, 2};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(left.data<float>()[i], expect_left[i]);
    EXPECT_EQ(right.data<float>()[i], expect_right[i]);
  }
}

TG_TEST(unary_ops_read_strided_inputs) {
  const Tensor x = Transpose(RandomTensor({300, 7}, 3), 0, 1);
  const Tensor out = Unary(UnaryOp::kExp, x);
  ForEachIndex(out.shape(), [&](const std::vector<int64_t>& i) { EXPECT_CLOSE(At(out, i), std::exp(At(x, i)), 4e-7, 0); });
}

TG_TEST(reshape_views_when_strides_allow_and_copies_otherwise) {
  const Tensor x = RandomTensor({4, 6}, 4);
  const Tensor v = Reshape(x, {2, -1, 3});
  EXPECT_TRUE((v.shape() == Shape{2, 4, 3}));
  EXPECT_TRUE(v.storage() == x.storage());
  const Tensor t = Transpose(x, 0, 1);
  const Tensor r = Reshape(t, {24});
  EXPECT_TRUE(r.storage() != x.storage());
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(r.data<float>()[i], At(t, {i / 4, i % 4}));
  EXPECT_TRUE(CodeOf([&] { View(t, {24}); }) == StatusCode::kShape);
  // Splitting a transposed dimension is still a view.
  const Tensor split = View(t, {2, 3, 4});
  EXPECT_TRUE(split.storage() == x.storage());
  EXPECT_TRUE(CodeOf([&] { Reshape(x, {5, -1}); }) == StatusCode::kShape);
  EXPECT_TRUE(CodeOf([&] { Reshape(x, {-1, -1}); }) == StatusCode::kArgument);
}

TG_TEST(slice_and_select_follow_python_indexing) {
  const Tensor x = Arange(0, 10, 1, DType::kFloat32);
  const Tensor s = Slice(x, -4, 100, 2);
  EXPECT_TRUE((s.shape() == Shape{2}));
  EXPECT_EQ(At(s, {0}), 6.0f);
  EXPECT_EQ(At(s, {1}), 8.0f);
  EXPECT_EQ(Slice(x, 7, 3, 1).numel(), int64_t{0});
  EXPECT_EQ(Select(x, -1).data<float>()[0], 9.0f);
  EXPECT_TRUE(CodeOf([&] { Select(x, 10); }) == StatusCode::kArgument);
}

TG_TEST(copy_converts_dtypes) {
  const Tensor f = FromVector({-1.7f, 2.9f, 3e10f, NAN}, {4});
  const Tensor i = ToDType(f, DType::kInt32);
  EXPECT_EQ(i.data<int32_t>()[0], -1);
  EXPECT_EQ(i.data<int32_t>()[1], 2);
  EXPECT_EQ(i.data<int32_t>()[2], INT32_MAX);
  EXPECT_EQ(i.data<int32_t>()[3], 0);
  EXPECT_EQ(ToDType(i, DType::kFloat32).data<float>()[1], 2.0f);
}

TG_TEST(reductions_match_naive_loops_for_every_dim) {
  const Tensor x = RandomTensor({3, 5, 7}, 5);
  for (int dim = 0; dim < 3; ++dim) {
    const Tensor sum = Reduce(ReduceOp::kSum, x, {dim}, false);
    const Tensor mx = Reduce(ReduceOp::kMax, x, {dim}, true);
    const Tensor am = ArgExtreme(true, x, true, dim, false);
    ForEachIndex(sum.shape(), [&](const std::vector<int64_t>& o) {
      double s = 0;
      float best = -INFINITY;
      int best_i = 0;
      for (int64_t k = 0; k < x.shape()[dim]; ++k) {
        std::vector<int64_t> i = o;
        i.insert(i.begin() + dim, k);
        s += At(x, i);
        if (At(x, i) > best) best = At(x, i), best_i = static_cast<int>(k);
      }
      EXPECT_CLOSE(At(sum, o), s, 1e-5, 1e-6);
      std::vector<int64_t> keep = o;
      keep.insert(keep.begin() + dim, 0);
      EXPECT_EQ(At(mx, keep), best);
      int64_t off = 0;
      for (size_t d = 0; d < o.size(); ++d) off += o[d] * am.strides()[d];
      EXPECT_EQ(am.data<int32_t>()[off], best_i);
    });
  }
  // Several dimensions at once, not adjacent: moved together through a permuted copy.
  const Tensor s02 = Reduce(ReduceOp::kSum, x, {0, 2}, false);
  for (int64_t j = 0; j < 5; ++j) {
    double s = 0;
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t k = 0; k < 7; ++k) s += At(x, {i, j, k});
    EXPECT_CLOSE(At(s02, {j}), s, 1e-5, 1e-6);
  }
}

TG_TEST(reductions_do_not_depend_on_the_thread_count) {
  const Tensor x = RandomTensor({1000003}, 6);
  const Tensor rows = RandomTensor({64, 70001}, 7);
  SetNumThreads(1);
  const float one = Reduce(ReduceOp::kSum, x, {}, false).data<float>()[0];
  const Tensor rows_one = Reduce(ReduceOp::kSum, rows, {1}, false);
  SetNumThreads(2);
  const float two = Reduce(ReduceOp::kSum, x, {}, false).data<float>()[0];
  const Tensor rows_two = Reduce(ReduceOp::kSum, rows, {1}, false);
  SetNumThreads(3);
  const float three = Reduce(ReduceOp::kSum, x, {}, false).data<float>()[0];
  SetNumThreads(2);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, three);
  EXPECT_EQ(std::memcmp(rows_one.data<float>(), rows_two.data<float>(), 64 * sizeof(float)), 0);
  double exact = 0;
  for (int64_t i = 0; i < x.numel(); ++i) exact += x.data<float>()[i];
  EXPECT_CLOSE(one, exact, 1e-4, 1e-2);
}

TG_TEST(empty_reductions) {
  const Tensor e = Tensor::Empty({0, 3});
  const Tensor s = Reduce(ReduceOp::kSum, e, {0}, false);
  EXPECT_TRUE((s.shape() == Shape{3}));
  EXPECT_EQ(s.data<float>()[2], 0.0f);
  EXPECT_TRUE(std::isnan(Mean(e, {}, false).data<float>()[0]));
  EXPECT_TRUE(CodeOf([&] { Reduce(ReduceOp::kMax, e, {0}, false); }) == StatusCode::kArgument);
  EXPECT_TRUE(CodeOf([&] { ArgExtreme(true, e, false, 0, false); }) == StatusCode::kArgument);
}

TG_TEST(random_numbers_are_reproducible_and_well_distributed) {
  Generator g1(42), g2(42), g3(43);
  const Tensor a = Rand({100000}, g1), b = Rand({100000}, g2), c = Rand({100000}, g3);
  EXPECT_EQ(std::memcmp(a.data<float>(), b.data<float>(), 100000 * sizeof(float)), 0);
  EXPECT_TRUE(std::memcmp(a.data<float>(), c.data<float>(), 100000 * sizeof(float)) != 0);
  double mean = 0, lo = 1, hi = 0;
  for (int i = 0; i < 100000; ++i) {
    const float v = a.data<float>()[i];
    mean += v;
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
  }
  EXPECT_CLOSE(mean / 100000, 0.5, 0, 0.01);
  EXPECT_TRUE(lo >= 0 && hi < 1);
  const Tensor n = Randn({200001}, g1);
  double m = 0, v = 0;
  for (int i = 0; i < 200001; ++i) m += n.data<float>()[i];
  m /= 200001;
  for (int i = 0; i < 200001; ++i) v += (n.data<float>()[i] - m) * (n.data<float>()[i] - m);
  EXPECT_CLOSE(m, 0, 0, 0.01);
  EXPECT_CLOSE(v / 200000, 1, 0, 0.02);
  // Thread count does not change the draw.
  SetNumThreads(1);
  Generator g4(9);
  const Tensor one = Randn({300000}, g4);
  SetNumThreads(2);
  Generator g5(9);
  const Tensor two = Randn({300000}, g5);
  EXPECT_EQ(std::memcmp(one.data<float>(), two.data<float>(), 300000 * sizeof(float)), 0);
}

TG_TEST(bad_input_raises_the_right_status) {
  EXPECT_TRUE(CodeOf([] { Tensor::Empty({-1}); }) == StatusCode::kArgument);
  EXPECT_TRUE(CodeOf([] { Tensor::Empty({int64_t{1} << 40, int64_t{1} << 40}); }) == StatusCode::kArgument);
  EXPECT_TRUE(CodeOf([] { Tensor::Empty({int64_t{1} << 47}); }) == StatusCode::kOutOfMemory);
  EXPECT_TRUE(CodeOf([] { Arange(0, 1, 0, DType::kFloat32); }) == StatusCode::kArgument);
  EXPECT_TRUE(CodeOf([] { Arange(0, NAN, 1, DType::kFloat32); }) == StatusCode::kArgument);
  const Tensor i = Full({3}, 1, DType::kInt32);
  EXPECT_TRUE(CodeOf([&] { Unary(UnaryOp::kExp, i); }) == StatusCode::kDType);
  const Tensor x = Full({2, 3}, 1, DType::kFloat32);
  EXPECT_TRUE(CodeOf([&] { Permute(x, {0, 0}); }) == StatusCode::kArgument);
  EXPECT_TRUE(CodeOf([&] { Transpose(x, 0, 2); }) == StatusCode::kArgument);
  EXPECT_TRUE(CodeOf([&] { Reduce(ReduceOp::kSum, x, {1, -1}, false); }) == StatusCode::kArgument);
  EXPECT_TRUE(CodeOf([&] { Clamp(x, 2, 1); }) == StatusCode::kArgument);
}

TG_TEST_MAIN()
