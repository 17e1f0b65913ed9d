// Element conversions for file formats whose tensors come in dtypes tensorgrad does not keep
// (safetensors: F16, BF16, F64 and the integer widths): src holds n little-endian elements of
// the source type, dst receives n float32 or int32 values. src may be unaligned (it is a read
// buffer); each element is loaded with memcpy.
//
// A value the target cannot hold is never truncated: the conversion stops at the first such
// element and returns its index (its value is left for the caller to report); -1 means all n
// converted. Out of range are integers outside [-2^31, 2^31) and finite doubles that round to
// ±inf as float32; a BOOL byte other than 0 or 1. NaN and ±inf convert as themselves (F16 and
// BF16 exactly, NaN payloads included).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tg {

// The source types; lib/native.ts (SourceType) keeps the same order.
enum class SourceType : int32_t {
  kF16, kBF16, kF64,                                  // to float32
  kI64, kI8, kU8, kI16, kU16, kU32, kU64, kBool,      // to int32
  kCount,
};

// Bytes per element of `type`.
size_t SourceElementSize(SourceType type);
// True when `type` converts to float32, false when to int32.
bool ConvertsToFloat32(SourceType type);

// One IEEE binary16 bit pattern as float32, exactly (subnormals, ±0, ±inf, NaN payloads).
float HalfToFloat(uint16_t bits);

// src (n elements of type), dst (n): the index of the first element out of range, or -1.
int64_t ConvertToFloat32(const void* src, SourceType type, int64_t n, float* dst);
int64_t ConvertToInt32(const void* src, SourceType type, int64_t n, int32_t* dst);

}  // namespace tg
