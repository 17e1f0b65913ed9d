// GEMM (kernels/gemm/gemm.h): every ISA the CPU supports against GemmReference, sweeping
// m, n, k over the edges of that ISA's blocking ({0, 1, MR-1, MR, MR+1, KC+1, 2·KC+3} and
// odd sizes), every transpose pair, padded leading dimensions, alpha/beta (beta = 0 on a
// NaN-filled C), bias and every activation; then bitwise-identical results for 1, 2 and 3
// threads, and the SIMD sigmoid/tanh against <cmath>.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_blocking.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"
#include "testing.h"

namespace {

using tg::Activation;
using tg::Isa;
using tg::Trans;

const float kNan = NAN;
const float kSentinel = -12345.0f;  // fills C's padding: it must survive every call

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
    if (tg::IsaSupported(isa)) isas.push_back(isa);
  }
  return isas;
}

tg::GemmBlocking BlockingOf(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return tg::kGemmBlockingAvx512;
    case Isa::kAvx2: return tg::kGemmBlockingAvx2;
    case Isa::kRef: break;
  }
  return tg::kGemmBlockingRef;
}

struct Case {
  Trans ta = Trans::kN, tb = Trans::kN;
  int64_t m = 0, n = 0, k = 0;
  int64_t pad = 0;  // added to every leading dimension
  float alpha = 1.0f, beta = 0.0f;
  bool bias = false;
  Activation act = Activation::kIdentity;
  float negative_slope = 0.01f;
};

std::string Describe(Isa isa, const Case& c) {
  return std::string(tg::IsaName(isa)) + " " + (c.ta == Trans::kN ? "N" : "T") +
         (c.tb == Trans::kN ? "N" : "T") + " m=" + std::to_string(c.m) +
         " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
         " pad=" + std::to_string(c.pad) + " alpha=" + std::to_string(c.alpha) +
         " beta=" + std::to_string(c.beta) + " bias=" + std::to_string(c.bias) +
         " act=" + std::to_string(static_cast<int>(c.act));
}

// The operands of one case, with padded leading dimensions and random values in [-1, 1].
struct Operands {
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, c, bias;

  Operands(const Case& cs, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int64_t a_rows = cs.ta == Trans::kN ? cs.m : cs.k, a_cols = cs.ta == Trans::kN ? cs.k : cs.m;
    const int64_t b_rows = cs.tb == Trans::kN ? cs.k : cs.n, b_cols = cs.tb == Trans::kN ? cs.n : cs.k;
    lda = a_cols + cs.pad;
    ldb = b_cols + cs.pad;
    ldc = cs.n + cs.pad;
    a.resize(static_cast<size_t>(std::max<int64_t>(a_rows * lda, 1)));
    b.resize(static_cast<size_t>(std::max<int64_t>(b_rows * ldb, 1)));
    c.assign(static_cast<size_t>(std::max<int64_t>(cs.m * ldc, 1)), kSentinel);
    bias.resize(static_cast<size_t>(std::max<int64_t>(cs.n, 1)));
    for (float& x : a) x = u(rng);
    for (float& x : b) x = u(rng);
    for (float& x : bias) x = u(rng);
    for (int64_t i = 0; i < cs.m; ++i) {
      for (int64_t j = 0; j < cs.n; ++j) c[i * ldc + j] = cs.beta == 0.0f ? kNan : u(rng);
    }
  }
};

void RunGemm(Isa isa, const Case& cs, Operands& op, bool reference) {
  tg::GemmEpilogue ep;
  ep.bias = cs.bias ? op.bias.data() : nullptr;
  ep.act = cs.act;
  ep.negative_slope = cs.negative_slope;
  if (reference) {
    tg::GemmReference(cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, op.a.data(), op.lda, op.b.data(), op.ldb,
         cs.beta, op.c.data(), op.ldc, &ep);
  } else {
    tg::GemmWithIsa(isa, cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, op.a.data(), op.lda,
                    op.b.data(), op.ldb, cs.beta, op.c.data(), op.ldc, &ep);
  }
}

