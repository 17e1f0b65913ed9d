// The SIMD code shared by the AVX2 and AVX-512 kernel files, written once: a vector-traits
// struct `V` per ISA, then exp/log/pow and the eltwise and reduce loops over `V`.
//
// Why macros: isa_target.h compiles a region for one ISA by pragma, and GCC gives a function
// the target options in force where it is *defined*. A template from this header (included
// before BEGIN, as isa_target.h asks) would be instantiated without AVX: intrinsics fail to
// inline and vector arguments change ABI. So the shared code is text that each kernel file
// expands inside its region, in an anonymous namespace:
//
//   TG_TARGET_AVX2_BEGIN  namespace tg { namespace {  TG_SIMD_AVX2_TRAITS
//   TG_SIMD_ELTWISE_KERNELS  }  const EltwiseKernels kEltwiseAvx2 = TG_SIMD_ELTWISE_TABLE; }
//
// Inside a macro, comments are /* */: a // comment would swallow the rest of the macro.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/isa_target.h"

#if TG_X86_64
// GCC 12's _mm512_undefined_ps() (behind _mm512_min_ps and others) reads itself to make an
// undefined value, which -Wuninitialized reports once inlined into our code (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

namespace tg {
namespace simd {
// libm stays outside the ISA regions (isa_target.h): the vector pow calls this for the lanes
// its fast path does not cover (zeros, infinities, NaN), so those match std::pow exactly.
inline float ScalarPow(float a, float b) { return std::pow(a, b); }
}  // namespace simd
}  // namespace tg

// ---------------------------------------------------------------------------------------------
// Traits. Both give the same operations with the same semantics; Max/Min/Cmp/Round follow the
// x86 instructions (max(a, b) is a > b ? a : b, so a NaN in `a` is dropped: see NanMax).

