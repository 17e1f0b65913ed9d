// Optimizer kernels for AVX-512F: 16 lanes, tails under k-masks. The code is shared with the other SIMD ISA
// and lives in simd/optim.inc; this file picks the traits and compiles the code for the ISA,
// inside the region (isa_target.h says why).
#include <cstring>

#include "kernels/isa_target.h"
#include "kernels/optim.h"
#include "kernels/simd/prelude.h"

#if TG_X86_64
TG_TARGET_AVX512_BEGIN
#define TG_SIMD_REGION
namespace tg {
namespace {

// Each needs the ones before it (the blank lines keep include sorting from reordering them).
#include "kernels/simd/traits_avx512.inc"  // struct V

#include "kernels/simd/math.inc"  // NanMax

#include "kernels/simd/optim.inc"  // the kernels and kOptimTable

}  // namespace

const OptimKernels kOptimAvx512 = kOptimTable;

}  // namespace tg
#undef TG_SIMD_REGION
TG_TARGET_END
#endif
