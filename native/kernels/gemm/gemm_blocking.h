// GEMM block sizes, one set per ISA, all in one place (BLIS notation):
//   MR×NR  the micro-kernel's register tile of C;
//   KC     depth of one packed block: a KC×NR micro-panel of B stays in L1 across the ir loop;
//   MC     rows of the packed A block (MC×KC), sized to stay in L2 across the jr loop;
//   NC     columns of the packed B panel (KC×NC), sized for L3.
// MC is a multiple of MR and NC of NR. Tuned by bench/gemm_native.cc on Zen 4 (32 KB L1d,
// 1 MB L2, 32 MB L3); see the notes next to each set.
#pragma once

namespace tg {

struct GemmBlocking {
  int mr, nr, mc, kc, nc;
};

// Portable fallback: 12 SSE/NEON accumulators of 4 lanes.
constexpr GemmBlocking kGemmBlockingRef = {6, 8, 120, 256, 2048};

// AVX2 + FMA: 12 ymm accumulators (6 rows × 2 vectors), 2 for B, 1 for the A broadcast.
constexpr GemmBlocking kGemmBlockingAvx2 = {6, 16, 144, 256, 4080};

// AVX-512: zmm accumulators, rows × (NR / 16) vectors.
constexpr GemmBlocking kGemmBlockingAvx512 = {12, 32, 144, 256, 4096};

}  // namespace tg
