// Eltwise and reduce kernels: every ISA the CPU supports (the scalar reference included) is
// checked against naive loops over <cmath>, across lengths that straddle the vector widths,
// every stride combination, random inputs and the special values (zeros, infinities, NaN,
// subnormals, overflow and underflow edges).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#if defined(__unix__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "kernels/kernel_table.h"
#include "testing.h"

namespace {

using tg::BinaryOp;
using tg::Isa;
using tg::ReduceOp;
using tg::UnaryOp;

const int64_t kLengths[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1000, 4097};
const float kInf = INFINITY;
const float kNan = NAN;

std::vector<const tg::KernelTable*> Tables() {
  std::vector<const tg::KernelTable*> tables;
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
    if (tg::IsaSupported(isa)) tables.push_back(&tg::KernelsFor(isa));
  }
  return tables;
}

std::string Where(const tg::KernelTable& t, const char* op, int64_t n, int64_t i) {
  return std::string(tg::IsaName(t.isa)) + " " + op + " n=" + std::to_string(n) +
         " i=" + std::to_string(i);
}

uint32_t BitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

// Distance in representable floats (+0 and -0 coincide, inf is one past FLT_MAX); NaN is at
// distance 0 from NaN and infinitely far from anything else.
int64_t UlpDistance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
  auto ordered = [](float x) {
    const int64_t bits = static_cast<int32_t>(BitsOf(x));
    return bits < 0 ? INT32_MIN - bits : bits;
  };
  const int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

// Identical bits, signed zeros included; any NaN matches any NaN.
bool Same(float a, float b) { return std::isnan(a) ? std::isnan(b) : BitsOf(a) == BitsOf(b); }

std::string Show(float x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (0x%08x)", static_cast<double>(x), BitsOf(x));
  return buf;
}

// n random values in [lo, hi], with `specials` spliced in at every third position.
std::vector<float> Inputs(int64_t n, float lo, float hi, const std::vector<float>& specials,
                          uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const bool special = i % 3 == 1 && !specials.empty();
    v[i] = special ? specials[(i / 3 + seed) % specials.size()] : dist(rng);
  }
  return v;
}

// Compares got with want element by element; reports the first mismatch only, so a broken
// kernel does not flood the log. Returns the largest ulp distance seen.
int64_t Check(const tg::KernelTable& t, const char* op, const std::vector<float>& got,
              const std::vector<float>& want, int64_t max_ulp,
              const std::vector<float>* a = nullptr, const std::vector<float>* b = nullptr) {
  int64_t worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const int64_t d = max_ulp > 0 ? UlpDistance(got[i], want[i])
                                  : (Same(got[i], want[i]) ? 0 : INT64_MAX);
    if (d > max_ulp) {
      std::string what = Where(t, op, static_cast<int64_t>(want.size()), static_cast<int64_t>(i)) +
                         ": got " + Show(got[i]) + ", want " + Show(want[i]);
      if (a) what += ", a=" + Show((*a)[a->size() == 1 ? 0 : i]);
      if (b) what += ", b=" + Show((*b)[b->size() == 1 ? 0 : i]);
      tg_testing::Report(__FILE__, __LINE__, what);
      return d;
    }
    worst = d > worst ? d : worst;
  }
  return worst;
}

// --- eltwise --------------------------------------------------------------------------------

struct UnaryCase {
  UnaryOp op;
  const char* name;
  float (*want)(float);
  int64_t max_ulp;  // 0: bit-exact
  float lo, hi;
  std::vector<float> specials;
};

const std::vector<float> kCommonSpecials = {0.0f,     -0.0f,    kInf,    -kInf,   kNan,
                                            1e-45f,   -1e-45f,  1e-40f,  FLT_MIN, -FLT_MIN,
                                            FLT_MAX,  -FLT_MAX, 1.0f,    -1.0f,   0.5f};

