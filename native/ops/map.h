// Map(): out[i] = f(a[i], b[i], ...) over tensors broadcast to one shape, for the small
// pointwise formulas of backward functions (masks, derivative expressions). A scalar lambda
// over contiguous buffers; the compiler vectorises the simple ones. Forward ops use the SIMD
// kernels instead.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/thread_pool.h"

namespace tg {

template <class F, size_t N, size_t... I>
inline float MapAt(const F& f, const std::array<const float*, N>& p, int64_t i, std::index_sequence<I...>) {
  return f(p[I][i]...);
}

template <class F, class... Ts>
Tensor Map(const Shape& shape, F f, const Ts&... inputs) {
  constexpr size_t kN = sizeof...(Ts);
  const std::array<Tensor, kN> in = {Contiguous(Expand(inputs, shape))...};
  Tensor out = Tensor::Empty(shape);
  std::array<const float*, kN> p{};
  for (size_t i = 0; i < kN; ++i) p[i] = in[i].template data<float>();
  float* o = out.data<float>();
  const int64_t n = out.numel();
  Launch([=] {
    ParallelFor(0, n, 1 << 14, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = MapAt(f, p, i, std::make_index_sequence<kN>());
    });
  }, in, out);
  return out;
}

}  // namespace tg
