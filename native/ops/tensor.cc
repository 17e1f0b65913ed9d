#include "ops/tensor.h"

#include "runtime/status.h"

namespace tg {

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype)
    : storage_(std::move(storage)),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset),
      numel_(CheckedNumel(shape_)),
      dtype_(dtype) {}

Tensor Tensor::Empty(const Shape& shape, DType dtype) {
  const int64_t n = CheckedNumel(shape);
  auto storage = Storage::Allocate(static_cast<size_t>(n) * ElementSize(dtype), /*queued_writes_only=*/true);
  return Tensor(std::move(storage), shape, ContiguousStrides(shape), 0, dtype);
}

Tensor Tensor::EmptyForHostWrite(const Shape& shape, DType dtype) {
  const int64_t n = CheckedNumel(shape);
  auto storage = Storage::Allocate(static_cast<size_t>(n) * ElementSize(dtype), /*queued_writes_only=*/false);
  return Tensor(std::move(storage), shape, ContiguousStrides(shape), 0, dtype);
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int i = ndim() - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

void RequireFloat(const Tensor& t, const char* op, const char* arg) {
  if (t.dtype() != DType::kFloat32) {
    Fail(StatusCode::kDType, op, " expects ", arg, " of dtype float32, got ", DTypeName(t.dtype()),
         " (convert with .float())");
  }
}

}  // namespace tg
