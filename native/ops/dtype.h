// Element types. float32 is what every kernel computes in; int32 holds indices and labels.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tg {

enum class DType { kFloat32, kInt32 };

inline size_t ElementSize(DType) { return 4; }
inline const char* DTypeName(DType t) { return t == DType::kFloat32 ? "float32" : "int32"; }

// Calls fn with a value of t's element type (float or int32_t), for kernels written once as a
// template over it: ByDType(t.dtype(), [&](auto tag) { using T = decltype(tag); ... }).
template <typename Fn>
void ByDType(DType t, Fn&& fn) {
  if (t == DType::kFloat32) fn(float{});
  else fn(int32_t{});
}

}  // namespace tg
