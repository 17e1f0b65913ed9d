// GEMM block sizes, one set per ISA, all in one place (BLIS notation):
//   MR×NR  the micro-kernel's register tile of C;
//   KC     depth of one packed block (the micro-kernel's k loop);
//   MC     rows of the packed A block (MC×KC), kept in L2 across the jr loop;
//   NC     columns of the packed B panel (KC×NC), kept in L3 across the ic loop.
// MC is a multiple of MR and NC of NR; the driver splits each dimension into equal blocks of
// at most these sizes. Measured on Zen 4 (32 KB L1d, 1 MB L2, 32 MB L3 shared by 2 cores) with
// the driver's loops timed piece by piece (single thread, n = 256..2048 and the training
// shapes):
//  - the AVX-512 micro-kernel alone runs at 98-100% of the FMA peak for kc >= 256, from L1 or
//    with its B micro-panel streaming from L2 (5 bytes per cycle is all it needs). Inside the
//    GEMM every call also pays for its C tile (12 rows, often 4 KB apart, so in one L1 set),
//    so fewer, deeper calls win: at n = 1024 KC = 128 / 384 / 512 / 1024 gave 94 / 104 / 107 /
//    109.5 GFLOP/s. KC = 1024 keeps the MC×KC A block at 384 KB and the KC×NR B micro-panel at
//    128 KB, both in L2; MC = 48..192 measured within 2%; NC = 1024 keeps each thread's KC×NC
//    panel at 4 MB of L3 (NC = 2048..4096 was 1-2% slower).
//  - AVX2 (16 registers): KC = 512, MC = 144, NC = 2048 measured best of the sets tried
//    (KC 256..1024, MC 48..144), 100 GFLOP/s at n = 1024..2048 on Zen 4. On Zen 5 (48 KB L1d,
//    1 MB L2), with the assembly depth loop (tile_6x16_avx2.inc), KC = 256 / 384 / 512 all
//    measured within noise of each other and of OpenBLAS's Haswell kernels (0.97-1.03x, 1 and
//    2 threads, 94-98% of the FMA peak). KC = 384 is kept for the CPUs with a 32 KB L1d (Zen 3,
//    Intel up to Ice Lake): the 384×16 B micro-panel (24 KB) that the ir loop reuses then
//    stays in L1 beside the A micro-panels streaming through it, where 512×16 (32 KB) filled
//    L1 alone. MC×KC (216 KB) stays within Zen 3's 512 KB L2.
#pragma once

namespace tg {

struct GemmBlocking {
  int mr, nr, mc, kc, nc;
};

// Portable fallback: 12 SSE/NEON accumulators of 4 lanes (23 GFLOP/s on Zen 4 with SSE2 only;
// 4×8 measured 16).
constexpr GemmBlocking kGemmBlockingRef = {6, 8, 120, 256, 2048};

// AVX2 + FMA: 12 ymm accumulators (6 rows × 2 vectors), 2 for B, 1 for the A broadcast.
constexpr GemmBlocking kGemmBlockingAvx2 = {6, 16, 144, 384, 2048};

// AVX-512: 24 zmm accumulators (12 rows × 2 vectors), 2 for B, 1 for the A broadcast. 12 rows
// measured as fast as 14 and keep m = 64 (the batch) at 5 full tiles and one of 4 rows.
constexpr GemmBlocking kGemmBlockingAvx512 = {12, 32, 96, 1024, 1024};

// The narrow kernel (C with at most max_n columns, k in the lanes): tiles of rows × cols inner
// products in rows·cols accumulators plus cols vectors of Bᵀ and one of A. Against the
// micro-kernel, which wastes lanes on such C and packs A for few columns, it measured 1.3-2.5×
// faster at n <= 24 and 1.0-1.1× at n = 32..48 (AVX-512), and faster up to n = 12 (AVX2).
// short_rows: with Bᵀ stored (tb = kT), C with at most this many rows also goes to the narrow
// kernel whatever its width (GEMV-like: a Linear layer at batch 1..8). Measured on the
// 784→512 layer (Zen 4, 1 thread), narrow vs packed: AVX-512 m = 1: 21 vs 80 µs, 4: 38 vs 95,
// 8: 78 vs 113, 16: 144 vs 192, 24: 238 vs 236; AVX2 m = 1: 28 vs 70, 4: 70 vs 81, 6: 109 vs
// 99. The limits stay below the break-even, which moves down as B outgrows L2.
struct GemmDotBlocking {
  int rows, cols, max_n, short_rows;
};

constexpr GemmDotBlocking kGemmDotBlockingAvx2 = {2, 4, 12, 4};
constexpr GemmDotBlocking kGemmDotBlockingAvx512 = {4, 6, 48, 8};

}  // namespace tg
