// compare.cc, triangle.cc, cumsum.cc, Repeat (broadcast.cc) and EmbeddingRenormInPlace
// (inplace.cc) against naive loops: contiguous, transposed, sliced and broadcast inputs, int32
// data, independence from the thread count, and the errors bad arguments raise.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "ops/inplace.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;
using tg_testing::Contains;
using tg_testing::ErrorOf;

namespace {

Tensor RandomTensor(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return Randn(shape, gen);
}

// Small integers as float32: many ties for the comparisons.
Tensor SmallInts(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  const Tensor r = Rand(shape, gen);
  std::vector<float> v(static_cast<size_t>(r.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::floor(r.data<float>()[i] * 5.0f) - 2.0f;
  return FromCopy(v.data(), shape, DType::kFloat32);
}

// The elements in row-major order, whatever the strides.
template <typename T = float>
std::vector<T> Values(const Tensor& t) {
  const Tensor c = Clone(t);
  return std::vector<T>(c.data<T>(), c.data<T>() + c.numel());
}

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data<float>(), b.data<float>(), a.numel() * sizeof(float)) == 0;
}

// Each of [4, 5, 6]: contiguous, transposed, stepped along dim 0, broadcast.
std::vector<Tensor> Layouts(uint64_t seed) {
  return {SmallInts({4, 5, 6}, seed), Transpose(SmallInts({6, 5, 4}, seed + 1), 0, 2),
          Slice(SmallInts({8, 5, 6}, seed + 2), 1, 8, 2), Expand(SmallInts({1, 5, 1}, seed + 3), {4, 5, 6})};
}

bool Naive(CompareOp op, float a, float b) {
  switch (op) {
    case CompareOp::kEq: return a == b;
    case CompareOp::kNe: return a != b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kLe: return a <= b;
    case CompareOp::kGt: return a > b;
    default: return a >= b;
  }
}

}  // namespace

TG_TEST(compare_and_where_match_naive_on_every_layout) {
  const Tensor other = Transpose(SmallInts({1, 5}, 7), 0, 1);  // [5, 1], broadcast over 4 and 6
  const std::vector<float> b = Values(Expand(other, {4, 5, 6}));
  for (const Tensor& x : Layouts(1)) {
    const std::vector<float> a = Values(x);
    for (int k = 0; k < static_cast<int>(CompareOp::kCount); ++k) {
      const CompareOp op = static_cast<CompareOp>(k);
      const Tensor out = Compare(op, x, other);
      EXPECT_TRUE(out.dtype() == DType::kFloat32 && (out.shape() == Shape{4, 5, 6}));
      std::vector<float> want(a.size());
      for (size_t i = 0; i < a.size(); ++i) want[i] = Naive(op, a[i], b[i]) ? 1.0f : 0.0f;
      tg_testing::ExpectNear("compare", Values(out), want, 0, 0);
      std::vector<float> scalar_want(a.size());
      for (size_t i = 0; i < a.size(); ++i) scalar_want[i] = Naive(op, a[i], 0.0f) ? 1.0f : 0.0f;
      tg_testing::ExpectNear("compare scalar", Values(CompareScalar(op, x, 0.0)), scalar_want, 0, 0);
    }
    const Tensor y = RandomTensor({6}, 8);
    const std::vector<float> yv = Values(Expand(y, {4, 5, 6})), xv = Values(x);
    std::vector<float> want(a.size());
    for (size_t i = 0; i < a.size(); ++i) want[i] = a[i] != 0.0f ? xv[i] : yv[i];
    tg_testing::ExpectNear("where", Values(Where(x, x, y)), want, 0, 0);
  }
  // int32 operands compare exactly; int32 against float32 as float32
  const int32_t iv[] = {-3, 0, 7, 2147483647};
  const Tensor i = FromCopy(iv, {4}, DType::kInt32);
  tg_testing::ExpectNear("int eq", Values(CompareScalar(CompareOp::kEq, i, 2147483647.0)), {0, 0, 0, 1}, 0, 0);
  tg_testing::ExpectNear("int lt 0.5", Values(CompareScalar(CompareOp::kLt, i, 0.5)), {1, 1, 0, 0}, 0, 0);
  tg_testing::ExpectNear("int ge float", Values(Compare(CompareOp::kGe, i, Full({}, -2.5, DType::kFloat32))), {0, 1, 1, 1}, 0, 0);
  EXPECT_TRUE(Where(Full({4}, 1, DType::kFloat32), i, i).dtype() == DType::kInt32);
}

