#include <algorithm>

#include "ops/ops.h"
#include "runtime/status.h"

namespace tg {
namespace {

Shape InferShape(const Tensor& t, const Shape& requested, const char* op) {
  Shape shape = requested, known_dims;
  int infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) Fail(StatusCode::kArgument, op, ": shape may contain at most one -1, got ", ShapeToString(requested));
      infer = static_cast<int>(i);
    } else {
      known_dims.push_back(shape[i]);
    }
  }
  const int64_t known = CheckedNumel(known_dims);  // rejects other negative entries
  auto mismatch = [&] {
    Fail(StatusCode::kShape, op, ": shape ", ShapeToString(requested), " is invalid for a tensor of ", t.numel(),
         " elements (shape ", ShapeToString(t.shape()), ")");
  };
  if (infer >= 0) {
    if (known == 0 || t.numel() % known != 0) mismatch();
    shape[infer] = t.numel() / known;
  }
  if (CheckedNumel(shape) != t.numel()) mismatch();
  return shape;
}

// Strides that let `shape` view t's memory, or false when no view exists. PyTorch's rule:
// each run of t's dimensions that is contiguous within itself may be split or merged freely.
bool ViewStrides(const Tensor& t, const Shape& shape, Shape* strides) {
  if (t.numel() == 0 || t.ndim() == 0) {
    *strides = ContiguousStrides(shape);
    return true;
  }
  strides->assign(shape.size(), 0);
  int view_d = static_cast<int>(shape.size()) - 1;
  int64_t chunk_base_stride = t.strides().back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int d = t.ndim() - 1; d >= 0; --d) {
    tensor_numel *= t.shape()[d];
    if (d == 0 || (t.shape()[d - 1] != 1 && t.strides()[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        (*strides)[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = t.strides()[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace

Tensor Reshape(const Tensor& t, const Shape& requested) {
  const Shape shape = InferShape(t, requested, "reshape");
  Shape strides;
  if (ViewStrides(t, shape, &strides)) return Tensor(t.storage(), shape, strides, t.offset(), t.dtype());
  const Tensor copy = Clone(t);
  return Tensor(copy.storage(), shape, ContiguousStrides(shape), 0, t.dtype());
}

Tensor View(const Tensor& t, const Shape& requested) {
  const Shape shape = InferShape(t, requested, "view");
  Shape strides;
  if (!ViewStrides(t, shape, &strides)) {
    Fail(StatusCode::kShape, "view: shape ", ShapeToString(shape), " is not possible for a tensor of shape ",
         ShapeToString(t.shape()), " with strides ", ShapeToString(t.strides()),
         ": its memory is not laid out compatibly; use reshape(), which copies when needed");
  }
  return Tensor(t.storage(), shape, strides, t.offset(), t.dtype());
}

Tensor Transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
  const int d0 = NormalizeDim(dim0, t.ndim(), "dim0"), d1 = NormalizeDim(dim1, t.ndim(), "dim1");
  if (t.ndim() == 0) return t;
  Shape shape = t.shape(), strides = t.strides();
  std::swap(shape[d0], shape[d1]);
  std::swap(strides[d0], strides[d1]);
  return Tensor(t.storage(), shape, strides, t.offset(), t.dtype());
}

Tensor Permute(const Tensor& t, const Shape& dims) {
  if (static_cast<int>(dims.size()) != t.ndim()) {
    Fail(StatusCode::kArgument, "permute expects dims to list all ", t.ndim(), " dimensions, got ", dims.size());
  }
  std::vector<bool> seen(dims.size(), false);
  Shape shape(dims.size()), strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    const int d = NormalizeDim(dims[i], t.ndim(), "dims entry");
    if (seen[d]) Fail(StatusCode::kArgument, "permute expects each dimension once, got dimension ", d, " twice");
    seen[d] = true;
    shape[i] = t.shape()[d];
    strides[i] = t.strides()[d];
  }
  return Tensor(t.storage(), shape, strides, t.offset(), t.dtype());
}

Tensor Slice(const Tensor& t, int64_t start, int64_t end, int64_t step) {
  if (t.ndim() == 0) Fail(StatusCode::kShape, "cannot slice a 0-dimensional tensor");
  if (step < 1) Fail(StatusCode::kArgument, "slice step must be >= 1, got ", step);
  const int64_t n = t.shape()[0];
  auto clampIndex = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  const int64_t b = clampIndex(start), e = std::max(b, clampIndex(end));
  Shape shape = t.shape(), strides = t.strides();
  shape[0] = (e - b + step - 1) / step;
  strides[0] *= step;
  return Tensor(t.storage(), shape, strides, t.offset() + b * t.strides()[0], t.dtype());
}

Tensor Select(const Tensor& t, int64_t index) {
  if (t.ndim() == 0) Fail(StatusCode::kShape, "cannot index a 0-dimensional tensor");
  const int64_t n = t.shape()[0];
  if (index < -n || index >= n) {
    Fail(StatusCode::kArgument, "index must be in [", -n, ", ", n - 1, "] for dimension 0 of size ", n, ", got ", index);
  }
  const int64_t i = index < 0 ? index + n : index;
  Shape shape(t.shape().begin() + 1, t.shape().end()), strides(t.strides().begin() + 1, t.strides().end());
  return Tensor(t.storage(), shape, strides, t.offset() + i * t.strides()[0], t.dtype());
}

}  // namespace tg