std::vector<UnaryCase> UnaryCases() {
  std::vector<float> exp_specials = kCommonSpecials;
  for (float x : {88.0f, 88.72f, 88.7228f, 88.72284f, 88.7229f, 89.0f, 100.0f, 1e10f, -87.3f,
                  -88.0f, -100.0f, -103.9f, -103.97f, -103.98f, -104.0f, -150.0f, -1e10f, 1e-8f,
                  -1e-8f, 0.34657359f, -0.34657359f})
    exp_specials.push_back(x);
  std::vector<float> log_specials = kCommonSpecials;
  for (float x : {1e-38f, 1e38f, 3e38f, 0.70710677f, 0.70710683f, 1.4142135f, 1.4142137f,
                  1.0000001f, 0.99999994f, 2.0f, -2.0f, 1e-30f})
    log_specials.push_back(x);
  return {
      {UnaryOp::kNeg, "neg", [](float x) { return -x; }, 0, -1e3f, 1e3f, kCommonSpecials},
      {UnaryOp::kAbs, "abs", [](float x) { return std::fabs(x); }, 0, -1e3f, 1e3f, kCommonSpecials},
      {UnaryOp::kSqrt, "sqrt", [](float x) { return std::sqrt(x); }, 0, -1.0f, 1e4f,
       kCommonSpecials},
      {UnaryOp::kExp, "exp", [](float x) { return static_cast<float>(std::exp(double{x})); }, 2,
       -110.0f, 95.0f, exp_specials},
      {UnaryOp::kLog, "log", [](float x) { return static_cast<float>(std::log(double{x})); }, 2,
       -1.0f, 1e6f, log_specials},
  };
}

TG_TEST(UnaryKernelsMatchNaiveLoops) {
  for (const tg::KernelTable* t : Tables()) {
    for (const UnaryCase& c : UnaryCases()) {
      for (int64_t n : kLengths) {
        const std::vector<float> x = Inputs(n, c.lo, c.hi, c.specials, static_cast<uint32_t>(n));
        std::vector<float> want(x.size()), got(x.size());
        for (size_t i = 0; i < x.size(); ++i) want[i] = c.want(x[i]);
        t->eltwise->unary[static_cast<int>(c.op)](x.data(), got.data(), n);
        Check(*t, c.name, got, want, c.max_ulp, &x);
        std::vector<float> in_place = x;  // out == x
        t->eltwise->unary[static_cast<int>(c.op)](in_place.data(), in_place.data(), n);
        Check(*t, c.name, in_place, want, c.max_ulp, &x);
      }
    }
  }
}

// Every float in steps of a prime through the whole bit space: both signs, all exponents.
TG_TEST(ExpAndLogStayWithinTwoUlpOverTheFloatRange) {
  std::vector<float> x;
  for (uint64_t bits = 0; bits < (1ull << 32); bits += 1021) {
    float f;
    const uint32_t b = static_cast<uint32_t>(bits);
    std::memcpy(&f, &b, sizeof f);
    x.push_back(f);
  }
  const int64_t n = static_cast<int64_t>(x.size());
  for (const tg::KernelTable* t : Tables()) {
    for (const UnaryCase& c : UnaryCases()) {
      if (c.op != UnaryOp::kExp && c.op != UnaryOp::kLog) continue;
      std::vector<float> want(x.size()), got(x.size());
      for (size_t i = 0; i < x.size(); ++i) want[i] = c.want(x[i]);
      t->eltwise->unary[static_cast<int>(c.op)](x.data(), got.data(), n);
      const int64_t worst = Check(*t, c.name, got, want, c.max_ulp, &x);
      std::printf("  %s %s: max %lld ulp over %lld inputs\n", tg::IsaName(t->isa), c.name,
                  static_cast<long long>(worst), static_cast<long long>(n));
    }
  }
}

struct BinaryCase {
  BinaryOp op;
  const char* name;
  float (*want)(float, float);
  int64_t max_ulp;
  float a_lo, a_hi, b_lo, b_hi;
  std::vector<float> a_specials, b_specials;
};

float NanMax(float a, float b) { return std::isnan(a) || std::isnan(b) ? kNan : (a > b ? a : b); }
float NanMin(float a, float b) { return std::isnan(a) || std::isnan(b) ? kNan : (a < b ? a : b); }