// AVX2 + FMA: 8 lanes; a lane mask M is a vector of all-ones / all-zeros lanes.
#define TG_SIMD_AVX2_TRAITS                                                                        \
  struct V {                                                                                       \
    using F = __m256;                                                                              \
    using M = __m256;                                                                              \
    using D = __m256d;                                                                             \
    static constexpr int kLanes = 8;                                                               \
    static constexpr int kAllLanes = 0xff;                                                         \
    static constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;                 \
    static F Set1(float v) { return _mm256_set1_ps(v); }                                           \
    static F Bits(int32_t bits) { return _mm256_castsi256_ps(_mm256_set1_epi32(bits)); }           \
    static F Load(const float* p) { return _mm256_loadu_ps(p); }                                   \
    static void Store(float* p, F v) { _mm256_storeu_ps(p, v); }                                   \
    /* Lanes [0, r), r <= kLanes. Masked lanes are neither read nor written, so a tail never       \
       touches memory past the span. */                                                            \
    static M TailMask(int64_t r) {                                                                 \
      const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);                              \
      const __m256i count = _mm256_set1_epi32(static_cast<int>(r));                                \
      return _mm256_castsi256_ps(_mm256_cmpgt_epi32(count, lane));                                 \
    }                                                                                              \
    static F LoadMask(const float* p, M m) {                                                       \
      return _mm256_maskload_ps(p, _mm256_castps_si256(m));                                        \
    }                                                                                              \
    static F LoadMaskOr(const float* p, M m, F fill) { return Select(m, LoadMask(p, m), fill); }   \
    static void StoreMask(float* p, M m, F v) {                                                    \
      _mm256_maskstore_ps(p, _mm256_castps_si256(m), v);                                           \
    }                                                                                              \
    static void StoreIndexMask(int32_t* p, M m, int32_t v) {                                       \
      int* ints = reinterpret_cast<int*>(p);                                                       \
      _mm256_maskstore_epi32(ints, _mm256_castps_si256(m), _mm256_set1_epi32(v));                  \
    }                                                                                              \
    static F Add(F a, F b) { return _mm256_add_ps(a, b); }                                         \
    static F Sub(F a, F b) { return _mm256_sub_ps(a, b); }                                         \
    static F Mul(F a, F b) { return _mm256_mul_ps(a, b); }                                         \
    static F Div(F a, F b) { return _mm256_div_ps(a, b); }                                         \
    static F Fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }                               \
    static F Sqrt(F a) { return _mm256_sqrt_ps(a); }                                               \
    static F Max(F a, F b) { return _mm256_max_ps(a, b); }                                         \
    static F Min(F a, F b) { return _mm256_min_ps(a, b); }                                         \
    static F Round(F a) { return _mm256_round_ps(a, kNearest); }                                   \
    static F And(F a, F b) { return _mm256_and_ps(a, b); }                                         \
    static F Or(F a, F b) { return _mm256_or_ps(a, b); }                                           \
    static F Xor(F a, F b) { return _mm256_xor_ps(a, b); }                                         \
    static F AndNot(F a, F b) { return _mm256_andnot_ps(a, b); } /* ~a & b */                      \
    template <int kPredicate>                                                                      \
    static M Cmp(F a, F b) { return _mm256_cmp_ps(a, b, kPredicate); }                             \
    static F Select(M m, F a, F b) { return _mm256_blendv_ps(b, a, m); } /* m ? a : b */           \
    static M MAnd(M a, M b) { return _mm256_and_ps(a, b); }                                        \
    static M MOr(M a, M b) { return _mm256_or_ps(a, b); }                                          \
    static M MAndNot(M a, M b) { return _mm256_andnot_ps(a, b); } /* ~a & b */                     \
    static int MBits(M m) { return _mm256_movemask_ps(m); }                                        \
    /* The biased exponent field of x >= 0, as a float. */                                         \
    static F ExponentField(F x) {                                                                  \
      return _mm256_cvtepi32_ps(_mm256_srli_epi32(_mm256_castps_si256(x), 23));                    \
    }                                                                                              \
    /* y * 2^n for integral n in [-150, 128], in two exact steps: 2^n alone may not be a           \
       normal float, and a subnormal result is then rounded once, by the second multiply. */       \
    static F Ldexp(F y, F n) {                                                                     \
      const __m256i ni = _mm256_cvtps_epi32(n);                                                    \
      const __m256i n1 = _mm256_srai_epi32(ni, 1);                                                 \
      const __m256i bias = _mm256_set1_epi32(127);                                                 \
      const __m256i s1 = _mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23);                        \
      const __m256i n2 = _mm256_sub_epi32(ni, n1);                                                 \
      const __m256i s2 = _mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23);                        \
      return Mul(Mul(y, _mm256_castsi256_ps(s1)), _mm256_castsi256_ps(s2));                        \
    }                                                                                              \
    /* Double lanes (pow): the low and high halves of a float vector. */                           \
    static void Split(F x, D* lo, D* hi) {                                                         \
      *lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x));                                            \
      *hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));                                          \
    }                                                                                              \
    static F Join(D lo, D hi) {                                                                    \
      const __m256 low = _mm256_castps128_ps256(_mm256_cvtpd_ps(lo));                              \
      return _mm256_insertf128_ps(low, _mm256_cvtpd_ps(hi), 1);                                    \
    }                                                                                              \
    static D DSet1(double v) { return _mm256_set1_pd(v); }                                         \
    static D DAdd(D a, D b) { return _mm256_add_pd(a, b); }                                        \
    static D DMul(D a, D b) { return _mm256_mul_pd(a, b); }                                        \
    static D DDiv(D a, D b) { return _mm256_div_pd(a, b); }                                        \
    static D DFma(D a, D b, D c) { return _mm256_fmadd_pd(a, b, c); }                              \
    static D DMax(D a, D b) { return _mm256_max_pd(a, b); }                                        \
    static D DMin(D a, D b) { return _mm256_min_pd(a, b); }                                        \
    static D DRound(D a) { return _mm256_round_pd(a, kNearest); }                                  \
    /* q * 2^n for integral n in [-1022, 1023]: n + 1023 lands in the low mantissa bits of         \
       n + 1023 + 1.5 * 2^52, and a 52-bit shift moves just those into the exponent field. */      \
    static D DLdexp(D q, D n) {                                                                    \
      const D k = _mm256_add_pd(n, _mm256_set1_pd(6755399441055744.0 + 1023.0));                   \
      const __m256i pow2 = _mm256_slli_epi64(_mm256_castpd_si256(k), 52);                          \
      return _mm256_mul_pd(q, _mm256_castsi256_pd(pow2));                                          \
    }                                                                                              \
  };

