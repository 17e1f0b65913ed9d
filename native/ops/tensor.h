// Tensor: a strided view (shape, strides in elements, offset) onto shared Storage.
// Copying a Tensor copies the view, not the data. Ops in this folder validate their inputs
// and throw tg::Error; they know nothing of JavaScript.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

#include "ops/dtype.h"
#include "ops/shape.h"
#include "ops/storage.h"

namespace tg {

// Autograd state (requires_grad, grad, grad_fn): defined in autograd/graph.h. ops/ only
// carries the pointer; ops never look inside it.
struct AutogradMeta;

class Tensor {
 public:
  Tensor() = default;
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype);

  // A fresh contiguous tensor, uninitialised, for an op's kernel to write (Launch): in deferred
  // mode its memory may still be in use by kernels queued earlier (runtime/stream_memory.h).
  static Tensor Empty(const Shape& shape, DType dtype = DType::kFloat32);
  // The same, for memory the calling thread writes itself right away (FromCopy).
  static Tensor EmptyForHostWrite(const Shape& shape, DType dtype = DType::kFloat32);

  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return numel_; }
  int64_t size(int dim) const { return shape_[dim]; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  // False for a default-constructed Tensor (an absent gradient, an absent bias).
  bool defined() const { return storage_ != nullptr; }

  // Shared by copies of this Tensor value (a JS handle and the graph see the same state);
  // null for tensors that never took part in autograd.
  const std::shared_ptr<AutogradMeta>& autograd() const { return autograd_; }
  void set_autograd(std::shared_ptr<AutogradMeta> meta) { autograd_ = std::move(meta); }

  // The first element, as T: offset() is in elements of T, so T must be the tensor's element
  // type (never char for byte arithmetic).
  template <typename T>
  T* data() const {
    static_assert(!std::is_same_v<std::remove_cv_t<T>, char>, "data<char>() would count the offset in bytes: use bytes()");
    return static_cast<T*>(storage_->data()) + offset_;
  }
  // The first element's address, for byte copies whatever the dtype.
  char* bytes() const { return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(ElementSize(dtype_)); }

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_, strides_;
  int64_t offset_ = 0;
  int64_t numel_ = 0;
  DType dtype_ = DType::kFloat32;
  std::shared_ptr<AutogradMeta> autograd_;
};

// Throws DTypeError naming the op if t is not float32.
void RequireFloat(const Tensor& t, const char* op, const char* arg = "input");

}  // namespace tg