std::vector<BinaryCase> BinaryCases() {
  const std::vector<float> bases = {0.0f, -0.0f, 1.0f,  -1.0f, 2.0f,   -2.0f,  -3.5f,   0.5f,
                                    kInf, -kInf, kNan,  1e-45f, -1e-40f, 1e30f, -1e30f, 1.0000001f};
  const std::vector<float> exponents = {0.0f,  -0.0f,  1.0f,  -1.0f,  2.0f,   3.0f,   -3.0f,
                                        0.5f,  -0.5f,  2.5f,  kInf,   -kInf,  kNan,   1e10f,
                                        127.0f, -149.0f, 100.5f, 16777216.0f, 16777215.0f, 7.0f};
  return {
      {BinaryOp::kAdd, "add", [](float a, float b) { return a + b; }, 0, -1e3f, 1e3f, -1e3f, 1e3f,
       kCommonSpecials, kCommonSpecials},
      {BinaryOp::kSub, "sub", [](float a, float b) { return a - b; }, 0, -1e3f, 1e3f, -1e3f, 1e3f,
       kCommonSpecials, kCommonSpecials},
      {BinaryOp::kMul, "mul", [](float a, float b) { return a * b; }, 0, -1e3f, 1e3f, -1e3f, 1e3f,
       kCommonSpecials, kCommonSpecials},
      {BinaryOp::kDiv, "div", [](float a, float b) { return a / b; }, 0, -1e3f, 1e3f, -1e3f, 1e3f,
       kCommonSpecials, kCommonSpecials},
      {BinaryOp::kMaximum, "maximum", NanMax, 0, -10.0f, 10.0f, -10.0f, 10.0f, kCommonSpecials,
       kCommonSpecials},
      {BinaryOp::kMinimum, "minimum", NanMin, 0, -10.0f, 10.0f, -10.0f, 10.0f, kCommonSpecials,
       kCommonSpecials},
      {BinaryOp::kPow, "pow",
       [](float a, float b) { return static_cast<float>(std::pow(double{a}, double{b})); }, 2,
       -4.0f, 40.0f, -30.0f, 30.0f, bases, exponents},
  };
}

// One operand of a binary kernel: n values (stride 1) or one (stride 0).
std::vector<float> Operand(int64_t n, int64_t stride, float lo, float hi,
                           const std::vector<float>& specials, uint32_t seed) {
  return Inputs(stride == 1 ? n : 1, lo, hi, stride == 1 ? specials : std::vector<float>{}, seed);
}

TG_TEST(BinaryKernelsMatchNaiveLoopsForEveryStride) {
  for (const tg::KernelTable* t : Tables()) {
    for (const BinaryCase& c : BinaryCases()) {
      const tg::BinaryKernel kernel = t->eltwise->binary[static_cast<int>(c.op)];
      for (int64_t n : kLengths) {
        for (int64_t sa : {0, 1}) {
          for (int64_t sb : {0, 1}) {
            const uint32_t seed = static_cast<uint32_t>(n * 4 + sa * 2 + sb);
            const std::vector<float> a = Operand(n, sa, c.a_lo, c.a_hi, c.a_specials, seed);
            const std::vector<float> b = Operand(n, sb, c.b_lo, c.b_hi, c.b_specials, seed + 99);
            std::vector<float> want(static_cast<size_t>(n)), got(want.size());
            for (int64_t i = 0; i < n; ++i) want[i] = c.want(a[i * sa], b[i * sb]);
            kernel(a.data(), sa, b.data(), sb, got.data(), n);
            Check(*t, c.name, got, want, c.max_ulp, &a, &b);
            if (sa == 1) {  // out == a
              std::vector<float> out = a;
              kernel(out.data(), 1, b.data(), sb, out.data(), n);
              Check(*t, c.name, out, want, c.max_ulp, &a, &b);
            }
            if (sb == 1) {  // out == b
              std::vector<float> out = b;
              kernel(a.data(), sa, out.data(), 1, out.data(), n);
              Check(*t, c.name, out, want, c.max_ulp, &a, &b);
            }
          }
        }
      }
    }
  }
}