// AVX-512: 16 lanes, masks in k registers. Only AVX-512F intrinsics (no _mm512_and_ps & co.,
// which are AVX-512DQ), as cpu_features checks only F. The BEGIN pragma also enables DQ/BW/VL,
// though, so the compiler may still pick their encodings (it emits vandps zmm for And).
#define TG_SIMD_AVX512_TRAITS                                                                      \
  struct V {                                                                                       \
    using F = __m512;                                                                              \
    using M = __mmask16;                                                                           \
    using D = __m512d;                                                                             \
    static constexpr int kLanes = 16;                                                              \
    static constexpr int kAllLanes = 0xffff;                                                       \
    static constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;                 \
    static F Set1(float v) { return _mm512_set1_ps(v); }                                           \
    static F Bits(int32_t bits) { return _mm512_castsi512_ps(_mm512_set1_epi32(bits)); }           \
    static F Load(const float* p) { return _mm512_loadu_ps(p); }                                   \
    static void Store(float* p, F v) { _mm512_storeu_ps(p, v); }                                   \
    static M TailMask(int64_t r) { return static_cast<M>((1u << r) - 1u); } /* r <= kLanes */      \
    static F LoadMask(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }                 \
    static F LoadMaskOr(const float* p, M m, F fill) { return _mm512_mask_loadu_ps(fill, m, p); }  \
    static void StoreMask(float* p, M m, F v) { _mm512_mask_storeu_ps(p, m, v); }                  \
    static void StoreIndexMask(int32_t* p, M m, int32_t v) {                                       \
      _mm512_mask_storeu_epi32(p, m, _mm512_set1_epi32(v));                                        \
    }                                                                                              \
    static F Add(F a, F b) { return _mm512_add_ps(a, b); }                                         \
    static F Sub(F a, F b) { return _mm512_sub_ps(a, b); }                                         \
    static F Mul(F a, F b) { return _mm512_mul_ps(a, b); }                                         \
    static F Div(F a, F b) { return _mm512_div_ps(a, b); }                                         \
    static F Fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }                               \
    static F Sqrt(F a) { return _mm512_sqrt_ps(a); }                                               \
    static F Max(F a, F b) { return _mm512_max_ps(a, b); }                                         \
    static F Min(F a, F b) { return _mm512_min_ps(a, b); }                                         \
    static F Round(F a) { return _mm512_roundscale_ps(a, kNearest); }                              \
    static __m512i Ints(F a) { return _mm512_castps_si512(a); }                                    \
    static F And(F a, F b) { return _mm512_castsi512_ps(_mm512_and_si512(Ints(a), Ints(b))); }     \
    static F Or(F a, F b) { return _mm512_castsi512_ps(_mm512_or_si512(Ints(a), Ints(b))); }       \
    static F Xor(F a, F b) { return _mm512_castsi512_ps(_mm512_xor_si512(Ints(a), Ints(b))); }     \
    static F AndNot(F a, F b) { return _mm512_castsi512_ps(_mm512_andnot_si512(Ints(a), Ints(b))); } \
    template <int kPredicate>                                                                      \
    static M Cmp(F a, F b) { return _mm512_cmp_ps_mask(a, b, kPredicate); }                        \
    static F Select(M m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); } /* m ? a : b */       \
    static M MAnd(M a, M b) { return static_cast<M>(a & b); }                                      \
    static M MOr(M a, M b) { return static_cast<M>(a | b); }                                       \
    static M MAndNot(M a, M b) { return static_cast<M>(~a & b); } /* ~a & b */                     \
    static int MBits(M m) { return m; }                                                            \
    static F ExponentField(F x) { /* the biased exponent field of x >= 0, as a float */            \
      return _mm512_cvtepi32_ps(_mm512_srli_epi32(_mm512_castps_si512(x), 23));                    \
    }                                                                                              \
    static F Ldexp(F y, F n) { return _mm512_scalef_ps(y, n); } /* y * 2^n, one rounding */        \
    static void Split(F x, D* lo, D* hi) {                                                         \
      *lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x));                                            \
      *hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));     \
    }                                                                                              \
    static F Join(D lo, D hi) {                                                                    \
      const __m512d low = _mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)));           \
      return _mm512_castpd_ps(_mm512_insertf64x4(low, _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));  \
    }                                                                                              \
    static D DSet1(double v) { return _mm512_set1_pd(v); }                                         \
    static D DAdd(D a, D b) { return _mm512_add_pd(a, b); }                                        \
    static D DMul(D a, D b) { return _mm512_mul_pd(a, b); }                                        \
    static D DDiv(D a, D b) { return _mm512_div_pd(a, b); }                                        \
    static D DFma(D a, D b, D c) { return _mm512_fmadd_pd(a, b, c); }                              \
    static D DMax(D a, D b) { return _mm512_max_pd(a, b); }                                        \
    static D DMin(D a, D b) { return _mm512_min_pd(a, b); }                                        \
    static D DRound(D a) { return _mm512_roundscale_pd(a, kNearest); }                             \
    static D DLdexp(D q, D n) { return _mm512_scalef_pd(q, n); }                                   \
  };

// ---------------------------------------------------------------------------------------------
// Helpers both kernel families use.
#define TG_SIMD_COMMON                                                                             \
  /* max/min that propagate a NaN from either side (torch.maximum): the instruction already        \
     returns b when b is NaN; a NaN in a is put back by a blend. */                                \
  inline V::F NanMax(V::F a, V::F b) {                                                             \
    return V::Select(V::Cmp<_CMP_UNORD_Q>(a, a), a, V::Max(a, b));                                 \
  }                                                                                                \
  inline V::F NanMin(V::F a, V::F b) {                                                             \
    return V::Select(V::Cmp<_CMP_UNORD_Q>(a, a), a, V::Min(a, b));                                 \
  }                                                                                                \
  inline float NanMaxScalar(float a, float b) { return (a != a || a > b) ? a : b; }                \
  inline float NanMinScalar(float a, float b) { return (a != a || a < b) ? a : b; }                \
  inline int LowestSetBit(int bits) { /* bits != 0; a loop, as no builtin is portable */           \
    int i = 0;                                                                                     \
    while (((bits >> i) & 1) == 0) ++i;                                                            \
    return i;                                                                                      \
  }