// One case on one ISA against the reference. The tolerance scales with k and with the size of
// the terms: |alpha|·Σ|a||b| + |beta·c| + |bias|, computed by the reference on |operands|.
bool Check(Isa isa, const Case& cs, std::mt19937& rng) {
  Operands got(cs, rng);
  Operands want = got, bound = got;
  for (std::vector<float>* v : {&bound.a, &bound.b, &bound.c, &bound.bias}) {
    for (float& x : *v) x = std::fabs(x);
  }
  Case abs_case = cs;
  abs_case.alpha = std::fabs(cs.alpha);
  abs_case.beta = std::fabs(cs.beta);
  abs_case.act = Activation::kIdentity;
  RunGemm(isa, cs, got, false);
  RunGemm(isa, cs, want, true);
  RunGemm(isa, abs_case, bound, true);
  const double rtol = 2e-7 * static_cast<double>(cs.k + 8);
  for (int64_t i = 0; i < cs.m; ++i) {
    for (int64_t j = 0; j < got.ldc; ++j) {
      const size_t at = static_cast<size_t>(i * got.ldc + j);
      if (j >= cs.n) {
        if (got.c[at] != kSentinel) {
          tg_testing::Report(__FILE__, __LINE__, Describe(isa, cs) + ": wrote C's padding");
          return false;
        }
        continue;
      }
      const double tol = rtol * bound.c[at] + 1e-6;
      if (!tg_testing::Close(got.c[at], want.c[at], 0.0, tol)) {
        tg_testing::Report(__FILE__, __LINE__,
                           Describe(isa, cs) + " at (" + std::to_string(i) + ", " +
                               std::to_string(j) + "): " + std::to_string(got.c[at]) + " vs " +
                               std::to_string(want.c[at]));
        return false;
      }
    }
  }
  return true;
}

