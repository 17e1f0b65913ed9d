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

}  // namespace tg
