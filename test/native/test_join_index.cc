// join.cc, indexing.cc and broadcast.cc against naive loops: contiguous, transposed, sliced
// and broadcast (stride 0) inputs, negative dims, empty tensors, int32 data, repeated
// indices, independence from the thread count, and the errors bad arguments raise.
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;
using Index = std::vector<int64_t>;

namespace {

Tensor RandomTensor(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return Randn(shape, gen);
}

// int32 values drawn from [0, hi), so repeats are common when hi is small.
Tensor RandomIndex(const Shape& shape, int32_t hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> v(static_cast<size_t>(CheckedNumel(shape)));
  for (int32_t& x : v) x = static_cast<int32_t>(rng() % static_cast<uint32_t>(hi));
  return FromCopy(v.data(), shape, DType::kInt32);
}

Tensor Ints(const std::vector<int32_t>& v, const Shape& shape) { return FromCopy(v.data(), shape, DType::kInt32); }

// Element at a multi-index of a (possibly strided) tensor, as T.
template <typename T = float>
T At(const Tensor& t, const Index& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[d];
  return t.data<T>()[off];
}

template <typename Fn>
void ForEachIndex(const Shape& shape, Fn fn) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  Index idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(idx);
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

// The code and message of the tg::Error fn throws; kInternal and "" when it does not throw.
std::pair<StatusCode, std::string> ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {StatusCode::kInternal, ""};
}

bool Mentions(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data<float>(), b.data<float>(), a.numel() * sizeof(float)) == 0;
}

// The inputs most ops are checked on: contiguous, transposed, stepped along dim 0, broadcast.
std::vector<Tensor> Layouts(uint64_t seed) {
  return {RandomTensor({4, 5, 6}, seed), Transpose(RandomTensor({6, 5, 4}, seed + 1), 0, 2),
          Slice(RandomTensor({8, 5, 6}, seed + 2), 1, 8, 2), Expand(RandomTensor({1, 5, 1}, seed + 3), {4, 5, 6})};
}

}  // namespace

