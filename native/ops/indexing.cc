// Index lookups and their gradients. All four walk one "walk shape" with three operands:
//   P   a plain operand (the output of a lookup, the source of a scatter),
//   I   the int32 index,
//   V   the operand addressed by index values: its stride along `dim` is set to 0 and the
//       value times value_stride is added instead.
// A lookup is P = V[v], a scatter is V[v] += P. IndexSelect and IndexAdd use a 1-D index,
// seen through strides that are 0 everywhere but along dim.
//
// Scatters are deterministic without atomics: two positions of the walk that differ outside
// dim always write different output elements, so tasks split those positions and each task
// runs dim in order. Every output element then sums its contributions in index order, for
// any thread count and either loop order.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "ops/launch.h"
#include "ops/ops.h"
#include "ops/strided_loop.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kGrain = 1 << 15;  // element moves per task: memory-bound work, as elementwise.cc
constexpr int64_t kMinSpan = 16;     // scatter tasks own at least this many positions (a cache line of floats)
constexpr int64_t kMemcpyRow = 16;   // shorter rows are copied by a loop: a memcpy call costs more

struct Walk {
  Shape shape;
  int dim = 0;
  std::array<Shape, 3> strides;  // P, I, V; V's entry at dim is 0
  int64_t value_stride = 0;      // V's real stride along dim
};

// A 0-d tensor as the 1-D tensor of one element, so every walk has a dim to index.
Tensor AtLeast1d(const Tensor& t) { return t.ndim() > 0 ? t : Tensor(t.storage(), {1}, {1}, t.offset(), t.dtype()); }

void RequireIndex(const Tensor& index, const char* op) {
  if (index.dtype() != DType::kInt32) {
    Fail(StatusCode::kDType, op, " expects index of dtype int32, got ", DTypeName(index.dtype()), " (convert with .int())");
  }
}

// Strides that walk a contiguous 1-D index along dim of a walk of ndim dimensions.
Shape IndexAlong(int ndim, int dim) {
  Shape strides(static_cast<size_t>(ndim), 0);
  strides[dim] = 1;
  return strides;
}

Walk MakeWalk(const Shape& shape, int dim, const Shape& p, const Shape& i, const Shape& v) {
  Walk w{shape, dim, {p, i, v}, v[dim]};
  w.strides[2][dim] = 0;
  return w;
}

// P = V[I]: every position is independent, so the whole walk splits across threads.
template <typename T>
void LookupWalk(const Walk& w, T* p, const int32_t* ix, const T* v) {
  const auto layout = Coalesce<3>(w.shape, {&w.strides[0], &w.strides[1], &w.strides[2]});
  ForEachSpan(layout, kGrain, [&](const std::array<int64_t, 3>& off, int64_t len, const std::array<int64_t, 3>& st) {
    T* o = p + off[0];
    const int32_t* i = ix + off[1];
    const T* x = v + off[2];
    for (int64_t k = 0; k < len; ++k) o[k * st[0]] = x[k * st[2] + static_cast<int64_t>(i[k * st[1]]) * w.value_stride];
  });
}

// V[I] += P, splitting only the positions outside dim across threads (see the top).
void ScatterAddWalk(const Walk& w, const float* p, const int32_t* ix, float* v) {
  const int d = w.dim;
  Shape rest;
  std::array<Shape, 3> rest_strides;
  for (int k = 0; k < static_cast<int>(w.shape.size()); ++k) {
    if (k == d) continue;
    rest.push_back(w.shape[k]);
    for (size_t op = 0; op < 3; ++op) rest_strides[op].push_back(w.strides[op][k]);
  }
  const auto layout = Coalesce<3>(rest, {&rest_strides[0], &rest_strides[1], &rest_strides[2]});
  const int64_t n = w.shape[d], p_d = w.strides[0][d], i_d = w.strides[1][d];
  const int64_t grain = std::max(kMinSpan, kGrain / std::max<int64_t>(n, 1));
  ForEachSpan(layout, grain, [&](const std::array<int64_t, 3>& off, int64_t len, const std::array<int64_t, 3>& st) {
    auto add = [&](int64_t k, int64_t j) {
      v[off[2] + k * st[2] + static_cast<int64_t>(ix[off[1] + k * st[1] + j * i_d]) * w.value_stride] +=
          p[off[0] + k * st[0] + j * p_d];
    };
    // Either order adds each element's terms in increasing j; pick the one that reads P
    // along its smaller stride (j outer for the rows of an embedding gradient, j inner for
    // a scatter along the last dimension).
    if (p_d < st[0]) {
      for (int64_t k = 0; k < len; ++k)
        for (int64_t j = 0; j < n; ++j) add(k, j);
    } else {
      for (int64_t j = 0; j < n; ++j)
        for (int64_t k = 0; k < len; ++k) add(k, j);
    }
  });
}

