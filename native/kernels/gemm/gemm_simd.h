// The x86 GEMM code shared by microkernel_avx2.cc and microkernel_avx512.cc, written once as
// macros over the vector traits `V` of simd_math.h, for the reason simd_math.h gives: each
// kernel file expands them inside its ISA region, in an anonymous namespace, after
// TG_SIMD_*_TRAITS and TG_SIMD_MATH, with kMr, kNr and kPrefetchA defined:
//
//   TG_TARGET_AVX2_BEGIN  namespace tg { namespace {  TG_SIMD_AVX2_TRAITS  TG_SIMD_MATH
//   constexpr int kMr = ..., kNr = ..., kPrefetchA = ...;
//   TG_GEMM_SIMD_PACK  TG_GEMM_SIMD_ACTIVATION  TG_GEMM_SIMD_MICROKERNEL  }
//   const GemmKernels kGemmKernelsAvx2 = TG_GEMM_SIMD_TABLE(kGemmBlockingAvx2);  }  TG_TARGET_END
//
// Contracts (packed layouts, packing, micro-kernel) are in microkernel.h.
// Inside a macro, comments are /* */ and pragmas are _Pragma.
#pragma once

#include <cstdint>

#include "kernels/gemm/microkernel.h"
#include "kernels/isa_target.h"
#include "kernels/simd_math.h"  // <immintrin.h>, with GCC 12's false warnings silenced

#if defined(__clang__)
#define TG_GEMM_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define TG_GEMM_UNROLL _Pragma("GCC unroll 64")
#else
#define TG_GEMM_UNROLL
#endif

