// Shapes and strides: validation, broadcasting and printing, shared by every op.
#pragma once

#include <cstdint>
#include <string>

#include "ops/small_vector.h"

namespace tg {

// Shapes, strides and dimension lists: six dimensions inline covers every layer in the library.
using Shape = SmallVector<int64_t, 6>;

// Largest element count a tensor may have (each dimension is also below it). Keeps every
// byte count well inside int64 and size_t.
constexpr int64_t kMaxNumel = int64_t{1} << 48;
constexpr int kMaxDims = 64;

std::string ShapeToString(const Shape& shape);  // "[2, 3]"

// Throws ArgumentError naming `what` if a dimension is negative or the product overflows.
int64_t CheckedNumel(const Shape& shape, const char* what = "shape");

Shape ContiguousStrides(const Shape& shape);

// PyTorch's broadcasting rule: align trailing dimensions; each pair must be equal or 1.
// Throws ShapeError naming `op` and showing both shapes.
Shape BroadcastShapes(const Shape& a, const Shape& b, const char* op = "broadcast");

// Maps dim in [-ndim, ndim) to [0, ndim); throws ArgumentError naming `what` otherwise.
int NormalizeDim(int64_t dim, int ndim, const char* what = "dim");

}  // namespace tg
