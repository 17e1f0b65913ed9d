// Activation kernels for AVX-512F: 16 lanes, tails under k-masks. The code is shared with AVX2
// and lives in simd/*.inc (the vector sigmoid and tanh are the GEMM epilogue's); this file
// picks the traits and compiles the code for the ISA, inside the region (isa_target.h says why).
#include "kernels/activation.h"
#include "kernels/isa_target.h"
#include "kernels/simd/prelude.h"

#if TG_X86_64
TG_TARGET_AVX512_BEGIN
#define TG_SIMD_REGION
namespace tg {
namespace {

// Each needs the ones before it (the blank lines keep include sorting from reordering them).
#include "kernels/simd/traits_avx512.inc"  // struct V

#include "kernels/simd/math.inc"  // Exp

#include "kernels/simd/activation_math.inc"  // Sigmoid, Tanh, ActivateAs

#include "kernels/simd/activation.inc"  // the kernels and kActivationTable

}  // namespace

const ActivationKernels kActivationAvx512 = kActivationTable;

}  // namespace tg
#undef TG_SIMD_REGION
TG_TARGET_END
#endif
