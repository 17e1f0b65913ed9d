// AVX2 + FMA GEMM packing and micro-kernel, 6×16: 12 ymm accumulators, 2 ymm of B and one
// broadcast of A per depth step, the depth loop unrolled by 4 with a prefetch of A, column
// edges by masked loads and stores. The contract is in microkernel.h; the code, shared with
// AVX-512, in gemm_simd.inc.
#include "kernels/gemm/microkernel.h"
#include "kernels/isa_target.h"
#include "kernels/simd/prelude.h"

#if TG_X86_64
TG_TARGET_AVX2_BEGIN
#define TG_SIMD_REGION
namespace tg {
namespace {

constexpr int kMr = kGemmBlockingAvx2.mr;
constexpr int kNr = kGemmBlockingAvx2.nr;
constexpr int kDotRows = kGemmDotBlockingAvx2.rows;
constexpr int kDotCols = kGemmDotBlockingAvx2.cols;
constexpr int kPrefetchA = 16 * kMr;  // floats of A ahead: A streams from L2

// Each needs the ones before it (the blank lines keep include sorting from reordering them).
#include "kernels/simd/traits_avx2.inc"  // struct V

#include "kernels/simd/math.inc"  // Exp

#include "kernels/gemm/gemm_simd.inc"  // Pack, MicroKernel, DotKernel

}  // namespace

const GemmKernels kGemmKernelsAvx2 = {kGemmBlockingAvx2,    &Pack<kMr>, &Pack<kNr>,
                                      &MicroKernel,          kGemmDotBlockingAvx2,
                                      V::kLanes,             &Pack<V::kLanes>,
                                      &DotKernel};

}  // namespace tg
#undef TG_SIMD_REGION
TG_TARGET_END
#endif
