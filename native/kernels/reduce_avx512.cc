// Reduce kernels for AVX-512F: 16 lanes, tails under k-masks. The code is shared with AVX2
// and lives in simd/*.inc; this file picks the traits and compiles the code for the ISA,
// inside the region (isa_target.h says why).
#include "kernels/reduce.h"
#include "kernels/isa_target.h"
#include "kernels/simd/prelude.h"

#if TG_X86_64
TG_TARGET_AVX512_BEGIN
#define TG_SIMD_REGION
namespace tg {
namespace {

// Each needs the ones before it (the blank lines keep include sorting from reordering them).
#include "kernels/simd/traits_avx512.inc"  // struct V

#include "kernels/simd/math.inc"

#include "kernels/simd/reduce.inc"  // the kernels and kReduceTable

}  // namespace

const ReduceKernels kReduceAvx512 = kReduceTable;

}  // namespace tg
#undef TG_SIMD_REGION
TG_TARGET_END
#endif