// Every special base against every special exponent, each pair once as a vector lane and once
// broadcast: the cases std::pow defines one by one (C99 Annex F).
TG_TEST(PowMatchesStdPowOnSpecialPairs) {
  const BinaryCase c = BinaryCases().back();
  std::vector<float> a, b;
  for (float x : c.a_specials) {
    for (float y : c.b_specials) {
      a.push_back(x);
      b.push_back(y);
    }
  }
  const int64_t n = static_cast<int64_t>(a.size());
  std::vector<float> want(a.size());
  for (size_t i = 0; i < a.size(); ++i) want[i] = c.want(a[i], b[i]);
  for (const tg::KernelTable* t : Tables()) {
    const tg::BinaryKernel pow = t->eltwise->binary[static_cast<int>(BinaryOp::kPow)];
    std::vector<float> got(a.size());
    pow(a.data(), 1, b.data(), 1, got.data(), n);
    Check(*t, "pow", got, want, c.max_ulp, &a, &b);
    for (size_t i = 0; i < a.size(); ++i) pow(&a[i], 0, &b[i], 0, &got[i], 1);
    Check(*t, "pow (broadcast)", got, want, c.max_ulp, &a, &b);
  }
}

TG_TEST(PowIsAccurateOverWideRanges) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> log_base(-20.0f, 20.0f), exponent(-12.0f, 12.0f);
  const int64_t n = 100000;
  std::vector<float> a(n), b(n), want(n);
  for (int64_t i = 0; i < n; ++i) {
    a[i] = std::exp(log_base(rng)) * (i % 4 == 0 ? -1.0f : 1.0f);
    b[i] = i % 4 == 0 ? std::round(exponent(rng)) : exponent(rng);
    want[i] = static_cast<float>(std::pow(double{a[i]}, double{b[i]}));
  }
  for (const tg::KernelTable* t : Tables()) {
    std::vector<float> got(n);
    t->eltwise->binary[static_cast<int>(BinaryOp::kPow)](a.data(), 1, b.data(), 1, got.data(), n);
    const int64_t worst = Check(*t, "pow", got, want, 2, &a, &b);
    std::printf("  %s pow: max %lld ulp\n", tg::IsaName(t->isa), static_cast<long long>(worst));
  }
}

TG_TEST(ClampKeepsNanAndMatchesTorchOrder) {
  const float bounds[][2] = {{-1.0f, 1.0f}, {0.0f, 0.0f}, {-0.0f, 0.0f}, {0.0f, kInf},
                             {-kInf, -2.0f}, {3.0f, 3.0f}, {-5.0f, 250.0f}};
  for (const tg::KernelTable* t : Tables()) {
    for (const auto& bound : bounds) {
      const float lo = bound[0], hi = bound[1];
      for (int64_t n : kLengths) {
        const std::vector<float> x =
            Inputs(n, -10.0f, 10.0f, kCommonSpecials, static_cast<uint32_t>(n));
        std::vector<float> want(x.size()), got(x.size());
        for (size_t i = 0; i < x.size(); ++i) want[i] = std::min(std::max(x[i], lo), hi);
        t->eltwise->clamp(x.data(), got.data(), n, lo, hi);
        Check(*t, "clamp", got, want, 0, &x);
        got = x;
        t->eltwise->clamp(got.data(), got.data(), n, lo, hi);
        Check(*t, "clamp (in place)", got, want, 0, &x);
      }
    }
  }
}

// Spans that end exactly at an unreadable page: a kernel touching memory past n faults.
#if defined(__unix__)
// The end of a readable page followed by a PROT_NONE one (leaked: a test process).
char* GuardedEnd() {
  const long page = sysconf(_SC_PAGESIZE);
  void* base = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  char* end = static_cast<char*>(base) + page;
  return mprotect(end, page, PROT_NONE) == 0 ? end : nullptr;
}

