// Views, copies, joins and lookups, and their gradients: each routes the output gradient
// back to where the input's elements went (a view of it, or a zero tensor written through
// the same view, or a scatter-add for lookups).
#include <numeric>

#include "autograd/functions.h"
#include "autograd/record.h"
#include "ops/inplace.h"
#include "runtime/status.h"

namespace tg::autograd {
namespace {

// A zero tensor of `shape` with `g` written into the part `view_of` selects from it.
template <class ViewFn>
Tensor ZerosWith(const Shape& shape, const Tensor& g, ViewFn view_of) {
  Tensor z = Full(shape, 0.0, DType::kFloat32);
  CopyInto(g, view_of(z));
  return z;
}

// Records a one-input op whose gradient is a function of g alone.
template <class GradFn>
Tensor RecordUnary(Tensor y, const char* name, const Tensor& x, GradFn grad_fn) {
  if (!AnyRequiresGrad({&x})) return Plain(std::move(y));
  return Record(std::move(y), name, {&x}, [grad_fn](const Tensor& g, const Node&) { return GradList{grad_fn(g)}; });
}

}  // namespace

Tensor Reshape(const Tensor& t, const Shape& shape) {
  return RecordUnary(tg::Reshape(t, shape), "ViewBackward0", t, [s = t.shape()](const Tensor& g) { return tg::Reshape(g, s); });
}

Tensor View(const Tensor& t, const Shape& shape) {
  return RecordUnary(tg::View(t, shape), "ViewBackward0", t, [s = t.shape()](const Tensor& g) { return tg::Reshape(g, s); });
}

Tensor Transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
  return RecordUnary(tg::Transpose(t, dim0, dim1), "TransposeBackward0", t,
                     [dim0, dim1](const Tensor& g) { return tg::Transpose(g, dim0, dim1); });
}

Tensor Permute(const Tensor& t, const Shape& dims) {
  Tensor y = tg::Permute(t, dims);
  Shape inverse(dims.size(), 0);
  for (size_t i = 0; i < dims.size(); ++i) inverse[NormalizeDim(dims[i], t.ndim(), "dims")] = static_cast<int64_t>(i);
  return RecordUnary(std::move(y), "PermuteBackward0", t, [inverse](const Tensor& g) { return tg::Permute(g, inverse); });
}

Tensor Slice(const Tensor& t, int64_t start, int64_t end, int64_t step) {
  return RecordUnary(tg::Slice(t, start, end, step), "SliceBackward0", t, [s = t.shape(), start, end, step](const Tensor& g) {
    return ZerosWith(s, g, [&](const Tensor& z) { return tg::Slice(z, start, end, step); });
  });
}

Tensor Select(const Tensor& t, int64_t index) {
  return RecordUnary(tg::Select(t, index), "SelectBackward0", t, [s = t.shape(), index](const Tensor& g) {
    return ZerosWith(s, g, [&](const Tensor& z) { return tg::Select(z, index); });
  });
}

Tensor Narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  return RecordUnary(tg::Narrow(t, dim, start, length), "SliceBackward0", t, [s = t.shape(), dim, start, length](const Tensor& g) {
    return ZerosWith(s, g, [&](const Tensor& z) { return tg::Narrow(z, dim, start, length); });
  });
}

Tensor Expand(const Tensor& t, const Shape& shape) {
  return RecordUnary(tg::Expand(t, shape), "ExpandBackward0", t, [s = t.shape()](const Tensor& g) { return SumTo(g, s); });
}

Tensor Contiguous(const Tensor& t) {
  // A contiguous tensor comes back as itself: no node, the same autograd identity (as torch).
  if (t.is_contiguous()) return t;
  return RecordUnary(tg::Contiguous(t), "CloneBackward0", t, [](const Tensor& g) { return g; });
}

Tensor Clone(const Tensor& t) {
  return RecordUnary(tg::Clone(t), "CloneBackward0", t, [](const Tensor& g) { return g; });
}

Tensor ToDType(const Tensor& t, DType dtype) {
  if (dtype == t.dtype()) return t;
  return Plain(tg::ToDType(t, dtype));  // int32 results never require grad
}

Tensor Cat(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor y = tg::Cat(tensors, dim);
  bool any = false;
  for (const Tensor& t : tensors) any = any || AnyRequiresGrad({&t});
  if (!any) return Plain(y);
  const int d = NormalizeDim(dim, y.ndim(), "dim");
  std::vector<int64_t> sizes;
  for (const Tensor& t : tensors) sizes.push_back(t.ndim() == 0 ? 0 : t.shape()[d]);
  return Record(y, "CatBackward0", tensors, [d, sizes](const Tensor& g, const Node& self) {
    GradList grads(sizes.size());
    int64_t offset = 0;
    for (size_t i = 0; i < sizes.size(); offset += sizes[i], ++i) {
      if (self.NeedsGrad(i)) grads[i] = tg::Narrow(g, d, offset, sizes[i]);
    }
    return grads;
  });
}

