// Walks N operands that share one shape but have their own strides, as contiguous-in-shape
// spans along the last dimension, split across the thread pool by element ranges. Size-1
// dimensions are dropped and dimensions that are contiguous for every operand are merged
// first, so a contiguous tensor is one long span however many dimensions it has.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "ops/shape.h"
#include "runtime/thread_pool.h"

namespace tg {

template <size_t N>
struct StridedLayout {
  Shape shape;                   // at least one dimension
  std::array<Shape, N> strides;  // elements, per operand
};

template <size_t N>
StridedLayout<N> Coalesce(const Shape& shape, const std::array<const Shape*, N>& strides) {
  StridedLayout<N> out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !out.shape.empty();
    for (size_t k = 0; k < N && merge; ++k) {
      merge = out.strides[k].back() == (*strides[k])[d] * shape[d];
    }
    if (merge) {
      out.shape.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) out.strides[k].back() = (*strides[k])[d];
    } else {
      out.shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) out.strides[k].push_back((*strides[k])[d]);
    }
  }
  if (out.shape.empty()) {
    out.shape.push_back(1);
    for (size_t k = 0; k < N; ++k) out.strides[k].push_back(0);
  }
  return out;
}

// fn(const std::array<int64_t, N>& offsets, int64_t len, const std::array<int64_t, N>& inner_strides)
// is called for each span; offsets are element offsets from each operand's base.
template <size_t N, typename Fn>
void ForEachSpan(const StridedLayout<N>& layout, int64_t grain, Fn&& fn) {
  const Shape& shape = layout.shape;
  const int nd = static_cast<int>(shape.size());
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  std::array<int64_t, N> inner;
  for (size_t k = 0; k < N; ++k) inner[k] = layout.strides[k][nd - 1];

  ParallelFor(0, numel, grain, [&](int64_t begin, int64_t end) {
    std::array<int64_t, kMaxDims> idx{};
    std::array<int64_t, N> off{};
    int64_t rest = begin;
    for (int d = nd - 1; d >= 0; --d) {
      idx[d] = rest % shape[d];
      rest /= shape[d];
      for (size_t k = 0; k < N; ++k) off[k] += idx[d] * layout.strides[k][d];
    }
    for (int64_t pos = begin; pos < end;) {
      const int64_t len = std::min(shape[nd - 1] - idx[nd - 1], end - pos);
      fn(off, len, inner);
      pos += len;
      idx[nd - 1] += len;
      for (size_t k = 0; k < N; ++k) off[k] += len * inner[k];
      for (int d = nd - 1; d > 0 && idx[d] == shape[d]; --d) {  // carry into outer dimensions
        idx[d] = 0;
        ++idx[d - 1];
        for (size_t k = 0; k < N; ++k) off[k] += layout.strides[k][d - 1] - shape[d] * layout.strides[k][d];
      }
    }
  });
}

}  // namespace tg
