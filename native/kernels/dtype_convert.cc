// See dtype_convert.h. Plain loops: these run once per element of a file being loaded, at the
// speed of the read that precedes them, so there is no SIMD twin to keep in step.
#include "kernels/dtype_convert.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace tg {
namespace {

template <class T>
T Load(const unsigned char* p, int64_t i) {
  T v;
  std::memcpy(&v, p + static_cast<size_t>(i) * sizeof(T), sizeof(T));
  return v;
}

// Integers of type T to int32, stopping at the first one outside int32's range.
template <class T>
int64_t IntegersToInt32(const unsigned char* src, int64_t n, int32_t* dst) {
  for (int64_t i = 0; i < n; ++i) {
    const T v = Load<T>(src, i);
    // Narrower types always fit (and comparing them would only draw warnings).
    if constexpr (sizeof(T) > 4 && std::numeric_limits<T>::is_signed) {
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) return i;
    } else if constexpr (sizeof(T) >= 4 && !std::numeric_limits<T>::is_signed) {
      if (v > static_cast<T>(std::numeric_limits<int32_t>::max())) return i;
    }
    dst[i] = static_cast<int32_t>(v);
  }
  return -1;
}

float BitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace

size_t SourceElementSize(SourceType type) {
  switch (type) {
    case SourceType::kI8: case SourceType::kU8: case SourceType::kBool: return 1;
    case SourceType::kF16: case SourceType::kBF16: case SourceType::kI16: case SourceType::kU16: return 2;
    case SourceType::kU32: return 4;
    case SourceType::kF64: case SourceType::kI64: case SourceType::kU64: return 8;
    case SourceType::kCount: break;
  }
  return 0;
}

bool ConvertsToFloat32(SourceType type) {
  return type == SourceType::kF16 || type == SourceType::kBF16 || type == SourceType::kF64;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return BitsToFloat(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN (payload kept)
  if (exponent != 0) return BitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));  // 127 - 15 = 112
  if (mantissa == 0) return BitsToFloat(sign);  // ±0
  // Subnormal: m·2^-24. Shift the leading 1 up to bit 10; each shift lowers the exponent by one.
  int32_t e = 113;  // the exponent of 2^-14, biased for float32
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --e;
  }
  return BitsToFloat(sign | (static_cast<uint32_t>(e) << 23) | ((mantissa & 0x3ffu) << 13));
}

int64_t ConvertToFloat32(const void* src_bytes, SourceType type, int64_t n, float* dst) {
  const auto* src = static_cast<const unsigned char*>(src_bytes);
  switch (type) {
    case SourceType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = HalfToFloat(Load<uint16_t>(src, i));
      return -1;
    case SourceType::kBF16:  // the top half of a float32
      for (int64_t i = 0; i < n; ++i) dst[i] = BitsToFloat(static_cast<uint32_t>(Load<uint16_t>(src, i)) << 16);
      return -1;
    case SourceType::kF64:
      for (int64_t i = 0; i < n; ++i) {
        const double v = Load<double>(src, i);
        const float f = static_cast<float>(v);
        if (std::isinf(f) && std::isfinite(v)) return i;
        dst[i] = f;
      }
      return -1;
    default:
      return 0;  // not a float type: the binding never asks for this
  }
}

int64_t ConvertToInt32(const void* src_bytes, SourceType type, int64_t n, int32_t* dst) {
  const auto* src = static_cast<const unsigned char*>(src_bytes);
  switch (type) {
    case SourceType::kI64: return IntegersToInt32<int64_t>(src, n, dst);
    case SourceType::kI8: return IntegersToInt32<int8_t>(src, n, dst);
    case SourceType::kU8: return IntegersToInt32<uint8_t>(src, n, dst);
    case SourceType::kI16: return IntegersToInt32<int16_t>(src, n, dst);
    case SourceType::kU16: return IntegersToInt32<uint16_t>(src, n, dst);
    case SourceType::kU32: return IntegersToInt32<uint32_t>(src, n, dst);
    case SourceType::kU64: return IntegersToInt32<uint64_t>(src, n, dst);
    case SourceType::kBool:
      for (int64_t i = 0; i < n; ++i) {
        const uint8_t v = src[i];
        if (v > 1) return i;
        dst[i] = v;
      }
      return -1;
    default:
      return 0;  // not an integer type: the binding never asks for this
  }
}

}  // namespace tg
