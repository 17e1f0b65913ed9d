#include "ops/shape.h"

#include <algorithm>
#include <sstream>

#include "runtime/status.h"

namespace tg {

std::string ShapeToString(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

int64_t CheckedNumel(const Shape& shape, const char* what) {
  if (shape.size() > static_cast<size_t>(kMaxDims)) {
    Fail(StatusCode::kArgument, what, " must have at most ", kMaxDims, " dimensions, got ", shape.size());
  }
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) Fail(StatusCode::kArgument, what, " must have non-negative dimensions, got ", ShapeToString(shape));
    if (d > kMaxNumel || (d != 0 && n > kMaxNumel / d)) {
      Fail(StatusCode::kArgument, what, " ", ShapeToString(shape), " has more than 2^48 elements");
    }
    n *= d;
  }
  return n;
}

Shape ContiguousStrides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

Shape BroadcastShapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      Fail(StatusCode::kShape, op, ": shapes ", ShapeToString(a), " and ", ShapeToString(b),
           " cannot be broadcast together: dimension ", i, " is ", da, " vs ", db,
           " (each pair of trailing dimensions must be equal or 1)");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int NormalizeDim(int64_t dim, int ndim, const char* what) {
  const int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi) {
    Fail(StatusCode::kArgument, what, " must be in [", lo, ", ", hi, "] for a tensor with ", ndim,
         " dimension(s), got ", dim);
  }
  return static_cast<int>(dim < 0 ? dim + std::max(ndim, 1) : dim);
}

}  // namespace tg