TG_TEST(TailsStayInsideTheSpan) {
  char* float_page = GuardedEnd();
  char* index_page = GuardedEnd();
  EXPECT_TRUE(float_page != nullptr && index_page != nullptr);
  if (float_page == nullptr || index_page == nullptr) return;
  float* end = reinterpret_cast<float*>(float_page);
  int32_t* index_end = reinterpret_cast<int32_t*>(index_page);
  for (const tg::KernelTable* t : Tables()) {
    for (int64_t n : {1, 7, 9, 15, 17, 31, 33}) {
      float* x = end - n;
      for (int64_t i = 0; i < n; ++i) x[i] = 0.5f + static_cast<float>(i);
      for (int op = 0; op < static_cast<int>(UnaryOp::kCount); ++op) t->eltwise->unary[op](x, x, n);
      for (int op = 0; op < static_cast<int>(BinaryOp::kCount); ++op) {
        t->eltwise->binary[op](x, 1, x, 1, x, n);
        for (int64_t i = 0; i < n; ++i) x[i] = 1.5f;
      }
      t->eltwise->clamp(x, x, n, 0.0f, 1.0f);
      for (int op = 0; op < static_cast<int>(ReduceOp::kCount); ++op) {
        (void)t->reduce->span[op](x, n);
        t->reduce->row[op](x, x, n);
      }
      (void)t->reduce->argmax_span(x, n);
      (void)t->reduce->argmin_span(x, n);
      t->reduce->argmax_row(x, index_end - n, x, n, 1);
      t->reduce->argmin_row(x, index_end - n, x, n, 1);
    }
  }
}
#endif

// --- reduce ---------------------------------------------------------------------------------

TG_TEST(SumIsCloseToADoubleSum) {
  for (const tg::KernelTable* t : Tables()) {
    const tg::SpanReduceKernel sum = t->reduce->span[static_cast<int>(ReduceOp::kSum)];
    for (int64_t n : {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1000, 4097, 100000, 1000003}) {
      const std::vector<float> x = Inputs(n, -1.0f, 1.0f, {}, static_cast<uint32_t>(n));
      double want = 0.0, magnitude = 0.0;
      for (float v : x) {
        want += v;
        magnitude += std::fabs(v);
      }
      const float got = sum(x.data(), n);
      EXPECT_CLOSE(got, want, 0.0, 1e-6 * magnitude + 1e-30);
      // Deterministic: the same input gives the same bits.
      EXPECT_EQ(BitsOf(got), BitsOf(sum(x.data(), n)));
    }
    const float with_inf[] = {1.0f, kInf, 2.0f};
    const float inf_minus_inf[] = {kInf, 1.0f, -kInf};
    const float with_nan[] = {1.0f, 2.0f, kNan, 4.0f};
    EXPECT_EQ(sum(with_inf, 3), kInf);
    EXPECT_TRUE(std::isnan(sum(inf_minus_inf, 3)));
    EXPECT_TRUE(std::isnan(sum(with_nan, 4)));
  }
}

// Naive max/min and first-extreme index, NaN winning outright.
float NaiveExtreme(const std::vector<float>& x, bool is_max) {
  float r = x[0];
  for (float v : x) {
    if (std::isnan(v)) return v;
    if (is_max ? v > r : v < r) r = v;
  }
  return r;
}
int64_t NaiveArg(const std::vector<float>& x, bool is_max) {
  int64_t best = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) return static_cast<int64_t>(i);
    if (is_max ? x[i] > x[best] : x[i] < x[best]) best = static_cast<int64_t>(i);
  }
  return best;
}

// Inputs drawn from a few values, so ties are everywhere; with_nan puts NaNs in the tail.
std::vector<float> TieInputs(int64_t n, uint32_t seed, bool with_nan) {
  std::mt19937 rng(seed);
  const float values[] = {-3.0f, -0.0f, 0.0f, 1.0f, 2.0f, kInf, -kInf};
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = values[rng() % 7];
  if (with_nan && n > 1) {
    x[n - 1] = kNan;
    x[n / 2 + (n > 3 ? 1 : 0)] = kNan;
  }
  return x;
}