// ---------------------------------------------------------------------------------------------
// Packing with 8-lane (ymm) moves and 8×8 transposes; AVX-512 CPUs run these as they are.
#define TG_GEMM_SIMD_PACK                                                                          \
  /* r[l] = lane l at depths 0..7  ->  r[d] = lanes 0..7 at depth d */                             \
  inline void Transpose8x8(__m256* r) {                                                            \
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);        \
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);        \
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);        \
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);        \
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xee);       \
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xee);       \
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xee);       \
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xee);       \
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);                                                   \
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);                                                   \
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);                                                   \
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);                                                   \
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);                                                   \
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);                                                   \
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);                                                   \
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);                                                   \
  }                                                                                                \
  /* Lanes g·8 .. g·8+7 (zero past w) at depths p..p+7, transposed: r[d] = those lanes at p+d. */  \
  inline void LoadTransposed(const float* src, int64_t ld, int64_t w, int g, int64_t p,            \
                             __m256* r) {                                                          \
    TG_GEMM_UNROLL                                                                                 \
    for (int q = 0; q < 8; ++q) {                                                                  \
      const int64_t l = g * 8 + q;                                                                 \
      r[q] = l < w ? _mm256_loadu_ps(src + l * ld + p) : _mm256_setzero_ps();                      \
    }                                                                                              \
    Transpose8x8(r);                                                                               \
  }                                                                                                \
  /* One W-lane micro-panel, element (l, p) at src[l·ld + p], l < w <= W -> dst[p·W + l]. */       \
  template <int W>                                                                                 \
  void PackPanelStrided(const float* src, int64_t ld, int64_t w, int64_t kc, float* dst) {        \
    constexpr int kGroups = (W + 7) / 8;                                                           \
    int64_t p = 0;                                                                                 \
    for (; p + 8 <= kc; p += 8) {                                                                  \
      if (W % 8 == 0) { /* each group's stores are whole: one group in registers at a time */      \
        for (int g = 0; g < kGroups; ++g) {                                                        \
          __m256 r[8];                                                                             \
          LoadTransposed(src, ld, w, g, p, r);                                                     \
          TG_GEMM_UNROLL                                                                           \
          for (int d = 0; d < 8; ++d) _mm256_storeu_ps(dst + (p + d) * W + g * 8, r[d]);          \
        }                                                                                          \
      } else { /* the last group's store runs past lane W into the next depth's first lanes,       \
                  which the next store in depth order overwrites (or the slack, at the end) */     \
        __m256 r[kGroups][8];                                                                      \
        TG_GEMM_UNROLL                                                                             \
        for (int g = 0; g < kGroups; ++g) LoadTransposed(src, ld, w, g, p, r[g]);                  \
        TG_GEMM_UNROLL                                                                             \
        for (int d = 0; d < 8; ++d) {                                                              \
          TG_GEMM_UNROLL                                                                           \
          for (int g = 0; g < kGroups; ++g) _mm256_storeu_ps(dst + (p + d) * W + g * 8, r[g][d]);  \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
    for (; p < kc; ++p) {                                                                          \
      for (int l = 0; l < W; ++l) dst[p * W + l] = l < w ? src[l * ld + p] : 0.0f;                 \
    }                                                                                              \
  }                                                                                                \
  /* One W-lane micro-panel, element (l, p) at src[p·ld + l], l < w <= W -> dst[p·W + l]. */       \
  template <int W>                                                                                 \
  void PackPanelContiguous(const float* src, int64_t ld, int64_t w, int64_t kc, float* dst) {     \
    if (w < W) {                                                                                   \
      for (int64_t p = 0; p < kc; ++p) {                                                           \
        for (int l = 0; l < W; ++l) dst[p * W + l] = l < w ? src[p * ld + l] : 0.0f;               \
      }                                                                                            \
      return;                                                                                      \
    }                                                                                              \
    for (int64_t p = 0; p < kc; ++p) {                                                             \
      const float* s = src + p * ld;                                                               \
      float* d = dst + p * W;                                                                      \
      TG_GEMM_UNROLL                                                                               \
      for (int l = 0; l + 8 <= W; l += 8) _mm256_storeu_ps(d + l, _mm256_loadu_ps(s + l));         \
      constexpr int kTail = W / 8 * 8;                                                             \
      if (W - kTail >= 4) _mm_storeu_ps(d + kTail, _mm_loadu_ps(s + kTail));                       \
      TG_GEMM_UNROLL                                                                               \
      for (int l = kTail + (W - kTail >= 4 ? 4 : 0); l < W; ++l) d[l] = s[l];                      \
    }                                                                                              \
  }                                                                                                \
  /* GemmPackFn (microkernel.h) for micro-panels of width W. */                                    \
  template <int W>                                                                                 \
  void Pack(bool lane_contiguous, const float* src, int64_t ld, int64_t lanes, int64_t kc,         \
            float* dst) {                                                                          \
    for (int64_t l0 = 0; l0 < lanes; l0 += W, dst += W * kc) {                                     \
      const int64_t w = lanes - l0 < W ? lanes - l0 : W;                                           \
      if (lane_contiguous) {                                                                       \
        PackPanelContiguous<W>(src + l0, ld, w, kc, dst);                                          \
      } else {                                                                                     \
        PackPanelStrided<W>(src + l0 * ld, ld, w, kc, dst);                                        \
      }                                                                                            \
    }                                                                                              \
  }

// ---------------------------------------------------------------------------------------------
// Activations on a vector, matching ApplyActivation (microkernel.h): relu and leaky relu bit
// for bit (NaN kept), sigmoid and tanh within a few ulp.
#define TG_GEMM_SIMD_ACTIVATION                                                                    \
  /* 1 / (1 + e^-x) */                                                                             \
  __attribute__((noinline)) V::F Sigmoid(V::F x) {                                                 \
    const V::F one = V::Set1(1.0f);                                                                \
    return V::Div(one, V::Add(one, Exp(V::Xor(x, V::Set1(-0.0f)))));                               \
  }                                                                                                \
  /* |x| < 0.625: x + x^3 P(x^2), a least-squares fit (1.3 ulp); else (1 - e) / (1 + e) with       \
     e = e^-2|x| (2.7 ulp), which has no cancellation there. The sign is put back last. */         \
  __attribute__((noinline)) V::F Tanh(V::F x) {                                                    \
    const V::F sign = V::And(x, V::Set1(-0.0f));                                                   \
    const V::F ax = V::Xor(x, sign);                                                               \
    const V::F one = V::Set1(1.0f);                                                                \
    const V::F e = Exp(V::Mul(ax, V::Set1(-2.0f)));                                                \
    const V::F large = V::Div(V::Sub(one, e), V::Add(one, e));                                     \
    const V::F y = V::Mul(ax, ax);                                                                 \
    V::F p = V::Set1(-5.7188915e-3f);                                                              \
    p = V::Fma(p, y, V::Set1(2.0653063e-2f));                                                      \
    p = V::Fma(p, y, V::Set1(-5.3744640e-2f));                                                     \
    p = V::Fma(p, y, V::Set1(1.3331513e-1f));                                                      \
    p = V::Fma(p, y, V::Set1(-3.3333287e-1f));                                                     \
    const V::F small = V::Fma(V::Mul(ax, y), p, ax);                                               \
    return V::Or(V::Select(V::Cmp<_CMP_LT_OQ>(ax, V::Set1(0.625f)), small, large), sign);          \
  }                                                                                                \
  inline V::F Activate(V::F x, Activation act, float negative_slope) {                             \
    switch (act) {                                                                                 \
      case Activation::kIdentity: return x;                                                        \
      case Activation::kRelu: return V::Max(V::Set1(0.0f), x); /* 0 > x ? 0 : x, keeps NaN */      \
      case Activation::kLeakyRelu:                                                                 \
        return V::Select(V::Cmp<_CMP_LT_OQ>(x, V::Set1(0.0f)), V::Mul(x, V::Set1(negative_slope)), x); \
      case Activation::kSigmoid: return Sigmoid(x);                                                \
      case Activation::kTanh: return Tanh(x);                                                      \
    }                                                                                              \
    return x;                                                                                      \
  }

// ---------------------------------------------------------------------------------------------
// The micro-kernel: a kRows × (kVecs·kLanes) tile of accumulators, kRows <= kMr and
// kVecs <= kNr / kLanes chosen by MicroKernel for the edge at hand, so an edge tile costs only
// the FMAs it needs. Per depth p: kVecs loads of b, kRows broadcasts of a, kRows·kVecs FMAs.
#define TG_GEMM_SIMD_MICROKERNEL                                                                   \
  template <int kRows, int kVecs>                                                                  \
  inline void Step(const float* a, const float* b, V::F (&acc)[kRows][kVecs]) {                   \
    V::F bv[kVecs];                                                                                \
    TG_GEMM_UNROLL                                                                                 \
    for (int v = 0; v < kVecs; ++v) bv[v] = V::Load(b + v * V::kLanes);                            \
    TG_GEMM_UNROLL                                                                                 \
    for (int i = 0; i < kRows; ++i) {                                                              \
      const V::F ai = V::Set1(a[i]);                                                               \
      TG_GEMM_UNROLL                                                                               \
      for (int v = 0; v < kVecs; ++v) acc[i][v] = V::Fma(ai, bv[v], acc[i][v]);                    \
    }                                                                                              \
  }                                                                                                \
  /* Stores the tile with alpha, beta, bias and the activation; kMasked: columns past n_r are      \
     neither read nor written. */                                                                  \
  template <bool kMasked, int kRows, int kVecs>                                                    \
  inline void StoreTile(V::F (&acc)[kRows][kVecs], float* c, int64_t ldc, int64_t n_r,             \
                        const GemmTileParams& tp) {                                                \
    V::M mask[kVecs];                                                                              \
    TG_GEMM_UNROLL                                                                                 \
    for (int v = 0; v < kVecs; ++v) {                                                              \
      const int64_t left = n_r - v * V::kLanes;                                                    \
      mask[v] = V::TailMask(left < V::kLanes ? left : V::kLanes);                                  \
    }                                                                                              \
    const V::F alpha = V::Set1(tp.alpha), beta = V::Set1(tp.beta);                                 \
    TG_GEMM_UNROLL                                                                                 \
    for (int i = 0; i < kRows; ++i) {                                                              \
      TG_GEMM_UNROLL                                                                               \
      for (int v = 0; v < kVecs; ++v) {                                                            \
        float* cv = c + i * ldc + v * V::kLanes;                                                   \
        V::F x = V::Mul(acc[i][v], alpha);                                                         \
        if (tp.beta != 0.0f) x = V::Fma(beta, kMasked ? V::LoadMask(cv, mask[v]) : V::Load(cv), x); \
        if (tp.bias != nullptr) {                                                                  \
          const float* bias = tp.bias + v * V::kLanes;                                             \
          x = V::Add(x, kMasked ? V::LoadMask(bias, mask[v]) : V::Load(bias));                     \
        }                                                                                          \
        x = Activate(x, tp.act, tp.negative_slope);                                                \
        if (kMasked) {                                                                             \
          V::StoreMask(cv, mask[v], x);                                                            \
        } else {                                                                                   \
          V::Store(cv, x);                                                                         \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
  template <int kRows, int kVecs>                                                                  \
  void Tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t n_r,        \
            const GemmTileParams& tp) {                                                            \
    TG_GEMM_UNROLL                                                                                 \
    for (int i = 0; i < kRows; ++i) { /* C is needed at the end: start fetching it now */          \
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);                       \
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kVecs * V::kLanes - 1), _MM_HINT_T0); \
    }                                                                                              \
    V::F acc[kRows][kVecs];                                                                        \
    TG_GEMM_UNROLL                                                                                 \
    for (int i = 0; i < kRows; ++i) {                                                              \
      TG_GEMM_UNROLL                                                                               \
      for (int v = 0; v < kVecs; ++v) acc[i][v] = V::Set1(0.0f);                                   \
    }                                                                                              \
    int64_t p = 0;                                                                                 \
    for (; p + 4 <= kc; p += 4) {                                                                  \
      _mm_prefetch(reinterpret_cast<const char*>(a + kPrefetchA), _MM_HINT_T0);                    \
      Step<kRows, kVecs>(a, b, acc);                                                               \
      Step<kRows, kVecs>(a + kMr, b + kNr, acc);                                                   \
      Step<kRows, kVecs>(a + 2 * kMr, b + 2 * kNr, acc);                                           \
      Step<kRows, kVecs>(a + 3 * kMr, b + 3 * kNr, acc);                                           \
      a += 4 * kMr;                                                                                \
      b += 4 * kNr;                                                                                \
    }                                                                                              \
    for (; p < kc; ++p, a += kMr, b += kNr) Step<kRows, kVecs>(a, b, acc);                         \
    if (n_r == kVecs * V::kLanes) {                                                                \
      StoreTile<false>(acc, c, ldc, n_r, tp);                                                      \
    } else {                                                                                       \
      StoreTile<true>(acc, c, ldc, n_r, tp);                                                       \
    }                                                                                              \
  }                                                                                                \
  /* The tile with exactly m_r rows and the fewest vectors covering n_r columns. */                \
  template <int kRows, int kVecs>                                                                  \
  void TileForColumns(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,           \
                      int64_t n_r, const GemmTileParams& tp) {                                     \
    if constexpr (kVecs > 1) {                                                                     \
      if (n_r <= (kVecs - 1) * V::kLanes) {                                                        \
        TileForColumns<kRows, kVecs - 1>(kc, a, b, c, ldc, n_r, tp);                               \
        return;                                                                                    \
      }                                                                                            \
    }                                                                                              \
    Tile<kRows, kVecs>(kc, a, b, c, ldc, n_r, tp);                                                 \
  }                                                                                                \
  template <int kRows>                                                                             \
  void TileForRows(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m_r, \
                   int64_t n_r, const GemmTileParams& tp) {                                        \
    if constexpr (kRows > 1) {                                                                     \
      if (m_r < kRows) {                                                                           \
        TileForRows<kRows - 1>(kc, a, b, c, ldc, m_r, n_r, tp);                                    \
        return;                                                                                    \
      }                                                                                            \
    }                                                                                              \
    TileForColumns<kRows, kNr / V::kLanes>(kc, a, b, c, ldc, n_r, tp);                             \
  }                                                                                                \
  /* GemmMicroKernel (microkernel.h). */                                                           \
  void MicroKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m_r, \
                   int64_t n_r, const GemmTileParams& tp) {                                        \
    TileForRows<kMr>(kc, a, b, c, ldc, m_r, n_r, tp);                                              \
  }

#define TG_GEMM_SIMD_TABLE(blocking) {blocking, &Pack<kMr>, &Pack<kNr>, &MicroKernel}
