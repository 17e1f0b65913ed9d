// Every SIMD kernel for AVX-512 (F, DQ, BW, VL): 16 lanes, tails under k-masks; GEMM MR×NR from
// gemm_blocking.h (NR/16 zmm of B and one broadcast of A per depth step). The code is in
// simd/*.inc, shared with AVX2; simd/isa_unit.inc lists it.
#include "kernels/simd/isa_unit.h"

#if TG_X86_64
TG_TARGET_AVX512_BEGIN
#define TG_ISA Avx512
#define TG_ISA_TRAITS "kernels/simd/traits_avx512.inc"
#define TG_ISA_PREFETCH_A 8
#include "kernels/simd/isa_unit.inc"
TG_TARGET_END
#endif