// Sizes around one ISA's blocking for one dimension: its register tile r, its cache block
// (MC for m, NC for n), KC, a few odd sizes and `extra`.
std::vector<int64_t> Sizes(int64_t r, int64_t block, int64_t kc, std::vector<int64_t> extra = {}) {
  std::vector<int64_t> s = {0, 1, r - 1, r, r + 1, 2 * r + 3, 23, block + 1, kc + 1, 2 * kc + 3};
  s.insert(s.end(), extra.begin(), extra.end());
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

TG_TEST(MatchesReferenceAcrossBlockingEdges) {
  std::mt19937 rng(1234);
  const Trans trans[] = {Trans::kN, Trans::kT};
  const Activation acts[] = {Activation::kIdentity, Activation::kRelu, Activation::kLeakyRelu,
                             Activation::kSigmoid, Activation::kTanh};
  const float alpha_beta[][2] = {{1.0f, 1.0f}, {1.0f, 0.0f}, {0.5f, -1.5f}, {-1.5f, 0.5f}};
  for (Isa isa : SupportedIsas()) {
    const tg::GemmBlocking bl = BlockingOf(isa);
    int64_t variant = 0, failures = 0;
    for (int64_t m : Sizes(bl.mr, bl.mc, bl.kc)) {
      // 5, 10 and 12 go through the narrow (inner-product) kernel where the ISA has one.
      for (int64_t n : Sizes(bl.nr, bl.nc, bl.kc, {5, 10, 12})) {
        for (int64_t k : Sizes(bl.mr, bl.kc, bl.kc)) {
          // Subsample the cube where the naive reference is slow: at most one dimension past
          // KC (MatchesReferenceOnLargeBlocks has the others), and a quarter of the cases with
          // two or three dimensions past the register tiles.
          const int64_t deep = (m > bl.kc) + (n > bl.kc) + (k > bl.kc);
          const int64_t large = (m > 2 * bl.nr + 3) + (n > 2 * bl.nr + 3) + (k > 2 * bl.nr + 3);
          if (deep >= 2) continue;
          if (large >= 2 && (m * 7 + n * 3 + k) % 4 != 0) continue;
          for (Trans ta : trans) {
            for (Trans tb : trans) {
              Case cs;
              cs.ta = ta;
              cs.tb = tb;
              cs.m = m;
              cs.n = n;
              cs.k = k;
              // Rotate the options so every combination of them meets many shapes.
              cs.pad = variant % 3 == 0 ? 0 : 3 + variant % 5;
              cs.alpha = alpha_beta[variant % 4][0];
              cs.beta = alpha_beta[variant % 4][1];
              cs.bias = variant % 7 < 3;
              cs.act = acts[(variant / 2) % 5];
              cs.negative_slope = 0.1f;
              ++variant;
              if (!Check(isa, cs, rng) && ++failures >= 5) return;
            }
          }
        }
      }
    }
  }
}

// Shapes that cross MC and NC (several ic and jc blocks) and the training shapes.
TG_TEST(MatchesReferenceOnLargeBlocks) {
  std::mt19937 rng(99);
  for (Isa isa : SupportedIsas()) {
    const tg::GemmBlocking bl = BlockingOf(isa);
    const Case cases[] = {
        {Trans::kN, Trans::kN, bl.mc + bl.mr + 1, 2 * bl.nr + 5, bl.kc + 3, 2, 1.0f, 1.0f, true, Activation::kRelu},
        {Trans::kT, Trans::kT, 3, bl.nc + bl.nr + 3, 9, 0, 0.5f, 0.0f, true, Activation::kIdentity},
        {Trans::kN, Trans::kT, 64, 40, 2 * bl.kc + 1, 1, 1.0f, 0.0f, true, Activation::kTanh},
        {Trans::kT, Trans::kN, 97, 65, 64, 0, 1.0f, 1.0f, false, Activation::kIdentity},
    };
    for (const Case& cs : cases) Check(isa, cs, rng);
  }
}

// Short C with Bᵀ stored (a Linear layer at a small batch) goes to the narrow kernel up to the
// ISA's short_rows when k fills a vector: sweep both sides of each limit.
TG_TEST(ShortRowsWithTransposedBMatchReference) {
  std::mt19937 rng(2024);
  for (Isa isa : SupportedIsas()) {
    int64_t variant = 0, failures = 0;
    for (int64_t m = 1; m <= 10; ++m) {
      for (int64_t n : {49, 100, 513}) {
        for (int64_t k : {1, 7, 8, 15, 16, 17, 784}) {
          Case cs;
          cs.ta = Trans::kN;
          cs.tb = Trans::kT;
          cs.m = m;
          cs.n = n;
          cs.k = k;
          cs.pad = variant % 2 == 0 ? 0 : 3;
          cs.beta = variant % 3 == 0 ? 0.5f : 0.0f;
          cs.bias = variant % 2 == 1;
          cs.act = variant % 4 == 0 ? Activation::kRelu : Activation::kIdentity;
          ++variant;
          if (!Check(isa, cs, rng) && ++failures >= 5) return;
        }
      }
    }
  }
}

// k == 0 and alpha == 0 read neither A nor B: C = act(beta·C + bias), beta = 0 ignoring NaN.
TG_TEST(EmptyProductAppliesBetaAndEpilogue) {
  for (Isa isa : SupportedIsas()) {
    for (float beta : {0.0f, 2.0f}) {
      std::vector<float> c = {kNan, kNan, kNan, kNan, kNan, kNan};
      if (beta != 0.0f) c = {1, -2, 3, -4, 5, -6};
      const float bias[3] = {0.5f, -0.5f, 1.0f};
      tg::GemmEpilogue ep;
      ep.bias = bias;
      ep.act = Activation::kRelu;
      const std::vector<float> before = c;
      tg::GemmWithIsa(isa, Trans::kN, Trans::kN, 2, 3, 0, 1.0f, nullptr, 1, nullptr, 3, beta,
                      c.data(), 3, &ep);
      for (int i = 0; i < 6; ++i) {
        const float x = (beta == 0.0f ? 0.0f : beta * before[i]) + bias[i % 3];
        EXPECT_EQ(c[i], x < 0 ? 0.0f : x);
      }
      const float nan_operand[4] = {kNan, kNan, kNan, kNan};
      std::vector<float> d = before;
      tg::GemmWithIsa(isa, Trans::kN, Trans::kT, 2, 3, 2, 0.0f, nan_operand, 2, nan_operand, 2,
                      beta, d.data(), 3, &ep);
      EXPECT_TRUE(std::memcmp(c.data(), d.data(), c.size() * sizeof(float)) == 0);
    }
    // Wide enough for whole micro-panels of B: still neither A nor B is touched.
    std::vector<float> wide(3 * 70, kNan);
    tg::GemmWithIsa(isa, Trans::kN, Trans::kN, 3, 70, 0, 1.0f, nullptr, 1, nullptr, 70, 0.0f,
                    wide.data(), 70);
    for (float x : wide) EXPECT_EQ(x, 0.0f);
    // Nothing to compute: nothing is touched.
    tg::GemmWithIsa(isa, Trans::kN, Trans::kN, 0, 5, 7, 1.0f, nullptr, 7, nullptr, 5, 0.0f,
                    nullptr, 5);
    tg::GemmWithIsa(isa, Trans::kT, Trans::kN, 5, 0, 7, 1.0f, nullptr, 5, nullptr, 1, 0.0f,
                    nullptr, 1);
  }
}

// The split over threads never changes a bit, for any ISA.
TG_TEST(BitwiseIdenticalForAnyThreadCount) {
  const int saved = tg::NumThreads();
  struct Shape {
    Trans ta, tb;
    int64_t m, n, k;
  };
  const Shape shapes[] = {
      {Trans::kN, Trans::kN, 64, 512, 784},  // Linear 784-512 forward at batch 64
      {Trans::kN, Trans::kN, 64, 10, 512},   // Linear 512-10 forward
      {Trans::kT, Trans::kN, 784, 512, 64},  // dW = Xᵀ·dY
      {Trans::kN, Trans::kT, 203, 157, 601},
      {Trans::kT, Trans::kT, 131, 291, 77},
      {Trans::kN, Trans::kN, 1000, 7, 700},  // narrow C: inner products, split by rows
      {Trans::kN, Trans::kT, 517, 12, 300},
      {Trans::kN, Trans::kT, 8, 512, 784},    // Linear at batch 8: narrow kernel, rows split
      {Trans::kN, Trans::kT, 1, 2048, 1024},  // batch 1, wide: narrow kernel, columns split
  };
  std::mt19937 rng(7);
  for (Isa isa : SupportedIsas()) {
    for (const Shape& s : shapes) {
      Case cs;
      cs.ta = s.ta;
      cs.tb = s.tb;
      cs.m = s.m;
      cs.n = s.n;
      cs.k = s.k;
      cs.pad = 1;
      cs.beta = 0.5f;
      cs.bias = true;
      cs.act = Activation::kTanh;
      const Operands input(cs, rng);
      std::vector<float> first;
      for (int threads : {1, 2, 3}) {
        tg::SetNumThreads(threads);
        Operands op = input;
        RunGemm(isa, cs, op, false);
        if (threads == 1) {
          first = op.c;
        } else if (std::memcmp(first.data(), op.c.data(), first.size() * sizeof(float)) != 0) {
          tg_testing::Report(__FILE__, __LINE__,
                             Describe(isa, cs) + ": differs with " + std::to_string(threads) +
                                 " threads");
        }
      }
    }
  }
  tg::SetNumThreads(saved);
}

// The vector sigmoid and tanh of the SIMD epilogues, through a k = 1 product (C = act(x·1)),
// against <cmath> over the whole range and the special values.
TG_TEST(SigmoidAndTanhMatchCmath) {
  std::vector<float> x;
  for (float v = -30.0f; v <= 30.0f; v += 0.00731f) x.push_back(v);
  for (float v = 1e-30f; v < 1.0f; v *= 1.37f) {
    x.push_back(v);
    x.push_back(-v);
  }
  for (float v : {0.0f, -0.0f, 0.625f, -0.625f, 88.0f, -88.0f, 1e30f, -1e30f, INFINITY, -INFINITY, kNan}) {
    x.push_back(v);
  }
  const float one = 1.0f;
  for (Isa isa : SupportedIsas()) {
    for (Activation act : {Activation::kSigmoid, Activation::kTanh}) {
      std::vector<float> y(x.size());
      tg::GemmEpilogue ep;
      ep.act = act;
      tg::GemmWithIsa(isa, Trans::kN, Trans::kN, static_cast<int64_t>(x.size()), 1, 1, 1.0f,
                      x.data(), 1, &one, 1, 0.0f, y.data(), 1, &ep);
      int reported = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        const double want = act == Activation::kSigmoid ? 1.0 / (1.0 + std::exp(-double{x[i]}))
                                                        : std::tanh(double{x[i]});
        // 4 ulp, and sigmoid's far negative tail (below 1e-30) may flush to zero.
        if (!tg_testing::Close(y[i], want, 4.8e-7, 1e-30) && ++reported <= 5) {
          tg_testing::Report(__FILE__, __LINE__,
                             std::string(tg::IsaName(isa)) + " act=" +
                                 std::to_string(static_cast<int>(act)) + " x=" +
                                 std::to_string(x[i]) + ": " + std::to_string(y[i]) + " vs " +
                                 std::to_string(want));
        }
      }
    }
  }
}

}  // namespace

TG_TEST_MAIN()