TG_TEST(narrow_is_a_view_with_negative_dim_and_start) {
  for (const Tensor& x : Layouts(10)) {
    const Tensor n = Narrow(x, -2, -3, 2);  // entries 2 and 3 of dimension 1
    EXPECT_TRUE((n.shape() == Shape{4, 2, 6}));
    EXPECT_TRUE(n.storage() == x.storage());
    ForEachIndex(n.shape(), [&](const Index& i) { EXPECT_EQ(At(n, i), At(x, {i[0], i[1] + 2, i[2]})); });
  }
  const Tensor x = RandomTensor({4, 5}, 11);
  EXPECT_EQ(Narrow(x, 0, 4, 0).numel(), int64_t{0});
  EXPECT_TRUE((Narrow(x, 1, -5, 5).shape() == Shape{4, 5}));
  EXPECT_TRUE(ErrorOf([&] { Narrow(Full({}, 1, DType::kFloat32), 0, 0, 1); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { Narrow(x, 2, 0, 1); }).first == StatusCode::kArgument);
  EXPECT_TRUE(ErrorOf([&] { Narrow(x, 1, 6, 0); }).first == StatusCode::kArgument);
  EXPECT_TRUE(ErrorOf([&] { Narrow(x, 1, -6, 1); }).first == StatusCode::kArgument);
  EXPECT_TRUE(ErrorOf([&] { Narrow(x, 1, 3, 3); }).first == StatusCode::kArgument);
  EXPECT_TRUE(ErrorOf([&] { Narrow(x, 1, 0, -1); }).first == StatusCode::kArgument);
}

TG_TEST(cat_matches_naive_for_every_dim) {
  const std::vector<Tensor> base = Layouts(20);  // each [4, 5, 6]
  for (int64_t dim : {0, 1, 2, -1, -3}) {
    const int d = static_cast<int>(dim < 0 ? dim + 3 : dim);
    // Pieces of sizes 2, 0, 3 and 1 along d, cut from different layouts.
    const std::vector<Tensor> parts = {Narrow(base[1], d, 0, 2), Narrow(base[0], d, 1, 0), Narrow(base[3], d, 1, 3),
                                       Narrow(base[2], d, 3, 1)};
    const Tensor out = Cat(parts, dim);
    Shape shape = base[0].shape();
    shape[d] = 6;
    EXPECT_TRUE(out.shape() == shape);
    EXPECT_TRUE(out.is_contiguous());
    ForEachIndex(out.shape(), [&](const Index& i) {
      Index j = i;
      size_t p = 0;
      while (j[d] >= parts[p].shape()[d]) j[d] -= parts[p++].shape()[d];
      EXPECT_EQ(At(out, i), At(parts[p], j));
    });
  }
  const Tensor one = Cat({base[1]}, 0);  // a single tensor: a contiguous copy
  EXPECT_TRUE(one.storage() != base[1].storage() && one.is_contiguous());
  EXPECT_EQ(Cat({Tensor::Empty({0, 3}), Tensor::Empty({0, 3})}, 0).numel(), int64_t{0});
}

TG_TEST(stack_matches_naive_for_every_dim) {
  const std::vector<Tensor> parts = {RandomTensor({3, 4}, 30), Transpose(RandomTensor({4, 3}, 31), 0, 1),
                                     Expand(RandomTensor({3, 1}, 32), {3, 4})};
  for (int64_t dim = -3; dim <= 2; ++dim) {
    const int d = static_cast<int>(dim < 0 ? dim + 3 : dim);
    const Tensor out = Stack(parts, dim);
    Shape shape{3, 4};
    shape.insert(shape.begin() + d, 3);
    EXPECT_TRUE(out.shape() == shape);
    ForEachIndex(out.shape(), [&](const Index& i) {
      Index j = i;
      j.erase(j.begin() + d);
      EXPECT_EQ(At(out, i), At(parts[static_cast<size_t>(i[d])], j));
    });
  }
  const Tensor scalars = Stack({Full({}, 1, DType::kFloat32), Full({}, 2, DType::kFloat32)}, -1);
  EXPECT_TRUE((scalars.shape() == Shape{2}));
  EXPECT_EQ(At(scalars, {1}), 2.0f);
  EXPECT_TRUE((Stack({Tensor::Empty({0, 2})}, 1).shape() == Shape{0, 1, 2}));
}

TG_TEST(cat_and_stack_keep_int32) {
  const Tensor a = Arange(0, 6, 1, DType::kInt32), b = Arange(10, 13, 1, DType::kInt32);
  const Tensor c = Cat({Reshape(a, {2, 3}), Reshape(b, {1, 3})}, 0);
  EXPECT_TRUE(c.dtype() == DType::kInt32);
  for (int64_t i = 0; i < 9; ++i) EXPECT_EQ(c.data<int32_t>()[i], static_cast<int32_t>(i < 6 ? i : i + 4));
  const Tensor s = Stack({Transpose(Reshape(a, {2, 3}), 0, 1), Transpose(Reshape(a, {2, 3}), 0, 1)}, 2);  // [3, 2, 2]
  EXPECT_TRUE(s.dtype() == DType::kInt32);
  ForEachIndex(s.shape(), [&](const Index& i) { EXPECT_EQ(At<int32_t>(s, i), static_cast<int32_t>(i[1] * 3 + i[0])); });
}

TG_TEST(cat_and_stack_reject_bad_lists) {
  const Tensor a = RandomTensor({2, 3}, 40), i = Full({2, 3}, 1, DType::kInt32);
  EXPECT_TRUE(ErrorOf([] { Cat({}, 0); }).first == StatusCode::kArgument);
  EXPECT_TRUE(ErrorOf([] { Stack({}, 0); }).first == StatusCode::kArgument);
  const auto dtype = ErrorOf([&] { Cat({a, a, i}, 0); });
  EXPECT_TRUE(dtype.first == StatusCode::kDType && Mentions(dtype.second, "tensor 2 is int32"));
  EXPECT_TRUE(ErrorOf([&] { Stack({a, i}, 0); }).first == StatusCode::kDType);
  const auto size = ErrorOf([&] { Cat({a, a, RandomTensor({2, 4}, 41)}, 0); });
  EXPECT_TRUE(size.first == StatusCode::kShape && Mentions(size.second, "tensor 2 has shape [2, 4]") &&
              Mentions(size.second, "[2, 3]"));
  EXPECT_TRUE(ErrorOf([&] { Cat({a, RandomTensor({2, 3, 1}, 42)}, 0); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { Cat({Tensor::Empty({0}), a}, 0); }).first == StatusCode::kShape);  // no legacy [0] rule
  EXPECT_TRUE(ErrorOf([&] { Cat({Full({}, 1, DType::kFloat32)}, 0); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { Cat({a}, 2); }).first == StatusCode::kArgument);
  const auto stack = ErrorOf([&] { Stack({a, Transpose(a, 0, 1)}, 0); });
  EXPECT_TRUE(stack.first == StatusCode::kShape && Mentions(stack.second, "tensor 1 has shape [3, 2]"));
  EXPECT_TRUE(ErrorOf([&] { Stack({a}, 3); }).first == StatusCode::kArgument);
  EXPECT_TRUE(ErrorOf([&] { Stack({a}, -4); }).first == StatusCode::kArgument);
}

TG_TEST(gather_matches_naive_on_any_layout) {
  uint32_t seed = 50;
  for (const Tensor& x : Layouts(50)) {
    for (int64_t dim : {0, 1, -1}) {
      const int d = static_cast<int>(dim < 0 ? dim + 3 : dim);
      Shape ishape{3, 4, 5};
      ishape[d] = 7;  // longer than input along dim: fine
      const Tensor dense = RandomIndex(ishape, static_cast<int32_t>(x.shape()[d]), seed++);
      for (const Tensor& index : {dense, Transpose(Clone(Transpose(dense, 0, 2)), 0, 2)}) {
        const Tensor out = Gather(x, dim, index);
        EXPECT_TRUE(out.shape() == ishape && out.is_contiguous());
        ForEachIndex(ishape, [&](const Index& i) {
          Index j = i;
          j[d] = At<int32_t>(index, i);
          EXPECT_EQ(At(out, i), At(x, j));
        });
      }
    }
  }
  const Tensor xi = Transpose(Reshape(Arange(0, 12, 1, DType::kInt32), {3, 4}), 0, 1);  // [4, 3] int32
  const Tensor gi = Gather(xi, 1, Ints({2, 0, 1, 1}, {4, 1}));
  EXPECT_TRUE(gi.dtype() == DType::kInt32);
  for (int64_t r = 0; r < 4; ++r) EXPECT_EQ(gi.data<int32_t>()[r], At<int32_t>(xi, {r, r == 0 ? 2 : r == 1 ? 0 : 1}));
  const Tensor scalar = Gather(Full({}, 5, DType::kFloat32), 0, Ints({0}, {}));
  EXPECT_TRUE(scalar.ndim() == 0 && scalar.data<float>()[0] == 5.0f);
  EXPECT_EQ(Gather(RandomTensor({3, 4}, 51), 1, Tensor::Empty({3, 0}, DType::kInt32)).numel(), int64_t{0});
}

TG_TEST(scatter_add_matches_naive_with_repeated_indices) {
  const Shape shape{4, 5, 6};
  uint32_t seed = 60;
  for (int64_t dim : {0, 1, -1}) {
    const int d = static_cast<int>(dim < 0 ? dim + 3 : dim);
    Shape ishape{3, 4, 5};
    ishape[d] = 9;  // more entries than shape[d]: indices repeat
    const Tensor index = RandomIndex(ishape, static_cast<int32_t>(shape[d]), seed++);
    Shape sshape = ishape;
    sshape[2] += 1;  // src larger than index along the last dimension, and transposed
    const Tensor src = Transpose(RandomTensor({sshape[2], sshape[1], sshape[0]}, seed++), 0, 2);
    const Tensor out = ScatterAdd(shape, dim, index, src);
    // Naive, in row-major order of index: the same order of additions for every element.
    std::vector<float> expect(static_cast<size_t>(CheckedNumel(shape)), 0.0f);
    ForEachIndex(ishape, [&](const Index& i) {
      Index j = i;
      j[d] = At<int32_t>(index, i);
      expect[static_cast<size_t>((j[0] * shape[1] + j[1]) * shape[2] + j[2])] += At(src, i);
    });
    EXPECT_TRUE(out.shape() == shape);
    for (size_t k = 0; k < expect.size(); ++k) EXPECT_EQ(out.data<float>()[k], expect[k]);
  }
  // The gradient of gather: a scatter of ones counts how often each input was read.
  const Tensor counts = ScatterAdd({2, 3}, 1, Ints({2, 2, 0, 1, 1, 1}, {2, 3}), Full({2, 3}, 1, DType::kFloat32));
  const float expect[] = {1, 0, 2, 0, 3, 0};
  for (int k = 0; k < 6; ++k) EXPECT_EQ(counts.data<float>()[k], expect[k]);
  const Tensor scalar = ScatterAdd({}, 0, Ints({0}, {}), Full({}, 2, DType::kFloat32));
  EXPECT_TRUE(scalar.ndim() == 0 && scalar.data<float>()[0] == 2.0f);
  const Tensor none = ScatterAdd({2, 3}, 0, Tensor::Empty({0, 3}, DType::kInt32), Tensor::Empty({0, 3}));
  EXPECT_TRUE(none.shape() == Shape({2, 3}) && none.data<float>()[5] == 0.0f);
}

TG_TEST(index_select_matches_naive_on_fast_and_strided_paths) {
  const Tensor table = RandomTensor({10, 16}, 70), narrow_rows = RandomTensor({10, 3}, 71);
  const std::vector<Tensor> inputs = {table, narrow_rows, Transpose(table, 0, 1), Slice(RandomTensor({20, 16}, 72), 1, 20, 2),
                                      RandomTensor({4, 10, 5}, 73), Transpose(RandomTensor({5, 10, 4}, 74), 0, 2),
                                      Expand(RandomTensor({1, 10}, 75), {3, 10})};
  const Tensor index = Ints({3, 0, 9, 3, 3, 7}, {6});
  for (const Tensor& x : inputs) {
    for (int64_t dim = -x.ndim(); dim < x.ndim(); ++dim) {
      const int d = static_cast<int>(dim < 0 ? dim + x.ndim() : dim);
      if (x.shape()[d] < 10) continue;
      for (const Tensor& idx : {index, Slice(Ints({3, 1, 0, 2, 9, 0, 3, 8, 3, 5, 3, 6}, {12}), 0, 12, 2)}) {
        const Tensor out = IndexSelect(x, dim, idx);
        Shape shape = x.shape();
        shape[d] = 6;
        EXPECT_TRUE(out.shape() == shape && out.is_contiguous());
        ForEachIndex(shape, [&](const Index& i) {
          Index j = i;
          j[d] = At<int32_t>(idx, {i[d]});
          EXPECT_EQ(At(out, i), At(x, j));
        });
      }
    }
  }
  const Tensor ints = IndexSelect(Reshape(Arange(0, 6, 1, DType::kInt32), {3, 2}), 0, Ints({2}, {}));  // 0-D index
  EXPECT_TRUE(ints.shape() == Shape({1, 2}) && ints.dtype() == DType::kInt32 && ints.data<int32_t>()[1] == 5);
  const Tensor scalar = IndexSelect(Full({}, 3, DType::kFloat32), 0, Ints({0}, {1}));
  EXPECT_TRUE(scalar.ndim() == 0 && scalar.data<float>()[0] == 3.0f);
  EXPECT_TRUE(IndexSelect(table, 0, Tensor::Empty({0}, DType::kInt32)).shape() == Shape({0, 16}));
}

TG_TEST(index_add_matches_naive_with_repeated_indices) {
  const Tensor index = Ints({0, 3, 3, 4, 0, 2, 3, 3}, {8});
  for (int64_t dim : {0, 1, -1}) {
    const int d = static_cast<int>(dim < 0 ? dim + 3 : dim);
    Shape shape{5, 6, 7}, sshape = shape;
    sshape[d] = 8;
    const Tensor dense = RandomTensor(sshape, 80 + static_cast<uint64_t>(d));
    for (const Tensor& src : {dense, Transpose(Clone(Transpose(dense, 0, 2)), 0, 2), Expand(Narrow(dense, 2, 0, 1), sshape)}) {
      const Tensor out = IndexAdd(shape, dim, index, src);
      std::vector<float> expect(static_cast<size_t>(CheckedNumel(shape)), 0.0f);
      for (int64_t i = 0; i < 8; ++i) {  // in order of i, as the op promises
        ForEachIndex(shape, [&](const Index& o) {
          if (o[d] != index.data<int32_t>()[i]) return;
          Index j = o;
          j[d] = i;
          expect[static_cast<size_t>((o[0] * shape[1] + o[1]) * shape[2] + o[2])] += At(src, j);
        });
      }
      for (size_t k = 0; k < expect.size(); ++k) EXPECT_EQ(out.data<float>()[k], expect[k]);
    }
  }
  const Tensor scalar = IndexAdd({}, 0, Ints({0}, {1}), Full({}, 4, DType::kFloat32));
  EXPECT_TRUE(scalar.ndim() == 0 && scalar.data<float>()[0] == 4.0f);
  const Tensor none = IndexAdd({3, 2}, 0, Tensor::Empty({0}, DType::kInt32), Tensor::Empty({0, 2}));
  EXPECT_TRUE(none.shape() == Shape({3, 2}) && none.data<float>()[5] == 0.0f);
}

TG_TEST(lookups_and_scatters_do_not_depend_on_the_thread_count) {
  const Tensor index = RandomIndex({20000}, 100, 90);
  const Tensor src = RandomTensor({20000, 64}, 91), tsrc = Transpose(RandomTensor({64, 20000}, 92), 0, 1);
  const Tensor gindex = RandomIndex({300, 2000}, 100, 93);
  const Tensor gsrc = RandomTensor({300, 2000}, 94), table = RandomTensor({100, 64}, 95);
  std::vector<std::vector<Tensor>> runs;
  for (int threads : {1, 2, 3}) {
    SetNumThreads(threads);
    runs.push_back({IndexAdd({100, 64}, 0, index, src), IndexAdd({100, 64}, 0, index, tsrc),
                    IndexAdd({64, 100}, 1, index, Transpose(src, 0, 1)), ScatterAdd({300, 100}, 1, gindex, gsrc),
                    ScatterAdd({100, 2000}, 0, gindex, gsrc), IndexSelect(table, 0, index), Gather(gsrc, 1, gindex)});
  }
  SetNumThreads(2);
  for (size_t r = 1; r < runs.size(); ++r) {
    for (size_t k = 0; k < runs[0].size(); ++k) EXPECT_TRUE(SameBits(runs[0][k], runs[r][k]));
  }
  // Repeated rows add up: the embedding gradient of 20000 lookups into 100 rows.
  double total = 0, expect = 0;
  for (int64_t k = 0; k < runs[0][0].numel(); ++k) total += runs[0][0].data<float>()[k];
  for (int64_t k = 0; k < src.numel(); ++k) expect += src.data<float>()[k];
  EXPECT_CLOSE(total, expect, 1e-4, 1e-2);
}

TG_TEST(index_ops_reject_bad_arguments) {
  const Tensor x = RandomTensor({3, 4}, 100), idx = Ints({0, 1, 2, 1}, {2, 2});
  EXPECT_TRUE(ErrorOf([&] { Gather(x, 1, Full({2, 2}, 0, DType::kFloat32)); }).first == StatusCode::kDType);
  EXPECT_TRUE(ErrorOf([&] { Gather(x, 1, Ints({0, 1}, {2})); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { Gather(x, 1, Ints({0, 0, 0, 0, 0}, {5, 1})); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { Gather(x, 2, idx); }).first == StatusCode::kArgument);
  const auto high = ErrorOf([&] { Gather(x, 1, Ints({0, 1, 2, 9}, {2, 2})); });
  EXPECT_TRUE(high.first == StatusCode::kArgument && Mentions(high.second, "index 9 at position [1, 1]") &&
              Mentions(high.second, "size 4"));
  const auto negative = ErrorOf([&] { Gather(x, 0, Ints({0, -1, -2, 1}, {2, 2})); });  // torch rejects negatives
  EXPECT_TRUE(negative.first == StatusCode::kArgument && Mentions(negative.second, "index -1 at position [0, 1]"));

  EXPECT_TRUE(ErrorOf([&] { ScatterAdd({3, 4}, 1, idx, Full({2, 2}, 1, DType::kInt32)); }).first == StatusCode::kDType);
  EXPECT_TRUE(ErrorOf([&] { ScatterAdd({3, 4}, 1, Full({2, 2}, 0, DType::kFloat32), x); }).first == StatusCode::kDType);
  EXPECT_TRUE(ErrorOf([&] { ScatterAdd({3, 4}, 1, idx, RandomTensor({2}, 1)); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { ScatterAdd({3, 4}, 1, idx, RandomTensor({2, 1}, 1)); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { ScatterAdd({1, 4}, 1, idx, x); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { ScatterAdd({3, -1}, 1, idx, x); }).first == StatusCode::kArgument);
  const auto scatter = ErrorOf([&] { ScatterAdd({3, 2}, 1, idx, x); });
  EXPECT_TRUE(scatter.first == StatusCode::kArgument && Mentions(scatter.second, "index 2 at position [1, 0]"));

  EXPECT_TRUE(ErrorOf([&] { IndexSelect(x, 0, Full({2}, 0, DType::kFloat32)); }).first == StatusCode::kDType);
  EXPECT_TRUE(ErrorOf([&] { IndexSelect(x, 0, idx); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { IndexSelect(Full({}, 1, DType::kFloat32), 0, Ints({0, 0}, {2})); }).first == StatusCode::kShape);
  const auto select = ErrorOf([&] { IndexSelect(x, -2, Ints({0, 2, 3, -1}, {4})); });
  EXPECT_TRUE(select.first == StatusCode::kArgument && Mentions(select.second, "index 3 at position [2]") &&
              Mentions(select.second, "size 3"));

  EXPECT_TRUE(ErrorOf([&] { IndexAdd({3, 4}, 0, Ints({0}, {1}), Full({1, 4}, 1, DType::kInt32)); }).first == StatusCode::kDType);
  EXPECT_TRUE(ErrorOf([&] { IndexAdd({3, 4}, 0, idx, x); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { IndexAdd({3, 4}, 0, Ints({0, 1}, {2}), x); }).first == StatusCode::kShape);  // 2 indices, 3 rows
  EXPECT_TRUE(ErrorOf([&] { IndexAdd({3, 5}, 0, Ints({0, 1, 2}, {3}), x); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { IndexAdd({3, 4}, 0, Ints({0, 1, 2}, {3}), RandomTensor({3, 4, 1}, 2)); }).first == StatusCode::kShape);
  const auto add = ErrorOf([&] { IndexAdd({2, 4}, 0, Ints({0, 1, 2}, {3}), x); });
  EXPECT_TRUE(add.first == StatusCode::kArgument && Mentions(add.second, "index 2 at position [2]"));
}

TG_TEST(expand_is_a_stride_zero_view) {
  const Tensor x = Transpose(RandomTensor({1, 3}, 110), 0, 1);  // [3, 1]
  const Tensor e = Expand(x, {2, -1, 4});
  EXPECT_TRUE((e.shape() == Shape{2, 3, 4}));
  EXPECT_TRUE(e.storage() == x.storage());
  EXPECT_TRUE(e.strides()[0] == 0 && e.strides()[2] == 0);
  ForEachIndex(e.shape(), [&](const Index& i) { EXPECT_EQ(At(e, i), At(x, {i[1], 0})); });
  EXPECT_TRUE((Expand(x, {3, 0}).shape() == Shape{3, 0}));
  EXPECT_TRUE((Expand(x, {0, 3, 1}).shape() == Shape{0, 3, 1}));
  EXPECT_TRUE((Expand(Full({}, 2, DType::kInt32), {2, 2}).dtype() == DType::kInt32));
  EXPECT_TRUE(ErrorOf([&] { Expand(x, {-1, 3, 1}); }).first == StatusCode::kArgument);
  EXPECT_TRUE(ErrorOf([&] { Expand(x, {3, -2}); }).first == StatusCode::kArgument);
  const auto mismatch = ErrorOf([&] { Expand(x, {4, 4}); });
  EXPECT_TRUE(mismatch.first == StatusCode::kShape && Mentions(mismatch.second, "[3, 1]") && Mentions(mismatch.second, "[4, 4]"));
  EXPECT_TRUE(ErrorOf([&] { Expand(x, {3}); }).first == StatusCode::kShape);
}

TG_TEST(sum_to_reverses_broadcasting) {
  for (const Tensor& t : Layouts(120)) {  // [4, 5, 6]
    for (const Shape& shape : {Shape{5, 1}, Shape{1, 5, 6}, Shape{}, Shape{4, 1, 1}, Shape{6}}) {
      const Tensor s = SumTo(t, shape);
      EXPECT_TRUE(s.shape() == shape);
      const Tensor b = Expand(s, t.shape());  // each summed group lands on one element
      std::vector<double> expect(static_cast<size_t>(s.numel()), 0.0);
      ForEachIndex(t.shape(), [&](const Index& i) {
        Index j(i.end() - static_cast<std::ptrdiff_t>(shape.size()), i.end());
        for (size_t k = 0; k < j.size(); ++k) j[k] = shape[k] == 1 ? 0 : j[k];
        int64_t flat = 0;
        for (size_t k = 0; k < j.size(); ++k) flat = flat * shape[k] + j[k];
        expect[static_cast<size_t>(flat)] += At(t, i);
      });
      for (size_t k = 0; k < expect.size(); ++k) EXPECT_CLOSE(Contiguous(s).data<float>()[k], expect[k], 1e-5, 1e-5);
      EXPECT_TRUE(b.shape() == t.shape());
    }
  }
  const Tensor x = RandomTensor({1, 3, 1}, 121);
  const Tensor same = SumTo(x, {3, 1});  // only size-1 dimensions dropped: a view
  EXPECT_TRUE(same.storage() == x.storage() && (same.shape() == Shape{3, 1}));
  EXPECT_TRUE(SumTo(x, {1, 3, 1}).storage() == x.storage());
  const Tensor empty = SumTo(Tensor::Empty({0, 3}), {3});
  EXPECT_TRUE(empty.shape() == Shape({3}) && empty.data<float>()[0] == 0.0f);
  EXPECT_TRUE(ErrorOf([&] { SumTo(RandomTensor({2, 3}, 1), {4}); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { SumTo(RandomTensor({2, 3}, 1), {2, 2, 3}); }).first == StatusCode::kShape);
  EXPECT_TRUE(ErrorOf([&] { SumTo(Full({2}, 1, DType::kInt32), {1}); }).first == StatusCode::kDType);
}

TG_TEST_MAIN()