TG_TEST(triangles_match_naive_for_every_diagonal) {
  const Tensor x = Transpose(RandomTensor({2, 5, 3, 4}, 20), 1, 3);  // [2, 4, 3, 5], strided
  const std::vector<float> v = Values(x);
  for (int64_t k = -6; k <= 6; ++k) {
    for (bool upper : {true, false}) {
      std::vector<float> want(v.size());
      for (size_t p = 0; p < v.size(); ++p) {
        const int64_t j = static_cast<int64_t>(p % 5), i = static_cast<int64_t>((p / 5) % 3);
        want[p] = (upper ? j - i >= k : j - i <= k) ? v[p] : 0.0f;
      }
      tg_testing::ExpectNear("triangle", Values(Triangle(x, k, upper)), want, 0, 0);
    }
  }
  const int32_t iv[] = {1, 2, 3, 4};
  const Tensor ints = Triangle(FromCopy(iv, {2, 2}, DType::kInt32), 0, false);
  EXPECT_TRUE(ints.dtype() == DType::kInt32);
  const std::vector<int32_t> got = Values<int32_t>(ints);
  EXPECT_TRUE((got == std::vector<int32_t>{1, 0, 3, 4}));
  EXPECT_EQ(Triangle(Tensor::Empty({0, 3}), 0, true).numel(), int64_t{0});
}

TG_TEST(cumsum_is_a_double_running_sum_independent_of_the_thread_count) {
  const Tensor x = Slice(RandomTensor({6, 300, 70}, 30), 0, 6, 2);  // [3, 300, 70], strided
  const std::vector<float> v = Values(x);
  const int64_t shape[] = {3, 300, 70};
  for (int dim = 0; dim < 3; ++dim) {
    for (bool reverse : {false, true}) {
      int64_t inner = 1;
      for (int d = dim + 1; d < 3; ++d) inner *= shape[d];
      const int64_t n = shape[dim];
      std::vector<double> want(v.size());
      for (size_t p = 0; p < v.size(); ++p) {
        const int64_t k = (static_cast<int64_t>(p) / inner) % n, line = static_cast<int64_t>(p) - k * inner;
        double s = 0;
        for (int64_t q = reverse ? k : 0; q < (reverse ? n : k + 1); ++q) s += v[static_cast<size_t>(line + q * inner)];
        want[p] = s;
      }
      std::vector<Tensor> runs;
      for (int threads : {1, 2, 3}) {
        SetNumThreads(threads);
        runs.push_back(Cumsum(x, dim - 3, reverse));
      }
      SetNumThreads(2);
      tg_testing::ExpectNear("cumsum", Values(runs[0]), want, 1e-6, 1e-6);
      EXPECT_TRUE(SameBits(runs[0], runs[1]) && SameBits(runs[0], runs[2]));
    }
  }
}

