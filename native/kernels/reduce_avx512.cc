// Reduce kernels for AVX-512F: 16 lanes, tails under k-masks. The code is shared with AVX2
// in simd_math.h; this file picks the traits and compiles it for the ISA.
#include "kernels/reduce.h"
#include "kernels/isa_target.h"
#include "kernels/simd_math.h"

#if TG_X86_64
TG_TARGET_AVX512_BEGIN
namespace tg {
namespace {
TG_SIMD_AVX512_TRAITS
TG_SIMD_REDUCE_KERNELS
}  // namespace

const ReduceKernels kReduceAvx512 = TG_SIMD_REDUCE_TABLE;

}  // namespace tg
TG_TARGET_END
#endif
