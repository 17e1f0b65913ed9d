// Softmax kernels for AVX-512F: 16 lanes, tails under k-masks. The code is shared with AVX2 and
// lives in simd/*.inc; this file picks the traits and compiles the code for the ISA, inside the
// region (isa_target.h says why).
#include "kernels/isa_target.h"
#include "kernels/reduce.h"  // ReduceKernels, for reduce.inc
#include "kernels/simd/prelude.h"
#include "kernels/softmax.h"

#if TG_X86_64
TG_TARGET_AVX512_BEGIN
#define TG_SIMD_REGION
namespace tg {
namespace {

// Each needs the ones before it (the blank lines keep include sorting from reordering them).
#include "kernels/simd/traits_avx512.inc"  // struct V

#include "kernels/simd/math.inc"  // Exp

#include "kernels/simd/reduce.inc"  // ExtremeSpan (the rest of it goes unused here)

#include "kernels/simd/softmax.inc"  // the kernels and kSoftmaxTable

}  // namespace

const SoftmaxKernels kSoftmaxAvx512 = kSoftmaxTable;

}  // namespace tg
#undef TG_SIMD_REGION
TG_TARGET_END
#endif
