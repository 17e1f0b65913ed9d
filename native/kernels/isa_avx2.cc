// Every SIMD kernel for AVX2 + FMA: 8 lanes, tails by masked loads and stores; GEMM 6×16 (12 ymm
// accumulators, 2 ymm of B and one broadcast of A per depth step). The code is in simd/*.inc,
// shared with AVX-512; simd/isa_unit.inc lists it.
#include "kernels/simd/isa_unit.h"

#if TG_X86_64
TG_TARGET_AVX2_BEGIN
#define TG_ISA Avx2
#define TG_ISA_TRAITS "kernels/simd/traits_avx2.inc"
#define TG_ISA_PREFETCH_A 16
#include "kernels/simd/isa_unit.inc"
TG_TARGET_END
#endif