TG_TEST(MaxMinAndArgsMatchNaiveLoops) {
  for (const tg::KernelTable* t : Tables()) {
    for (int64_t n : kLengths) {
      if (n == 0) continue;
      for (int variant = 0; variant < 3; ++variant) {
        const uint32_t seed = static_cast<uint32_t>(n);
        const std::vector<float> x = variant == 0 ? Inputs(n, -100.0f, 100.0f, {}, seed)
                                                  : TieInputs(n, seed, variant == 2);
        for (bool is_max : {true, false}) {
          const int op = static_cast<int>(is_max ? ReduceOp::kMax : ReduceOp::kMin);
          const float got = t->reduce->span[op](x.data(), n);
          const float want = NaiveExtreme(x, is_max);
          if (!Same(got, want) && !(got == 0.0f && want == 0.0f)) {  // either zero may win
            tg_testing::Report(__FILE__, __LINE__, Where(*t, is_max ? "max" : "min", n, -1) +
                                                       ": got " + Show(got) + ", want " +
                                                       Show(want));
          }
          const tg::SpanArgKernel arg = is_max ? t->reduce->argmax_span : t->reduce->argmin_span;
          EXPECT_EQ(arg(x.data(), n), NaiveArg(x, is_max));
        }
      }
    }
    const float ties[] = {1.0f, 5.0f, 5.0f, -2.0f, 5.0f, -2.0f};
    EXPECT_EQ(t->reduce->argmax_span(ties, 6), 1);
    EXPECT_EQ(t->reduce->argmin_span(ties, 6), 3);
    const float nans[] = {1.0f, kNan, 9.0f, kNan};
    EXPECT_EQ(t->reduce->argmax_span(nans, 4), 1);
    EXPECT_EQ(t->reduce->argmin_span(nans, 4), 1);
    EXPECT_TRUE(std::isnan(t->reduce->span[static_cast<int>(ReduceOp::kMax)](nans, 4)));
    EXPECT_TRUE(std::isnan(t->reduce->span[static_cast<int>(ReduceOp::kMin)](nans + 1, 3)));
  }
}

// Rows of a [rows, n] block folded into an accumulator row, as ops/ does for a non-inner axis.
TG_TEST(RowKernelsMatchNaiveLoops) {
  const int64_t rows = 5;
  for (const tg::KernelTable* t : Tables()) {
    for (int64_t n : kLengths) {
      std::vector<std::vector<float>> x;
      for (int64_t r = 0; r < rows; ++r) {
        const uint32_t seed = static_cast<uint32_t>(n + r);
        x.push_back(r % 2 == 0 ? TieInputs(n, seed, r == 2)
                               : Inputs(n, -3.0f, 3.0f, kCommonSpecials, seed));
      }
      for (int op = 0; op < static_cast<int>(ReduceOp::kCount); ++op) {
        std::vector<float> got = x[0], want = x[0];
        for (int64_t r = 1; r < rows; ++r) {
          t->reduce->row[op](got.data(), x[r].data(), n);
          for (int64_t j = 0; j < n; ++j) {
            const float a = want[j], b = x[r][j];
            want[j] = op == 0 ? a + b : (op == 1 ? NanMax(a, b) : NanMin(a, b));
          }
        }
        Check(*t, op == 0 ? "sum row" : (op == 1 ? "max row" : "min row"), got, want, 0);
      }
      for (bool is_max : {true, false}) {
        std::vector<float> best = x[0], want_best = x[0];
        std::vector<int32_t> index(n, 0), want_index(n, 0);
        for (int32_t r = 1; r < rows; ++r) {
          (is_max ? t->reduce->argmax_row : t->reduce->argmin_row)(best.data(), index.data(),
                                                                   x[r].data(), n, r);
          for (int64_t j = 0; j < n; ++j) {
            const float v = x[r][j], cur = want_best[j];
            const bool beats = (is_max ? v > cur : v < cur) || (std::isnan(v) && !std::isnan(cur));
            if (beats) {
              want_best[j] = v;
              want_index[j] = r;
            }
          }
        }
        Check(*t, is_max ? "argmax row" : "argmin row", best, want_best, 0);
        for (int64_t j = 0; j < n; ++j) {
          if (index[j] != want_index[j]) {
            tg_testing::Report(__FILE__, __LINE__,
                               Where(*t, is_max ? "argmax row" : "argmin row", n, j) + ": index " +
                                   std::to_string(index[j]) + ", want " +
                                   std::to_string(want_index[j]));
            break;
          }
        }
      }
    }
  }
}

}  // namespace

TG_TEST_MAIN()
