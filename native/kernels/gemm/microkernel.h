// The contract between the GEMM driver (gemm_driver.cc) and each ISA's kernels
// (microkernel_ref.cc; gemm_simd.inc, compiled in kernels/isa_avx2.cc and isa_avx512.cc),
// written down once.
//
// Packed layouts (MR, NR from the ISA's GemmBlocking):
//  - an A block, op(A) rows [0, mc) × depth [0, kc), becomes ceil(mc/MR) micro-panels of
//    MR×kc: panel r starts at dst + r·MR·kc and holds element (i, p) at [p·MR + i];
//  - a B panel, op(B) depth [0, kc) × columns [0, nc), becomes ceil(nc/NR) micro-panels of
//    kc×NR: panel j starts at dst + j·NR·kc and holds element (p, j) at [p·NR + j].
//  Lanes past mc (or nc) in the last micro-panel are zero.
//
// Packing (GemmPackFn) sees one operand block through its "lanes" (the MR or NR side) and its
// depth (the k side). Element (lane l, depth p) sits at
//    src[p·ld + l]  when lane_contiguous   (A with kT, B with kN),
//    src[l·ld + p]  otherwise              (A with kN, B with kT).
//  dst must have room for ceil(lanes/W)·W·kc floats plus kGemmPackSlack (W = MR or NR): a
//  packer may write up to that many floats past the block's end before finishing it.
//
// Micro-kernel (GemmMicroKernel): for 1 <= m_r <= MR, 1 <= n_r <= NR, kc >= 0,
//    c[i·ldc + j] = act(alpha·Σ_p a[p·MR + i]·b[p·ldb + j] + beta·c[i·ldc + j] + bias[j])
//  for i < m_r, j < n_r, with a a packed micro-panel and b either a packed micro-panel
//  (ldb = NR) or, when n_r == NR, B itself (ldb = its leading dimension): a whole row of NR
//  floats of b is read at every depth. Nothing outside the m_r×n_r tile of c is read or
//  written (edges are handled inside the kernel), beta == 0 never reads c, and kc == 0 reads
//  neither a nor b. Each element of c is one chain of FMAs (or mul+add) over p in order, so
//  its value does not depend on where the tile sits in C: that is what makes results
//  independent of the thread split.
//
// Narrow kernel (GemmDotKernel, SIMD ISAs only; for C with few columns, where the
// micro-kernel would waste most of its vector lanes, and for C with few rows whose Bᵀ is
// stored, where packing B would cost more than the product): for m >= 0, 1 <= n, k >= 1,
//    c[i·ldc + j] = act(alpha·Σ_p a[i·lda + p]·bt(j, p) + beta·c[i·ldc + j] + bias[j])
//  with k in the vector lanes: the rows of A and of Bᵀ are both contiguous along k, Bᵀ's
//  element (j, p) at bt[j·bt_col + (p / L)·bt_step + p % L] for the ISA's lane count L (so
//  B itself when tb = kT, with bt_col = ldb and bt_step = L; or Bᵀ packed by pack_b_dot into
//  blocks of L depths, bt_col = L and bt_step = n·L). The lanes are summed in a fixed tree,
//  so again an element's value depends only on its row and column, never on the split.
//  pack_b_dot is a GemmPackFn called as (false, B, ldb, k, n, dst): lanes = depth of the
//  product, "depth" = columns of C.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_blocking.h"

namespace tg {

constexpr int64_t kGemmPackSlack = 16;

struct GemmTileParams {
  float alpha;
  float beta;          // 0: c is not read
  const float* bias;   // at the tile's first column, or null
  Activation act;      // applied last
  float negative_slope;
};

using GemmPackFn = void (*)(bool lane_contiguous, const float* src, int64_t ld, int64_t lanes,
                            int64_t kc, float* dst);
using GemmMicroKernel = void (*)(int64_t kc, const float* a, const float* b, int64_t ldb,
                                 float* c, int64_t ldc, int64_t m_r, int64_t n_r,
                                 const GemmTileParams& tp);

using GemmDotKernel = void (*)(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                               const float* bt, int64_t bt_col, int64_t bt_step, float* c,
                               int64_t ldc, const GemmTileParams& tp);

struct GemmKernels {
  GemmBlocking blocking;
  GemmPackFn pack_a;  // lanes = rows of op(A), W = MR
  GemmPackFn pack_b;  // lanes = columns of op(B), W = NR
  GemmMicroKernel micro;
  // Narrow C: used when op(A) = A (kN) for n <= dot_blocking.max_n, and for
  // m <= dot_blocking.short_rows when B is stored transposed (kT); null where the ISA has none.
  GemmDotBlocking dot_blocking;
  int dot_lanes;          // L
  GemmPackFn pack_b_dot;  // W = L
  GemmDotKernel dot;
};

extern const GemmKernels kGemmKernelsRef;
#if defined(__x86_64__) || defined(_M_X64)
extern const GemmKernels kGemmKernelsAvx2;
extern const GemmKernels kGemmKernelsAvx512;
#endif

}  // namespace tg