Tensor Stack(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor y = tg::Stack(tensors, dim);
  bool any = false;
  for (const Tensor& t : tensors) any = any || AnyRequiresGrad({&t});
  if (!any) return Plain(y);
  const int d = NormalizeDim(dim, y.ndim(), "dim");
  return Record(y, "StackBackward0", tensors, [d, n = tensors.size(), s = tensors[0].shape()](const Tensor& g, const Node& self) {
    GradList grads(n);
    for (size_t i = 0; i < n; ++i) {
      if (self.NeedsGrad(i)) grads[i] = tg::Reshape(tg::Narrow(g, d, static_cast<int64_t>(i), 1), s);
    }
    return grads;
  });
}

Tensor Gather(const Tensor& input, int64_t dim, const Tensor& index) {
  Tensor y = tg::Gather(input, dim, index);
  if (!AnyRequiresGrad({&input})) return Plain(y);
  return Record(y, "GatherBackward0", {&input, nullptr}, [s = input.shape(), dim, index = Saved(index)](const Tensor& g, const Node&) {
    return GradList{ScatterAdd(s, dim, index, g), Tensor()};
  });
}

Tensor IndexSelect(const Tensor& input, int64_t dim, const Tensor& index) {
  Tensor y = tg::IndexSelect(input, dim, index);
  if (!AnyRequiresGrad({&input})) return Plain(y);
  return Record(y, "IndexSelectBackward0", {&input, nullptr}, [s = input.shape(), dim, index = Saved(index)](const Tensor& g, const Node&) {
    return GradList{IndexAdd(s, dim, index, g), Tensor()};
  });
}

Tensor Repeat(const Tensor& t, const Shape& repeats) {
  Tensor y = tg::Repeat(t, repeats);
  if (!AnyRequiresGrad({&t})) return Plain(y);
  return Record(y, "RepeatBackward0", {&t}, [s = t.shape(), repeats](const Tensor& g, const Node&) {
    // g seen as (r0, s0, r1, s1, ...), summed over the repeats r_i.
    const int lead = static_cast<int>(repeats.size()) - static_cast<int>(s.size());
    Shape pairs, dims;
    for (int i = 0; i < static_cast<int>(repeats.size()); ++i) {
      pairs.push_back(repeats[i]);
      pairs.push_back(i < lead ? 1 : s[i - lead]);
      dims.push_back(2 * i);
    }
    return GradList{tg::Reshape(tg::Reduce(ReduceOp::kSum, tg::Reshape(g, pairs), dims, false), s)};
  });
}

Tensor Embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx, bool scale_grad_by_freq) {
  RequireFloat(weight, "embedding", "weight");
  if (weight.ndim() != 2) {
    Fail(StatusCode::kShape, "embedding: weight must be 2-D (numEmbeddings, embeddingDim), got shape ", ShapeToString(weight.shape()));
  }
  if (indices.dtype() != DType::kInt32) {
    Fail(StatusCode::kDType, "embedding: input must hold int32 indices, got ", DTypeName(indices.dtype()), " (convert with .int())");
  }
  const Tensor flat = tg::Reshape(indices, {-1});
  Shape shape = indices.shape();
  shape.push_back(weight.shape()[1]);
  Tensor y = tg::Reshape(tg::IndexSelect(weight, 0, flat, "embedding"), shape);
  if (!AnyRequiresGrad({&weight})) return Plain(y);
  return Record(y, "EmbeddingBackward0", {&weight, nullptr},
                [ws = weight.shape(), flat = Saved(flat), padding_idx, scale_grad_by_freq](const Tensor& g, const Node&) {
                  const int64_t n = flat.numel();
                  Tensor rows = tg::Reshape(g, {n, ws[1]});
                  if (scale_grad_by_freq) {  // each lookup's gradient divided by how often its index occurs
                    const Tensor counts = IndexAdd({ws[0]}, 0, flat, Full({n}, 1.0, DType::kFloat32), "embedding_backward");
                    rows = tg::Binary(BinaryOp::kDiv, rows, tg::Reshape(tg::IndexSelect(counts, 0, flat, "embedding_backward"), {n, 1}));
                  }
                  Tensor dw = IndexAdd(ws, 0, flat, rows, "embedding_backward");
                  if (padding_idx >= 0) FillInPlace(tg::Narrow(dw, 0, padding_idx, 1), 0.0);  // the padding row learns nothing
                  return GradList{dw, Tensor()};
                });
}

}  // namespace tg::autograd