// ---------------------------------------------------------------------------------------------
// exp, log, pow. Cephes-style range reduction and polynomials, with FMA.
#define TG_SIMD_MATH                                                                               \
  /* x = m * 2^e with m in [sqrt(1/2), sqrt(2)), for x > 0 finite (other lanes: garbage). */       \
  inline V::F FrexpSqrt2(V::F x, V::F* e) {                                                        \
    /* A subnormal x is scaled by 2^23 first, so its exponent field is meaningful. */              \
    const V::M tiny = V::Cmp<_CMP_LT_OQ>(x, V::Set1(1.17549435e-38f));                             \
    x = V::Select(tiny, V::Mul(x, V::Set1(8388608.0f)), x);                                        \
    V::F m = V::Or(V::And(x, V::Bits(0x007fffff)), V::Set1(1.0f)); /* [1, 2) */                    \
    const V::F bias = V::Select(tiny, V::Set1(127.0f + 23.0f), V::Set1(127.0f));                   \
    const V::F exponent = V::Sub(V::ExponentField(x), bias);                                       \
    const V::M high = V::Cmp<_CMP_GT_OQ>(m, V::Set1(1.41421356f));                                 \
    m = V::Select(high, V::Mul(m, V::Set1(0.5f)), m);                                              \
    *e = V::Add(exponent, V::Select(high, V::Set1(1.0f), V::Set1(0.0f)));                          \
    return m;                                                                                      \
  }                                                                                                \
  /* x (L) -> e^x. x = n ln2 + r, |r| <= ln2 / 2, e^r = 1 + r + r^2 P(r). x is clamped to          \
     [-104, 89] first, past which e^x is 0 or inf anyway, so n stays in Ldexp's range; the         \
     clamp keeps a NaN (min/max return their second operand then). */                              \
  inline V::F Exp(V::F x) {                                                                        \
    x = V::Max(V::Set1(-104.0f), V::Min(V::Set1(89.0f), x));                                       \
    const V::F n = V::Round(V::Mul(x, V::Set1(1.44269504088896341f)));                             \
    V::F r = V::Fma(n, V::Set1(-0.693359375f), x); /* ln2 in two parts: n * hi is exact */         \
    r = V::Fma(n, V::Set1(2.12194440e-4f), r);                                                     \
    V::F p = V::Set1(1.9875691500e-4f);                                                            \
    p = V::Fma(p, r, V::Set1(1.3981999507e-3f));                                                   \
    p = V::Fma(p, r, V::Set1(8.3334519073e-3f));                                                   \
    p = V::Fma(p, r, V::Set1(4.1665795894e-2f));                                                   \
    p = V::Fma(p, r, V::Set1(1.6666665459e-1f));                                                   \
    p = V::Fma(p, r, V::Set1(5.0000001201e-1f));                                                   \
    const V::F y = V::Add(V::Fma(p, V::Mul(r, r), r), V::Set1(1.0f));                              \
    return V::Ldexp(y, n);                                                                         \
  }                                                                                                \
  /* x (L) -> log(x) = e ln2 + log(m), log(1 + f) = f - f^2 / 2 + f^3 P(f). */                     \
  inline V::F Log(V::F x) {                                                                        \
    V::F e;                                                                                        \
    const V::F f = V::Sub(FrexpSqrt2(x, &e), V::Set1(1.0f));                                       \
    const V::F z = V::Mul(f, f);                                                                   \
    V::F p = V::Set1(7.0376836292e-2f);                                                            \
    p = V::Fma(p, f, V::Set1(-1.1514610310e-1f));                                                  \
    p = V::Fma(p, f, V::Set1(1.1676998740e-1f));                                                   \
    p = V::Fma(p, f, V::Set1(-1.2420140846e-1f));                                                  \
    p = V::Fma(p, f, V::Set1(1.4249322787e-1f));                                                   \
    p = V::Fma(p, f, V::Set1(-1.6668057665e-1f));                                                  \
    p = V::Fma(p, f, V::Set1(2.0000714765e-1f));                                                   \
    p = V::Fma(p, f, V::Set1(-2.4999993993e-1f));                                                  \
    p = V::Fma(p, f, V::Set1(3.3333331174e-1f));                                                   \
    V::F y = V::Mul(V::Mul(p, f), z);                                                              \
    y = V::Fma(e, V::Set1(-2.12194440e-4f), y); /* ln2 in two parts again */                       \
    y = V::Fma(z, V::Set1(-0.5f), y);                                                              \
    V::F r = V::Fma(e, V::Set1(0.693359375f), V::Add(f, y));                                       \
    const V::F inf = V::Set1(INFINITY);                                                            \
    r = V::Select(V::Cmp<_CMP_EQ_OQ>(x, inf), inf, r);                                             \
    r = V::Select(V::Cmp<_CMP_EQ_OQ>(x, V::Set1(0.0f)), V::Set1(-INFINITY), r);                    \
    return V::Select(V::Cmp<_CMP_NGE_UQ>(x, V::Set1(0.0f)), V::Set1(NAN), r); /* x < 0, NaN */     \
  }                                                                                                \
  /* m in [sqrt(1/2), sqrt(2)), e, b (double lanes) -> (m 2^e)^b, in double: a float log/exp       \
     would lose |b log a| * 2^-24 of relative accuracy, ~100 ulp near overflow. */                 \
  inline V::D PowDouble(V::D m, V::D e, V::D b) {                                                  \
    /* log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172: the series to s^13 is              \
       good to 1e-12, far below a float ulp. */                                                    \
    const V::D f = V::DAdd(m, V::DSet1(-1.0));                                                     \
    const V::D s = V::DDiv(f, V::DAdd(f, V::DSet1(2.0)));                                          \
    const V::D s2 = V::DMul(s, s);                                                                 \
    /* Estrin's scheme (here and below): shorter dependency chains than Horner's. */               \
    const V::D s4 = V::DMul(s2, s2);                                                               \
    const V::D p01 = V::DFma(V::DSet1(1.0 / 3), s2, V::DSet1(1.0));                                \
    const V::D p23 = V::DFma(V::DSet1(1.0 / 7), s2, V::DSet1(1.0 / 5));                            \
    const V::D p45 = V::DFma(V::DSet1(1.0 / 11), s2, V::DSet1(1.0 / 9));                           \
    const V::D p456 = V::DFma(V::DSet1(1.0 / 13), s4, p45);                                        \
    const V::D p = V::DFma(V::DFma(p456, s4, p23), s4, p01);                                       \
    const V::D log_a = V::DFma(e, V::DSet1(0.69314718055994531), V::DMul(V::DAdd(s, s), p));       \
    /* Past [-120, 100] the float result is 0 or inf anyway. */                                    \
    V::D y = V::DMul(b, log_a);                                                                    \
    y = V::DMax(V::DSet1(-120.0), V::DMin(V::DSet1(100.0), y));                                    \
    /* e^y = 2^n e^r, |r| <= ln2 / 2: Taylor to r^10 is good to 2e-13. */                          \
    const V::D n = V::DRound(V::DMul(y, V::DSet1(1.4426950408889634)));                            \
    const V::D r = V::DFma(n, V::DSet1(-0.69314718055994531), y);                                  \
    const V::D r2 = V::DMul(r, r);                                                                 \
    const V::D r4 = V::DMul(r2, r2);                                                               \
    const V::D q01 = V::DAdd(r, V::DSet1(1.0));                                                    \
    const V::D q23 = V::DFma(V::DSet1(1.0 / 6), r, V::DSet1(0.5));                                 \
    const V::D q45 = V::DFma(V::DSet1(1.0 / 120), r, V::DSet1(1.0 / 24));                          \
    const V::D q67 = V::DFma(V::DSet1(1.0 / 5040), r, V::DSet1(1.0 / 720));                        \
    const V::D q89 = V::DFma(V::DSet1(1.0 / 362880), r, V::DSet1(1.0 / 40320));                    \
    const V::D q8_10 = V::DFma(V::DSet1(1.0 / 3628800), r2, q89);                                  \
    const V::D q4_10 = V::DFma(q8_10, r4, V::DFma(q67, r2, q45));                                  \
    const V::D q = V::DFma(q4_10, r4, V::DFma(q23, r2, q01));                                      \
    return V::DLdexp(q, n);                                                                        \
  }                                                                                                \
  /* a, b (L) -> std::pow(a, b). The vector path covers finite nonzero a and finite b (a < 0:      \
     |a|^b with the sign of an odd integer b, NaN for a non-integer b); any other lane is          \
     recomputed by std::pow, which owns the special cases. */                                      \
  inline V::F Pow(V::F a, V::F b) {                                                                \
    const V::F abs_a = V::AndNot(V::Set1(-0.0f), a);                                               \
    V::F e;                                                                                        \
    const V::F m = FrexpSqrt2(abs_a, &e);                                                          \
    V::D m_lo, m_hi, e_lo, e_hi, b_lo, b_hi;                                                       \
    V::Split(m, &m_lo, &m_hi);                                                                     \
    V::Split(e, &e_lo, &e_hi);                                                                     \
    V::Split(b, &b_lo, &b_hi);                                                                     \
    V::F r = V::Join(PowDouble(m_lo, e_lo, b_lo), PowDouble(m_hi, e_hi, b_hi));                    \
    const V::M integral = V::Cmp<_CMP_EQ_OQ>(V::Round(b), b);                                      \
    const V::F half_b = V::Mul(b, V::Set1(0.5f)); /* exact; integral for every |b| >= 2^24 */      \
    const V::M odd = V::MAndNot(V::Cmp<_CMP_EQ_OQ>(V::Round(half_b), half_b), integral);           \
    const V::M negative = V::Cmp<_CMP_LT_OQ>(a, V::Set1(0.0f));                                    \
    r = V::Select(V::MAnd(negative, odd), V::Xor(r, V::Set1(-0.0f)), r);                           \
    r = V::Select(V::MAndNot(integral, negative), V::Set1(NAN), r);                                \
    const V::F inf = V::Set1(INFINITY);                                                            \
    const V::M nonzero_a = V::Cmp<_CMP_GT_OQ>(abs_a, V::Set1(0.0f));                               \
    const V::M finite_a = V::MAnd(nonzero_a, V::Cmp<_CMP_LT_OQ>(abs_a, inf));                      \
    const V::M covered = V::MAnd(finite_a, V::Cmp<_CMP_LT_OQ>(V::AndNot(V::Set1(-0.0f), b), inf)); \
    if (V::MBits(covered) == V::kAllLanes) return r;                                               \
    float av[V::kLanes], bv[V::kLanes], rv[V::kLanes];                                             \
    V::Store(av, a);                                                                               \
    V::Store(bv, b);                                                                               \
    V::Store(rv, r);                                                                               \
    const int bits = V::MBits(covered);                                                            \
    for (int i = 0; i < V::kLanes; ++i) {                                                          \
      if (((bits >> i) & 1) == 0) rv[i] = ::tg::simd::ScalarPow(av[i], bv[i]);                     \
    }                                                                                              \
    return V::Load(rv);                                                                            \
  }

