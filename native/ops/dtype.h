// Element types. float32 is what every kernel computes in; int32 holds indices and labels.
#pragma once

#include <cstddef>

namespace tg {

enum class DType { kFloat32, kInt32 };

inline size_t ElementSize(DType) { return 4; }
inline const char* DTypeName(DType t) { return t == DType::kFloat32 ? "float32" : "int32"; }

}  // namespace tg