// IndexSelect when input's dimensions after dim form contiguous rows and those before it
// merge into one stride (an embedding table, any contiguous tensor): one row copy per
// (outer, index) pair. PlanSelectRows (planning) says whether the layout allows it and fills
// in the row geometry that SelectRows (the kernel) copies by.
struct RowSelect {
  int64_t outer = 0, outer_stride = 0, row_stride = 0, inner = 1;
};

bool PlanSelectRows(const Tensor& in, int d, RowSelect* r) {
  int64_t inner = 1;
  for (int k = in.ndim() - 1; k > d; --k) {
    if (in.shape()[k] != 1 && in.strides()[k] != inner) return false;
    inner *= in.shape()[k];
  }
  const Shape pre(in.shape().begin(), in.shape().begin() + d), pre_strides(in.strides().begin(), in.strides().begin() + d);
  const auto outer = Coalesce<1>(pre, {&pre_strides});
  if (outer.shape.size() != 1) return false;
  *r = RowSelect{outer.shape[0], outer.strides[0][0], in.strides()[d], inner};
  return true;
}

template <typename T>
void SelectRows(const RowSelect& r, const T* x, const int32_t* ix, int64_t n, T* out) {
  const int64_t inner = r.inner;
  ParallelFor(0, r.outer * n, std::max<int64_t>(1, kGrain / inner), [&](int64_t b, int64_t e) {
    int64_t o = b / n, j = b % n;
    for (int64_t t = b; t < e; ++t) {
      const T* src = x + o * r.outer_stride + static_cast<int64_t>(ix[j]) * r.row_stride;
      if (inner >= kMemcpyRow) std::memcpy(out + t * inner, src, static_cast<size_t>(inner) * sizeof(T));
      else std::copy(src, src + inner, out + t * inner);
      if (++j == n) j = 0, ++o;
    }
  });
}

}  // namespace

Tensor CheckedIndex(const Tensor& index, int64_t size, int dim, const char* op) {
  const Tensor idx = Contiguous(index);
  const int32_t* p = idx.data<int32_t>();
  const int64_t n = idx.numel();
  if (n == 0) return idx;
  const Shape shape = idx.shape();
  Launch([=] {
    std::atomic<int64_t> first{n};
    ParallelFor(0, n, kGrain * 2, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (p[i] < 0 || p[i] >= size) {
          int64_t seen = first.load();
          while (i < seen && !first.compare_exchange_weak(seen, i)) {
          }
          return;
        }
      }
    });
    const int64_t bad = first.load();
    if (bad < n) {
      Shape pos(shape.size());
      for (int64_t d = static_cast<int64_t>(shape.size()) - 1, rest = bad; d >= 0; --d) {
        pos[d] = rest % shape[d];
        rest /= shape[d];
      }
      Fail(StatusCode::kArgument, op, ": index ", p[bad], " at position ", ShapeToString(pos), " of index is out of range",
           " for dimension ", dim, " of size ", size, " (expected 0 <= index < ", size, ")");
    }
  }, idx);
  return idx;
}

Tensor Gather(const Tensor& input, int64_t dim, const Tensor& index) {
  RequireIndex(index, "gather");
  if (index.ndim() != input.ndim()) {
    Fail(StatusCode::kShape, "gather expects index with as many dimensions as input: input has shape ",
         ShapeToString(input.shape()), ", index has shape ", ShapeToString(index.shape()));
  }
  const int d = NormalizeDim(dim, input.ndim(), "dim");
  const Tensor in = AtLeast1d(input);
  const Shape ishape = AtLeast1d(index).shape();
  for (int k = 0; k < in.ndim(); ++k) {
    if (k != d && ishape[k] > in.shape()[k]) {
      Fail(StatusCode::kShape, "gather expects index.size(", k, ") <= input.size(", k, ") in every dimension but dim ",
           d, ": input has shape ", ShapeToString(input.shape()), ", index has shape ", ShapeToString(index.shape()));
    }
  }
  const Tensor idx = AtLeast1d(CheckedIndex(index, in.shape()[d], d, "gather"));
  Tensor out = Tensor::Empty(index.shape(), in.dtype());
  if (out.numel() == 0) return out;
  const Walk w = MakeWalk(ishape, d, ContiguousStrides(ishape), idx.strides(), in.strides());
  const int32_t* ix = idx.data<int32_t>();
  ByDType(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* x = in.data<T>();
    Launch([=] { LookupWalk<T>(w, o, ix, x); }, in, idx, out);
  });
  return out;
}

