// Broadcasting as ops of their own: Expand makes the stride-0 view that binary ops build
// internally, and SumTo undoes it for gradients (the gradient of a broadcast input is the
// output gradient summed over the positions that shared one element). Repeat is a copy of
// such a view.
#include "ops/ops.h"
#include "runtime/status.h"

namespace tg {

Tensor Expand(const Tensor& t, const Shape& shape) {
  const int nd = static_cast<int>(shape.size());
  if (nd < t.ndim()) {
    Fail(StatusCode::kShape, "expand: shape ", ShapeToString(shape), " has ", nd,
         " dimension(s), fewer than the tensor's shape ", ShapeToString(t.shape()));
  }
  const int lead = nd - t.ndim();
  Shape sizes(shape.size()), strides(shape.size(), 0);
  for (int i = 0; i < nd; ++i) {
    const int64_t want = shape[i];
    if (i < lead) {  // a new leading dimension: every entry reads the same elements
      if (want < 0) {
        Fail(StatusCode::kArgument, "expand: size ", want, " is not allowed in the new leading dimension ", i,
             " of shape ", ShapeToString(shape), " (-1 keeps an existing size only)");
      }
      sizes[i] = want;
      continue;
    }
    const int64_t have = t.shape()[i - lead];
    if (want == -1 || want == have) {
      sizes[i] = have;
      strides[i] = t.strides()[i - lead];
    } else if (want < 0) {
      Fail(StatusCode::kArgument, "expand: sizes must be >= 0 or -1, got ", want, " in shape ", ShapeToString(shape));
    } else if (have == 1) {
      sizes[i] = want;  // stride 0: broadcast
    } else {
      Fail(StatusCode::kShape, "expand: size ", want, " at dimension ", i, " of shape ", ShapeToString(shape),
           " must match the existing size ", have, " of the tensor's shape ", ShapeToString(t.shape()),
           " (only size-1 dimensions can expand)");
    }
  }
  CheckedNumel(sizes, "expanded shape");
  return Tensor(t.storage(), sizes, strides, t.offset(), t.dtype());
}

Tensor SumTo(const Tensor& t, const Shape& shape) {
  RequireFloat(t, "sum_to");
  const int nd = t.ndim(), lead = nd - static_cast<int>(shape.size());
  auto mismatch = [&] {
    Fail(StatusCode::kShape, "sum_to: shape ", ShapeToString(shape), " does not broadcast to the tensor's shape ",
         ShapeToString(t.shape()), " (each of its trailing dimensions must equal the tensor's or be 1)");
  };
  if (lead < 0) mismatch();
  Shape dims;  // summed over, ascending
  for (int d = 0; d < nd; ++d) {
    if (d < lead) {
      if (t.shape()[d] != 1) dims.push_back(d);  // a sum over one entry is that entry
    } else if (shape[d - lead] != t.shape()[d]) {
      if (shape[d - lead] != 1) mismatch();
      dims.push_back(d);
    }
  }
  // Only size-1 dimensions are added or dropped: always a view.
  if (dims.empty()) return Reshape(t, shape);
  // keepdim leaves the element order of `shape`, so the reshape of the contiguous sum is a view.
  return Reshape(Reduce(ReduceOp::kSum, t, dims, true), shape);
}

Tensor Repeat(const Tensor& t, const Shape& repeats) {
  const int nd = static_cast<int>(repeats.size());
  if (nd < t.ndim()) {
    Fail(StatusCode::kArgument, "repeat: sizes must list at least one entry per dimension of the tensor (", t.ndim(),
         "), got ", ShapeToString(repeats));
  }
  // The view (r0, s0, r1, s1, ...) reads element (s0, s1, ...) at every (r0, r1, ...): stride 0
  // along each repeat. Its contiguous copy, merged pairwise, is the result (r0·s0, r1·s1, ...).
  const int lead = nd - t.ndim();
  Shape sizes, strides, shape;
  for (int i = 0; i < nd; ++i) {
    if (repeats[i] < 0) Fail(StatusCode::kArgument, "repeat: sizes must be >= 0, got ", ShapeToString(repeats));
    const int64_t size = i < lead ? 1 : t.shape()[i - lead];
    sizes.push_back(repeats[i]);
    strides.push_back(0);
    sizes.push_back(size);
    strides.push_back(i < lead ? 0 : t.strides()[i - lead]);
    shape.push_back(repeats[i] * size);
  }
  CheckedNumel(shape, "repeated shape");
  Tensor out = Tensor::Empty(sizes, t.dtype());
  if (out.numel() > 0) CopyInto(Tensor(t.storage(), sizes, strides, t.offset(), t.dtype()), out);
  return Reshape(out, shape);
}

}  // namespace tg
