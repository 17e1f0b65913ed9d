// Portable GEMM packing and micro-kernel (contract in microkernel.h): plain loops the compiler
// vectorises for the base ISA (SSE2 on x86-64, NEON on arm64). The fallback for any CPU, and
// the naive twin of the SIMD kernel files.
#include <algorithm>
#include <cstdint>

#include "kernels/gemm/microkernel.h"

namespace tg {
namespace {

constexpr int kMr = kGemmBlockingRef.mr;
constexpr int kNr = kGemmBlockingRef.nr;

// src block (lanes × kc, see microkernel.h) -> ceil(lanes/W) micro-panels of W×kc, zero-padded
template <int W>
void Pack(bool lane_contiguous, const float* src, int64_t ld, int64_t lanes, int64_t kc,
          float* dst) {
  const int64_t lane_stride = lane_contiguous ? 1 : ld;
  const int64_t depth_stride = lane_contiguous ? ld : 1;
  for (int64_t l0 = 0; l0 < lanes; l0 += W, dst += W * kc) {
    const int64_t w = std::min<int64_t>(W, lanes - l0);
    const float* panel = src + l0 * lane_stride;
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t l = 0; l < W; ++l) {
        dst[p * W + l] = l < w ? panel[l * lane_stride + p * depth_stride] : 0.0f;
      }
    }
  }
}

// GCC would vectorise the depth loop, shuffling the 48 accumulators around every step (7 vs
// 30 GFLOP/s); with only SLP it vectorises each row update along j, as intended.
#if defined(__GNUC__) && !defined(__clang__)
#define TG_REF_VECTORISE_ROWS __attribute__((optimize("no-tree-loop-vectorize")))
#else
#define TG_REF_VECTORISE_ROWS
#endif

// a (MR×kc packed), b (kc×NR, row stride ldb) -> c (m_r×n_r, row stride ldc)
TG_REF_VECTORISE_ROWS void MicroKernel(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                 int64_t m_r, int64_t n_r, const GemmTileParams& tp) {
  float acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* ap = a + p * kMr;
    const float* bp = b + p * ldb;
    for (int i = 0; i < kMr; ++i) {
      const float ai = ap[i];  // one row of acc += a[i] · (a row of b): vectorises along j
      for (int j = 0; j < kNr; ++j) acc[i][j] += ai * bp[j];
    }
  }
  for (int64_t i = 0; i < m_r; ++i) {
    float* row = c + i * ldc;
    for (int64_t j = 0; j < n_r; ++j) {
      float x = tp.alpha * acc[i][j];
      if (tp.beta != 0.0f) x += tp.beta * row[j];
      if (tp.bias != nullptr) x += tp.bias[j];
      row[j] = ApplyActivation(x, tp.act, tp.negative_slope);
    }
  }
}

}  // namespace

const GemmKernels kGemmKernelsRef = {kGemmBlockingRef, &Pack<kMr>, &Pack<kNr>, &MicroKernel,
                                     {0, 0, 0, 0}, 0,         nullptr, nullptr};

}  // namespace tg
