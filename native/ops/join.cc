// Narrow (a view), and Cat / Stack, which copy each input into its slot of a fresh
// contiguous output through CopyInto: that already walks any strides, merges contiguous
// runs into memcpy spans and splits big copies across threads.
#include <vector>

#include "ops/ops.h"
#include "runtime/status.h"

namespace tg {
namespace {

// The checks Cat and Stack share: a non-empty list of one dtype (no promotion, unlike torch).
void CheckList(const std::vector<Tensor>& tensors, const char* op) {
  if (tensors.empty()) Fail(StatusCode::kArgument, op, " expects a non-empty list of tensors, got an empty list");
  for (size_t i = 1; i < tensors.size(); ++i) {
    if (tensors[i].dtype() != tensors[0].dtype()) {
      Fail(StatusCode::kDType, op, " expects tensors of one dtype: tensor 0 is ", DTypeName(tensors[0].dtype()),
           " but tensor ", i, " is ", DTypeName(tensors[i].dtype()));
    }
  }
}

// t with a dimension of size 1 inserted at d (0 <= d <= ndim); a view.
Tensor Unsqueeze(const Tensor& t, int d) {
  Shape shape = t.shape(), strides = t.strides();
  // Any stride is valid for a size-1 dimension; this one keeps a contiguous t contiguous.
  const int64_t stride = d < t.ndim() ? t.strides()[d] * t.shape()[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return Tensor(t.storage(), shape, strides, t.offset(), t.dtype());
}

}  // namespace

Tensor Narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  if (t.ndim() == 0) Fail(StatusCode::kShape, "narrow cannot be applied to a 0-dimensional tensor");
  const int d = NormalizeDim(dim, t.ndim(), "dim");
  const int64_t n = t.shape()[d];
  if (start < -n || start > n) {
    Fail(StatusCode::kArgument, "narrow: start must be in [", -n, ", ", n, "] for dimension ", d, " of size ", n,
         ", got ", start);
  }
  const int64_t begin = start < 0 ? start + n : start;
  if (length < 0 || length > n - begin) {
    Fail(StatusCode::kArgument, "narrow: length must be in [0, ", n - begin, "] for start ", start, " in dimension ", d,
         " of size ", n, ", got ", length);
  }
  Shape shape = t.shape();
  shape[d] = length;
  return Tensor(t.storage(), shape, t.strides(), t.offset() + begin * t.strides()[d], t.dtype());
}

// torch.cat, except that torch's legacy exception for 1-D empty tensors (a [0] tensor may
// join tensors of any shape) is not kept: every tensor must have the first one's ndim.
Tensor Cat(const std::vector<Tensor>& tensors, int64_t dim) {
  CheckList(tensors, "cat");
  const Tensor& first = tensors[0];
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].ndim() == 0) {
      Fail(StatusCode::kShape, "cat cannot join 0-dimensional tensors: tensor ", i, " has shape [] (use stack)");
    }
  }
  const int d = NormalizeDim(dim, first.ndim(), "dim");
  Shape shape = first.shape();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    bool same = t.ndim() == first.ndim();
    for (int k = 0; same && k < t.ndim(); ++k) same = k == d || t.shape()[k] == first.shape()[k];
    if (!same) {
      Fail(StatusCode::kShape, "cat expects tensors of equal shape except in dimension ", d, ": tensor 0 has shape ",
           ShapeToString(first.shape()), " but tensor ", i, " has shape ", ShapeToString(t.shape()));
    }
    shape[d] += t.shape()[d];
  }
  Tensor out = Tensor::Empty(shape, first.dtype());
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    CopyInto(t, Narrow(out, d, offset, t.shape()[d]));
    offset += t.shape()[d];
  }
  return out;
}

Tensor Stack(const std::vector<Tensor>& tensors, int64_t dim) {
  CheckList(tensors, "stack");
  const Tensor& first = tensors[0];
  for (size_t i = 1; i < tensors.size(); ++i) {
    if (tensors[i].shape() != first.shape()) {
      Fail(StatusCode::kShape, "stack expects tensors of equal shape: tensor 0 has shape ", ShapeToString(first.shape()),
           " but tensor ", i, " has shape ", ShapeToString(tensors[i].shape()));
    }
  }
  // dim may name the new last position, one past the inputs' last dimension.
  const int d = NormalizeDim(dim, first.ndim() + 1, "dim");
  std::vector<Tensor> views;
  views.reserve(tensors.size());
  for (const Tensor& t : tensors) views.push_back(Unsqueeze(t, d));
  return Cat(views, d);
}

}  // namespace tg
