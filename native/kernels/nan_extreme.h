// Scalar max/min that propagate NaN (torch.maximum semantics: NaN if either is NaN, the first
// NaN when both are). The SIMD twins are NanMax/NanMin in simd/math.inc.
#pragma once

namespace tg {

template <typename T>
inline T NanMax(T a, T b) {
  return (a != a || a > b) ? a : b;
}

template <typename T>
inline T NanMin(T a, T b) {
  return (a != a || a < b) ? a : b;
}

}  // namespace tg
