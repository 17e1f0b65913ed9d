// AVX-512 GEMM packing and micro-kernel, MR×NR from gemm_blocking.h: MR·NR/16 zmm
// accumulators, NR/16 zmm of B and one broadcast of A per depth step, the depth loop unrolled
// by 4 with a prefetch of A, column edges by k-mask loads and stores. The contract is in
// microkernel.h; the code, shared with AVX2, in gemm_simd.inc.
#include "kernels/gemm/microkernel.h"
#include "kernels/isa_target.h"
#include "kernels/simd/prelude.h"

#if TG_X86_64
TG_TARGET_AVX512_BEGIN
#define TG_SIMD_REGION
namespace tg {
namespace {

constexpr int kMr = kGemmBlockingAvx512.mr;
constexpr int kNr = kGemmBlockingAvx512.nr;
constexpr int kDotRows = kGemmDotBlockingAvx512.rows;
constexpr int kDotCols = kGemmDotBlockingAvx512.cols;
constexpr int kPrefetchA = 8 * kMr;  // floats of A ahead: A streams from L2

// Each needs the ones before it (the blank lines keep include sorting from reordering them).
#include "kernels/simd/traits_avx512.inc"  // struct V

#include "kernels/simd/math.inc"  // Exp

#include "kernels/gemm/gemm_simd.inc"  // Pack, MicroKernel, DotKernel

}  // namespace

const GemmKernels kGemmKernelsAvx512 = {kGemmBlockingAvx512,    &Pack<kMr>, &Pack<kNr>,
                                      &MicroKernel,          kGemmDotBlockingAvx512,
                                      V::kLanes,             &Pack<V::kLanes>,
                                      &DotKernel};

}  // namespace tg
#undef TG_SIMD_REGION
TG_TARGET_END
#endif