TG_TEST(repeat_matches_naive_with_more_sizes_than_dims) {
  for (const Tensor& x : {RandomTensor({2, 3}, 40), Transpose(RandomTensor({3, 2}, 41), 0, 1), Expand(RandomTensor({1, 3}, 42), {2, 3})}) {
    const std::vector<float> v = Values(x);
    const Tensor out = Repeat(x, {2, 3, 2});  // x seen as [1, 2, 3]: result [2, 6, 6]
    EXPECT_TRUE((out.shape() == Shape{2, 6, 6}) && out.is_contiguous());
    std::vector<float> want;
    for (int r = 0; r < 2; ++r)
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) want.push_back(v[static_cast<size_t>((i % 2) * 3 + j % 3)]);
    tg_testing::ExpectNear("repeat", Values(out), want, 0, 0);
  }
  const int32_t iv[] = {5, 6};
  EXPECT_TRUE((Values<int32_t>(Repeat(FromCopy(iv, {2}, DType::kInt32), {2})) == std::vector<int32_t>{5, 6, 5, 6}));
  EXPECT_TRUE((Repeat(RandomTensor({2}, 43), {0, 2}).shape() == Shape{0, 4}));
  EXPECT_TRUE((Repeat(Full({}, 3, DType::kFloat32), {2}).shape() == Shape{2}));
}

TG_TEST(embedding_renorm_scales_each_named_row_once) {
  const Tensor w = Clone(RandomTensor({6, 5}, 50));
  const std::vector<float> before = Values(w);
  const int32_t iv[] = {4, 1, 4, 4, 0};
  EmbeddingRenormInPlace(w, FromCopy(iv, {5}, DType::kInt32), 0.75, 3.0);
  const std::vector<float> after = Values(w);
  for (int r = 0; r < 6; ++r) {
    double norm = 0;
    for (int j = 0; j < 5; ++j) norm += std::pow(std::fabs(before[r * 5 + j]), 3.0);
    norm = std::cbrt(norm);
    const bool named = r == 0 || r == 1 || r == 4;
    const double scale = named && norm > 0.75 ? 0.75 / (norm + 1e-7) : 1.0;
    for (int j = 0; j < 5; ++j) EXPECT_CLOSE(after[r * 5 + j], before[r * 5 + j] * scale, 1e-6, 1e-7);
  }
  // An index out of range fails before any row is written.
  const int32_t bad[] = {0, 6};
  const std::string e = ErrorOf([&] { EmbeddingRenormInPlace(w, FromCopy(bad, {2}, DType::kInt32), 1e-3, 2.0); });
  EXPECT_TRUE(Contains(e, "embedding: index 6") && Contains(e, "size 6"));
  EXPECT_TRUE(Values(w) == after);
}

TG_TEST(sequence_ops_reject_bad_arguments) {
  const Tensor x = RandomTensor({3, 4}, 60);
  EXPECT_TRUE(Contains(ErrorOf([&] { Compare(CompareOp::kLt, x, RandomTensor({3}, 1)); }), "lt"));
  EXPECT_TRUE(Contains(ErrorOf([&] { Where(x, x, RandomTensor({2, 1, 3}, 1)); }), "where"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaskedFill(x, RandomTensor({2, 3, 4}, 1), Full({}, 0, DType::kFloat32)); }), "mask"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaskedFill(x, RandomTensor({4}, 1), Full({1}, 0, DType::kFloat32)); }), "value"));
  EXPECT_TRUE(Contains(ErrorOf([&] { Triangle(RandomTensor({4}, 1), 0, true); }), "at least 2 dimensions"));
  EXPECT_TRUE(Contains(ErrorOf([&] { Cumsum(Full({3}, 1, DType::kInt32), 0, false); }), "float32"));
  EXPECT_TRUE(Contains(ErrorOf([&] { Cumsum(x, 2, false); }), "dim"));
  EXPECT_TRUE(Contains(ErrorOf([&] { Repeat(x, {2}); }), "at least one entry per dimension"));
  EXPECT_TRUE(Contains(ErrorOf([&] { Repeat(x, {2, -1}); }), ">= 0"));
  EXPECT_TRUE(Contains(ErrorOf([&] { EmbeddingRenormInPlace(x, Full({1}, 0, DType::kFloat32), 1, 2); }), "int32"));
  EXPECT_TRUE(Contains(ErrorOf([&] { EmbeddingRenormInPlace(Expand(RandomTensor({1, 4}, 1), {3, 4}), Full({1}, 0, DType::kInt32), 1, 2); }),
                       "same memory"));
}

TG_TEST_MAIN()