// ---------------------------------------------------------------------------------------------
// Eltwise kernels (contracts in eltwise.h). Each loop runs whole vectors, then one masked
// vector for the n % kLanes tail. out may alias a stride-1 input: every vector is loaded
// before the same lanes are stored.
#define TG_SIMD_ELTWISE_KERNELS                                                                    \
  TG_SIMD_COMMON                                                                                   \
  TG_SIMD_MATH                                                                                     \
  /* x (n) -> out (n) */                                                                           \
  template <class Op>                                                                              \
  void UnaryLoop(const float* x, float* out, int64_t n, Op op) {                                   \
    int64_t i = 0;                                                                                 \
    for (; i + V::kLanes <= n; i += V::kLanes) V::Store(out + i, op(V::Load(x + i)));              \
    if (i < n) {                                                                                   \
      const V::M m = V::TailMask(n - i);                                                           \
      V::StoreMask(out + i, m, op(V::LoadMask(x + i, m)));                                         \
    }                                                                                              \
  }                                                                                                \
  template <class Op>                                                                              \
  void Unary(const float* x, float* out, int64_t n) { UnaryLoop(x, out, n, Op()); }                \
  /* a (n or 1), b (n or 1) -> out (n). A stride-0 operand is broadcast once, before the loop. */  \
  template <class Op, bool kVectorA, bool kVectorB>                                                \
  void BinaryLoop(const float* a, const float* b, float* out, int64_t n) {                         \
    const V::F a1 = V::Set1(kVectorA ? 0.0f : *a);                                                 \
    const V::F b1 = V::Set1(kVectorB ? 0.0f : *b);                                                 \
    int64_t i = 0;                                                                                 \
    for (; i + V::kLanes <= n; i += V::kLanes) {                                                   \
      V::Store(out + i, Op()(kVectorA ? V::Load(a + i) : a1, kVectorB ? V::Load(b + i) : b1));     \
    }                                                                                              \
    if (i < n) {                                                                                   \
      const V::M m = V::TailMask(n - i);                                                           \
      const V::F va = kVectorA ? V::LoadMask(a + i, m) : a1;                                       \
      V::StoreMask(out + i, m, Op()(va, kVectorB ? V::LoadMask(b + i, m) : b1));                   \
    }                                                                                              \
  }                                                                                                \
  template <class Op>                                                                              \
  void Binary(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {     \
    if (n <= 0) return;                                                                            \
    if (sa != 0 && sb != 0) return BinaryLoop<Op, true, true>(a, b, out, n);                       \
    if (sa != 0) return BinaryLoop<Op, true, false>(a, b, out, n);                                 \
    if (sb != 0) return BinaryLoop<Op, false, true>(a, b, out, n);                                 \
    BinaryLoop<Op, false, false>(a, b, out, n);                                                    \
  }                                                                                                \
  struct NegOp { V::F operator()(V::F x) const { return V::Xor(x, V::Set1(-0.0f)); } };            \
  struct ExpOp { V::F operator()(V::F x) const { return Exp(x); } };                               \
  struct LogOp { V::F operator()(V::F x) const { return Log(x); } };                               \
  struct SqrtOp { V::F operator()(V::F x) const { return V::Sqrt(x); } };                          \
  struct AbsOp { V::F operator()(V::F x) const { return V::AndNot(V::Set1(-0.0f), x); } };         \
  struct AddOp { V::F operator()(V::F a, V::F b) const { return V::Add(a, b); } };                 \
  struct SubOp { V::F operator()(V::F a, V::F b) const { return V::Sub(a, b); } };                 \
  struct MulOp { V::F operator()(V::F a, V::F b) const { return V::Mul(a, b); } };                 \
  struct DivOp { V::F operator()(V::F a, V::F b) const { return V::Div(a, b); } };                 \
  struct PowOp { V::F operator()(V::F a, V::F b) const { return Pow(a, b); } };                    \
  struct MaximumOp { V::F operator()(V::F a, V::F b) const { return NanMax(a, b); } };             \
  struct MinimumOp { V::F operator()(V::F a, V::F b) const { return NanMin(a, b); } };             \
  /* a (n or 1), b (n or 1) -> out (n). x^2 is common (variances, losses), and x * x is the        \
     correctly rounded square, as good as pow can be: it skips the log/exp. */                     \
  void PowKernel(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {  \
    if (n > 0 && sb == 0 && *b == 2.0f) return Binary<MulOp>(a, sa, a, sa, out, n);                \
    Binary<PowOp>(a, sa, b, sb, out, n);                                                           \
  }                                                                                                \
  /* x (n) -> out (n). min(hi, max(lo, x)) as the instructions define them keeps a NaN x. */       \
  struct ClampOp {                                                                                 \
    V::F lo, hi;                                                                                   \
    V::F operator()(V::F x) const { return V::Min(hi, V::Max(lo, x)); }                            \
  };                                                                                               \
  void Clamp(const float* x, float* out, int64_t n, float lo, float hi) {                          \
    UnaryLoop(x, out, n, ClampOp{V::Set1(lo), V::Set1(hi)});                                       \
  }

// The table, in UnaryOp and BinaryOp order.
#define TG_SIMD_ELTWISE_TABLE                                                                      \
  {                                                                                                \
    {&Unary<NegOp>, &Unary<ExpOp>, &Unary<LogOp>, &Unary<SqrtOp>, &Unary<AbsOp>},                  \
    {&Binary<AddOp>, &Binary<SubOp>, &Binary<MulOp>, &Binary<DivOp>, &PowKernel,                   \
     &Binary<MaximumOp>, &Binary<MinimumOp>},                                                      \
    &Clamp                                                                                         \
  }

// ---------------------------------------------------------------------------------------------
// Reduce kernels (contracts in reduce.h).
#define TG_SIMD_REDUCE_KERNELS                                                                     \
  TG_SIMD_COMMON                                                                                   \
  /* Lanes folded in a fixed tree, so a sum is the same for the same input. */                     \
  inline float HorizontalSum(V::F v) {                                                             \
    float t[V::kLanes];                                                                            \
    V::Store(t, v);                                                                                \
    for (int w = V::kLanes / 2; w > 0; w /= 2) {                                                   \
      for (int i = 0; i < w; ++i) t[i] += t[i + w];                                                \
    }                                                                                              \
    return t[0];                                                                                   \
  }                                                                                                \
  /* x (n) -> sum. Four accumulators hide the add latency. Each block of kBlock values is          \
     summed on its own and then added to the total, so rounding error grows with about             \
     kBlock / kStep + n / kBlock rather than n / kStep. */                                         \
  float SumSpan(const float* x, int64_t n) {                                                       \
    constexpr int64_t kStep = 4 * V::kLanes;                                                       \
    constexpr int64_t kBlock = 64 * kStep;                                                         \
    V::F total = V::Set1(0.0f);                                                                    \
    for (int64_t start = 0; start < n; start += kBlock) {                                          \
      const int64_t end = n - start < kBlock ? n : start + kBlock;                                 \
      V::F s0 = V::Set1(0.0f), s1 = s0, s2 = s0, s3 = s0;                                          \
      int64_t i = start;                                                                           \
      for (; i + kStep <= end; i += kStep) {                                                       \
        s0 = V::Add(s0, V::Load(x + i));                                                           \
        s1 = V::Add(s1, V::Load(x + i + V::kLanes));                                               \
        s2 = V::Add(s2, V::Load(x + i + 2 * V::kLanes));                                           \
        s3 = V::Add(s3, V::Load(x + i + 3 * V::kLanes));                                           \
      }                                                                                            \
      for (; i + V::kLanes <= end; i += V::kLanes) s0 = V::Add(s0, V::Load(x + i));                \
      if (i < end) s1 = V::Add(s1, V::LoadMask(x + i, V::TailMask(end - i)));                      \
      total = V::Add(total, V::Add(V::Add(s0, s1), V::Add(s2, s3)));                               \
    }                                                                                              \
    return HorizontalSum(total);                                                                   \
  }                                                                                                \
  template <bool kMax>                                                                             \
  V::F Extreme(V::F a, V::F b) { return kMax ? NanMax(a, b) : NanMin(a, b); }                      \
  /* x (n >= 1) -> max or min; NaN if any element is NaN. */                                       \
  template <bool kMax>                                                                             \
  float ExtremeSpan(const float* x, int64_t n) {                                                   \
    const V::F fill = V::Set1(kMax ? -INFINITY : INFINITY);                                        \
    V::F e0 = fill, e1 = fill;                                                                     \
    int64_t i = 0;                                                                                 \
    for (; i + 2 * V::kLanes <= n; i += 2 * V::kLanes) {                                           \
      e0 = Extreme<kMax>(e0, V::Load(x + i));                                                      \
      e1 = Extreme<kMax>(e1, V::Load(x + i + V::kLanes));                                          \
    }                                                                                              \
    for (; i + V::kLanes <= n; i += V::kLanes) e0 = Extreme<kMax>(e0, V::Load(x + i));             \
    if (i < n) e1 = Extreme<kMax>(e1, V::LoadMaskOr(x + i, V::TailMask(n - i), fill));             \
    float t[V::kLanes];                                                                            \
    V::Store(t, Extreme<kMax>(e0, e1));                                                            \
    float r = t[0];                                                                                \
    for (int j = 1; j < V::kLanes; ++j) {                                                          \
      r = kMax ? NanMaxScalar(r, t[j]) : NanMinScalar(r, t[j]);                                    \
    }                                                                                              \
    return r;                                                                                      \
  }                                                                                                \
  /* x (n) -> index of the first element equal to target (the first NaN if target is NaN).         \
     Masked loads all the way: the loop exits at the first match anyway. */                        \
  int64_t FindFirst(const float* x, int64_t n, float target) {                                     \
    const bool nan = target != target;                                                             \
    const V::F t = V::Set1(target);                                                                \
    for (int64_t i = 0; i < n; i += V::kLanes) {                                                   \
      const V::M m = V::TailMask(n - i < V::kLanes ? n - i : V::kLanes);                           \
      const V::F v = V::LoadMask(x + i, m);                                                        \
      const V::M hit = nan ? V::Cmp<_CMP_UNORD_Q>(v, v) : V::Cmp<_CMP_EQ_OQ>(v, t);                \
      const int bits = V::MBits(V::MAnd(hit, m));                                                  \
      if (bits != 0) return i + LowestSetBit(bits);                                                \
    }                                                                                              \
    return 0; /* unreachable: target is an element of x */                                         \
  }                                                                                                \
  /* x (n >= 1) -> index of the first max (min); the first NaN wins. Two passes (the value,        \
     then its first index) keep the vector loop free of index bookkeeping. */                      \
  template <bool kMax>                                                                             \
  int64_t ArgSpan(const float* x, int64_t n) {                                                     \
    return FindFirst(x, n, ExtremeSpan<kMax>(x, n));                                               \
  }                                                                                                \
  /* acc (n), x (n): acc = op(acc, x). */                                                          \
  template <class Op>                                                                              \
  void RowLoop(float* acc, const float* x, int64_t n) {                                            \
    int64_t i = 0;                                                                                 \
    for (; i + V::kLanes <= n; i += V::kLanes) {                                                   \
      V::Store(acc + i, Op()(V::Load(acc + i), V::Load(x + i)));                                   \
    }                                                                                              \
    if (i < n) {                                                                                   \
      const V::M m = V::TailMask(n - i);                                                           \
      V::StoreMask(acc + i, m, Op()(V::LoadMask(acc + i, m), V::LoadMask(x + i, m)));              \
    }                                                                                              \
  }                                                                                                \
  struct SumOp { V::F operator()(V::F a, V::F b) const { return V::Add(a, b); } };                 \
  struct MaxOp { V::F operator()(V::F a, V::F b) const { return NanMax(a, b); } };                 \
  struct MinOp { V::F operator()(V::F a, V::F b) const { return NanMin(a, b); } };                 \
  /* best (n), index (n), x (n): where x beats best (strictly, or x is NaN and best is not),       \
     best = x and index = row. Only the lanes that change are stored. */                           \
  template <bool kMax>                                                                             \
  void ArgRow(float* best, int32_t* index, const float* x, int64_t n, int32_t row) {               \
    for (int64_t i = 0; i < n; i += V::kLanes) {                                                   \
      const V::M m = V::TailMask(n - i < V::kLanes ? n - i : V::kLanes);                           \
      const V::F v = V::LoadMask(x + i, m);                                                        \
      const V::F b = V::LoadMask(best + i, m);                                                     \
      const V::M nan_v = V::Cmp<_CMP_UNORD_Q>(v, v);                                               \
      V::M beats = V::Cmp<kMax ? _CMP_GT_OQ : _CMP_LT_OQ>(v, b);                                   \
      beats = V::MAnd(V::MOr(beats, V::MAndNot(V::Cmp<_CMP_UNORD_Q>(b, b), nan_v)), m);            \
      V::StoreMask(best + i, beats, v);                                                            \
      V::StoreIndexMask(index + i, beats, row);                                                    \
    }                                                                                              \
  }

// The table, in ReduceOp order.
#define TG_SIMD_REDUCE_TABLE                                                                       \
  {                                                                                                \
    {&SumSpan, &ExtremeSpan<true>, &ExtremeSpan<false>},                                           \
    {&RowLoop<SumOp>, &RowLoop<MaxOp>, &RowLoop<MinOp>},                                           \
    &ArgSpan<true>, &ArgSpan<false>, &ArgRow<true>, &ArgRow<false>                                 \
  }
