// What the SIMD kernel files need from outside their ISA region: <immintrin.h>, and the libm
// fallback of the vector pow. The shared SIMD code itself is in the .inc files next to this
// header, which a kernel file includes inside its region (isa_target.h says why), in order:
//
//   #include "kernels/simd/prelude.h"   // with the file's other headers, before BEGIN
//   TG_TARGET_AVX2_BEGIN
//   #define TG_SIMD_REGION
//   namespace tg { namespace {
//   #include "kernels/simd/traits_avx2.inc"    // struct V (or traits_avx512.inc)
//   #include "kernels/simd/math.inc"           // NanMax & co., Exp, Log, Pow
//   #include "kernels/simd/eltwise.inc"        // kernels and kEltwiseTable (or reduce.inc)
//   }  const EltwiseKernels kEltwiseAvx2 = kEltwiseTable;  }
//   #undef TG_SIMD_REGION
//   TG_TARGET_END
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
