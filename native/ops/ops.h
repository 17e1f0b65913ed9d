// Every tensor op the binding exposes. Each validates its arguments (throwing tg::Error with
// a message that names the argument) and returns a new Tensor or a view.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/eltwise.h"
#include "kernels/gemm/gemm.h"
#include "kernels/reduce.h"
#include "ops/random.h"
#include "ops/tensor.h"

namespace tg {

// creation.cc
Tensor Full(const Shape& shape, double value, DType dtype);
// Values start, start + step, ... below end (above end when step < 0), as torch.arange.
Tensor Arange(double start, double end, double step, DType dtype);
Tensor Rand(const Shape& shape, Generator& gen);   // uniform [0, 1)
Tensor Randn(const Shape& shape, Generator& gen);  // standard normal
// Copies numel elements of `dtype` from data.
Tensor FromCopy(const void* data, const Shape& shape, DType dtype);

// copy.cc
// dst[...] = src[...] for equal shapes, any strides, converting dtype if they differ.
void CopyInto(const Tensor& src, const Tensor& dst);
Tensor Contiguous(const Tensor& t);  // t itself if already contiguous
Tensor Clone(const Tensor& t);       // always a fresh contiguous copy
Tensor ToDType(const Tensor& t, DType dtype);

// view.cc
// One entry may be -1 (inferred). A view when the strides allow it, else a copy.
Tensor Reshape(const Tensor& t, const Shape& shape);
// Like Reshape but never copies: throws ShapeError when the strides do not allow a view.
Tensor View(const Tensor& t, const Shape& shape);
Tensor Transpose(const Tensor& t, int64_t dim0, int64_t dim1);
Tensor Permute(const Tensor& t, const Shape& dims);
// Rows start, start + step, ... below end along dimension 0. start/end are clamped to
// [0, size(0)] after negative values count from the end, as Python slicing; step >= 1.
Tensor Slice(const Tensor& t, int64_t start, int64_t end, int64_t step);
// Row i of dimension 0 (negative counts from the end), dropping that dimension.
Tensor Select(const Tensor& t, int64_t index);

// elementwise.cc
Tensor Unary(UnaryOp op, const Tensor& x);
Tensor Binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor BinaryScalar(BinaryOp op, const Tensor& a, float b, bool scalar_first);
Tensor Clamp(const Tensor& x, float lo, float hi);

// linalg.cc
// torch.matmul: 1-D operands are a row/column whose dimension is dropped from the result;
// dimensions before the last two are batch dimensions and broadcast.
Tensor Matmul(const Tensor& a, const Tensor& b);
// x (..., in) · weightᵀ (in, out) + bias (out), then the activation, in one GEMM pass.
Tensor Linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Activation act, float negative_slope);

// reduction.cc. dims empty means every dimension.
Tensor Reduce(ReduceOp op, const Tensor& x, const Shape& dims, bool keepdim);
Tensor Mean(const Tensor& x, const Shape& dims, bool keepdim);
// Index (int32) of the first maximum/minimum along dim, or over the flattened tensor when
// dim is absent (has_dim false).
Tensor ArgExtreme(bool is_max, const Tensor& x, bool has_dim, int64_t dim, bool keepdim);

// join.cc
// torch.narrow: a view of `length` entries from `start` along dim; start may be negative
// (counts from the end).
Tensor Narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
// torch.cat / torch.stack: one dtype (float32 or int32, no promotion); a fresh contiguous
// result. Cat does not keep torch's legacy exception for 1-D empty tensors.
Tensor Cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor Stack(const std::vector<Tensor>& tensors, int64_t dim);

// indexing.cc. index is int32; its values must be in [0, size) along dim (negative values
// are rejected, as torch does). Lookups take float32 or int32 input; the adds are float32.
// out[p] = input[p with p[dim] = index[p]]; index has input's ndim and fits inside it
// except along dim; the result has index's shape.
Tensor Gather(const Tensor& input, int64_t dim, const Tensor& index);
// The gradient of Gather: zeros of `shape`, then out[p with p[dim] = index[p]] += src[p]
// for every position p of index (src may be larger than index; the rest is unused).
Tensor ScatterAdd(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);
// Entries index[0], index[1], ... of input along dim; index is 1-D (or 0-D). `op` names the
// caller in errors (embedding looks up through this).
Tensor IndexSelect(const Tensor& input, int64_t dim, const Tensor& index, const char* op = "index_select");
// The gradient of IndexSelect: zeros of `shape`, then out.select(dim, index[i]) +=
// src.select(dim, i) in order of i (repeated indices add up).
Tensor IndexAdd(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src, const char* op = "index_add");
// A contiguous copy of index (itself when contiguous), with a task that checks every value is
// in [0, size) launched ahead of the op's kernel: the values are data, so a failure surfaces at
// the next wait when deferred (and the kernels after it do not run). Negative values are
// rejected, as torch does for these ops. The error names `op` and the first bad value in
// row-major order, whatever the thread count.
Tensor CheckedIndex(const Tensor& index, int64_t size, int dim, const char* op);
// The scatters never use atomics: each output element adds its terms in index order, so
// results are the same for any thread count.

// compare.cc. Comparisons return float32 1/0 (there is no bool dtype); operands broadcast,
// float32 or int32 (int32 meets float32 as float32).
enum class CompareOp : int { kEq, kNe, kLt, kLe, kGt, kGe, kCount };
Tensor Compare(CompareOp op, const Tensor& input, const Tensor& other);
Tensor CompareScalar(CompareOp op, const Tensor& input, double other);
// condition ? input : other, elementwise over the three broadcast together; condition is
// float32 or int32, true where nonzero. The result has input's dtype (float32 if they differ).
Tensor Where(const Tensor& condition, const Tensor& input, const Tensor& other);
// input with value (0-D) where mask (broadcast to input's shape) is nonzero.
Tensor MaskedFill(const Tensor& input, const Tensor& mask, const Tensor& value);

// triangle.cc: triu (upper) / tril of the last two dimensions; the rest of the entries 0.
Tensor Triangle(const Tensor& x, int64_t diagonal, bool upper);

// cumsum.cc: running sums along dim (from the end when reverse), float32.
Tensor Cumsum(const Tensor& x, int64_t dim, bool reverse);

// broadcast.cc
// torch.Tensor.repeat: repeats.size() >= ndim; the tensor is seen with leading 1s added, and
// dimension i of the result is repeats[i] copies of it side by side. A fresh contiguous tensor.
Tensor Repeat(const Tensor& t, const Shape& repeats);
// torch.expand: a view with stride 0 along broadcast dimensions; new leading dimensions may
// be added; -1 keeps a size.
Tensor Expand(const Tensor& t, const Shape& shape);
// The reverse of broadcasting, for gradients: t summed over its extra leading dimensions and
// where `shape` has 1 and t does not, returned with exactly `shape` (a view when nothing is
// summed). Throws ShapeError unless `shape` broadcasts to t's shape.
Tensor SumTo(const Tensor& t, const Shape& shape);

}  // namespace tg
