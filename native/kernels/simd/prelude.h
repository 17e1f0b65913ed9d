// What the SIMD kernel files need from outside their ISA region: <immintrin.h>, and the libm
// fallback of the vector pow. The shared SIMD code itself is in the .inc files next to this
// header; simd/isa_unit.inc includes all of it inside a per-ISA file's region (isa_target.h
// says why), and kernels/isa_avx2.cc and isa_avx512.cc are the whole of those files.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/isa_target.h"

#if TG_X86_64
// GCC 12's _mm512_undefined_ps() (behind _mm512_min_ps and others) reads itself to make an
// undefined value, which -Wuninitialized reports once inlined into our code (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

namespace tg {
namespace simd {
// libm stays outside the ISA regions (isa_target.h): the vector pow calls this for the lanes
// its fast path does not cover (zeros, infinities, NaN), so those match std::pow exactly.
inline float ScalarPow(float a, float b) { return std::pow(a, b); }
}  // namespace simd
}  // namespace tg
