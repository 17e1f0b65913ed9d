// Eltwise kernels for AVX2 + FMA: 8 lanes. The code itself is shared with AVX-512 and lives
// in simd_math.h; this file picks the traits and compiles it for the ISA.
#include "kernels/eltwise.h"
#include "kernels/isa_target.h"
#include "kernels/simd_math.h"

#if TG_X86_64
TG_TARGET_AVX2_BEGIN
namespace tg {
namespace {
TG_SIMD_AVX2_TRAITS
TG_SIMD_ELTWISE_KERNELS
}  // namespace

const EltwiseKernels kEltwiseAvx2 = TG_SIMD_ELTWISE_TABLE;

}  // namespace tg
TG_TARGET_END
#endif