Tensor ScatterAdd(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  RequireIndex(index, "scatter_add");
  RequireFloat(src, "scatter_add", "src");
  CheckedNumel(shape, "shape");
  const int nd = static_cast<int>(shape.size());
  if (index.ndim() != nd || src.ndim() != nd) {
    Fail(StatusCode::kShape, "scatter_add expects index and src with as many dimensions as shape ", ShapeToString(shape),
         ", got index of shape ", ShapeToString(index.shape()), " and src of shape ", ShapeToString(src.shape()));
  }
  const int d = NormalizeDim(dim, nd, "dim");
  const Shape oshape = nd == 0 ? Shape{1} : shape;
  const Tensor s = AtLeast1d(src);
  const Shape ishape = AtLeast1d(index).shape();
  for (int k = 0; k < static_cast<int>(oshape.size()); ++k) {
    const bool fits_src = ishape[k] <= s.shape()[k], fits_out = k == d || ishape[k] <= oshape[k];
    if (!fits_src || !fits_out) {
      Fail(StatusCode::kShape, "scatter_add expects index.size(", k, ") <= ", fits_src ? "shape[" : "src.size(", k,
           fits_src ? "]" : ")", ": shape is ", ShapeToString(shape), ", index has shape ", ShapeToString(index.shape()),
           ", src has shape ", ShapeToString(src.shape()));
    }
  }
  const Tensor idx = AtLeast1d(CheckedIndex(index, oshape[d], d, "scatter_add"));
  Tensor out = Full(shape, 0.0, DType::kFloat32);
  if (idx.numel() == 0) return out;
  const Walk w = MakeWalk(ishape, d, s.strides(), idx.strides(), ContiguousStrides(oshape));
  const float* ps = s.data<float>();
  const int32_t* ix = idx.data<int32_t>();
  float* po = out.data<float>();
  Launch([=] { ScatterAddWalk(w, ps, ix, po); }, s, idx, out);
  return out;
}

Tensor IndexSelect(const Tensor& input, int64_t dim, const Tensor& index, const char* op) {
  RequireIndex(index, op);
  if (index.ndim() > 1) {
    Fail(StatusCode::kShape, "index_select expects a 1-D (or 0-D) index, got shape ", ShapeToString(index.shape()));
  }
  const int d = NormalizeDim(dim, input.ndim(), "dim");
  if (input.ndim() == 0 && index.numel() != 1) {
    Fail(StatusCode::kShape, "index_select of a 0-dimensional input expects exactly one index, got ", index.numel());
  }
  const Tensor in = AtLeast1d(input);
  const Tensor idx = CheckedIndex(index, in.shape()[d], d, op);
  Shape shape = in.shape();
  shape[d] = idx.numel();
  Tensor out = Tensor::Empty(shape, in.dtype());
  if (out.numel() > 0) {
    const int32_t* ix = idx.data<int32_t>();
    const int64_t n = idx.numel();
    RowSelect rows;
    const bool by_rows = PlanSelectRows(in, d, &rows);
    ByDType(in.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* o = out.data<T>();
      const T* x = in.data<T>();
      if (by_rows) {
        Launch([=] { SelectRows<T>(rows, x, ix, n, o); }, in, idx, out);
      } else {
        const Walk w = MakeWalk(shape, d, out.strides(), IndexAlong(in.ndim(), d), in.strides());
        Launch([=] { LookupWalk<T>(w, o, ix, x); }, in, idx, out);
      }
    });
  }
  return input.ndim() == 0 ? Reshape(out, {}) : out;
}

Tensor IndexAdd(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src, const char* op) {
  RequireIndex(index, op);
  RequireFloat(src, "index_add", "src");
  CheckedNumel(shape, "shape");
  if (index.ndim() > 1) {
    Fail(StatusCode::kShape, "index_add expects a 1-D (or 0-D) index, got shape ", ShapeToString(index.shape()));
  }
  const int nd = static_cast<int>(shape.size());
  const int d = NormalizeDim(dim, nd, "dim");
  const Shape oshape = nd == 0 ? Shape{1} : shape;
  const Tensor s = AtLeast1d(src);
  bool ok = src.ndim() == nd && s.shape()[d] == index.numel();
  for (int k = 0; ok && k < static_cast<int>(oshape.size()); ++k) ok = k == d || s.shape()[k] == oshape[k];
  if (!ok) {
    Fail(StatusCode::kShape, "index_add expects src of shape ", ShapeToString(shape), " with dimension ", d,
         " replaced by the number of indices (", index.numel(), "), got src of shape ", ShapeToString(src.shape()));
  }
  const Tensor idx = CheckedIndex(index, oshape[d], d, op);
  Tensor out = Full(shape, 0.0, DType::kFloat32);
  if (s.numel() == 0) return out;
  const Walk w = MakeWalk(s.shape(), d, s.strides(), IndexAlong(s.ndim(), d), ContiguousStrides(oshape));
  const float* ps = s.data<float>();
  const int32_t* ix = idx.data<int32_t>();
  float* po = out.data<float>();
  Launch([=] { ScatterAddWalk(w, ps, ix, po); }, s, idx, out);
  return out;
}

}  // namespace tg
