// GEMM throughput: tensorgrad's Gemm against OpenBLAS cblas_sgemm on the same operands,
// measured alternately in one run (square n = 64 .. 2048 and the training shapes, at 1 and 2
// threads), next to one core's FMA peak measured with a short FMA loop.
//
//   cmake -S . -B build -DTG_BUILD_BENCH=ON && cmake --build build --target bench_gemm_native
//   build/bench_gemm_native [--quick]
//
// x86-64 only (the peak loops are AVX2 and AVX-512). OpenBLAS's idle workers spin for a while after each call; the benchmark sleeps before timing
// tensorgrad so they are asleep and do not steal its cores (tensorgrad's pool never spins).
#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"

extern "C" {
void openblas_set_num_threads(int num_threads);
char* openblas_get_corename(void);
char* openblas_get_config(void);
}

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// One core's FMA peak: 12 independent chains (2 FMA pipes × 4 cycles latency need 8).
constexpr int kChains = 12;

__attribute__((target("avx2,fma"))) float FmaLoopAvx2(int64_t iterations) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  float sum = 0;
  for (int i = 0; i < kChains; ++i) sum += _mm256_cvtss_f32(acc[i]);
  return sum;
}

__attribute__((target("avx512f"))) float FmaLoopAvx512(int64_t iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  float sum = 0;
  for (int i = 0; i < kChains; ++i) sum += _mm512_cvtss_f32(acc[i]);
  return sum;
}

// GFLOP/s of one core, best of 5 runs of ~0.1 s.
double PeakGflops(bool avx512) {
  const int lanes = avx512 ? 16 : 8;
  const int64_t iterations = 20'000'000;
  double best = 0;
  volatile float sink = 0;
  for (int run = 0; run < 5; ++run) {
    const auto t0 = Clock::now();
    sink = sink + (avx512 ? FmaLoopAvx512(iterations) : FmaLoopAvx2(iterations));
    const double s = Seconds(t0, Clock::now());
    best = std::max(best, 2.0 * lanes * kChains * static_cast<double>(iterations) / s * 1e-9);
  }
  return best;
}

struct Shape {
  const char* name;
  tg::Trans ta, tb;
  int64_t m, n, k;
};

struct Operands {
  std::vector<float> a, b, c;
  int64_t lda, ldb, ldc;
  explicit Operands(const Shape& s) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    lda = s.ta == tg::Trans::kN ? s.k : s.m;
    ldb = s.tb == tg::Trans::kN ? s.n : s.k;
    ldc = s.n;
    a.resize(static_cast<size_t>(s.m * s.k));
    b.resize(static_cast<size_t>(s.k * s.n));
    c.assign(static_cast<size_t>(s.m * s.n), 0.0f);
    for (float& x : a) x = u(rng);
    for (float& x : b) x = u(rng);
  }
};

void RunTensorgrad(const Shape& s, Operands& op) {
  tg::Gemm(s.ta, s.tb, s.m, s.n, s.k, 1.0f, op.a.data(), op.lda, op.b.data(), op.ldb, 0.0f,
           op.c.data(), op.ldc);
}

void RunOpenBlas(const Shape& s, Operands& op) {
  cblas_sgemm(CblasRowMajor, s.ta == tg::Trans::kN ? CblasNoTrans : CblasTrans,
              s.tb == tg::Trans::kN ? CblasNoTrans : CblasTrans, static_cast<int>(s.m),
              static_cast<int>(s.n), static_cast<int>(s.k), 1.0f, op.a.data(),
              static_cast<int>(op.lda), op.b.data(), static_cast<int>(op.ldb), 0.0f,
              op.c.data(), static_cast<int>(op.ldc));
}

// Seconds per call: the best over batches of `reps` calls.
template <typename Fn>
double TimeBatch(Fn&& fn, int reps) {
  const auto t0 = Clock::now();
  for (int r = 0; r < reps; ++r) fn();
  return Seconds(t0, Clock::now()) / reps;
}

struct Result {
  double tg_gflops, blas_gflops;
};

Result Measure(const Shape& s, double seconds_per_batch, int rounds) {
  Operands op(s);
  const double flops = 2.0 * s.m * s.n * s.k;
  RunTensorgrad(s, op);  // warm up: buffers, pages, pool
  RunOpenBlas(s, op);
  const double one = std::max(TimeBatch([&] { RunTensorgrad(s, op); }, 1), 1e-7);
  const int reps = std::max(1, static_cast<int>(seconds_per_batch / one));
  double best_tg = 1e30, best_blas = 1e30;
  for (int round = 0; round < rounds; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // OpenBLAS workers to sleep
    best_tg = std::min(best_tg, TimeBatch([&] { RunTensorgrad(s, op); }, reps));
    best_blas = std::min(best_blas, TimeBatch([&] { RunOpenBlas(s, op); }, reps));
  }
  return {flops / best_tg * 1e-9, flops / best_blas * 1e-9};
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("tensorgrad ISA: %s\n", tg::IsaName(tg::SelectedIsa()));
  std::printf("OpenBLAS: %s, core %s (OPENBLAS_CORETYPE=%s)\n", openblas_get_config(),
              openblas_get_corename(), coretype != nullptr ? coretype : "<unset>");

  const double peak2 = PeakGflops(false);
  const bool has512 = tg::IsaSupported(tg::Isa::kAvx512);
  const double peak512 = has512 ? PeakGflops(true) : 0.0;
  const double peak = std::max(peak2, peak512);
  std::printf("one core FMA peak: AVX2 %.1f GFLOP/s", peak2);
  if (has512) std::printf(", AVX-512 %.1f GFLOP/s", peak512);
  std::printf("\n");

  using tg::Trans;
  std::vector<Shape> shapes;
  for (int64_t n : {64, 128, 256, 512, 1024, 2048}) {
    shapes.push_back({"square", Trans::kN, Trans::kN, n, n, n});
  }
  shapes.push_back({"fc1 fwd", Trans::kN, Trans::kN, 64, 512, 784});
  shapes.push_back({"fc2 fwd", Trans::kN, Trans::kN, 64, 10, 512});
  shapes.push_back({"fc1 dW", Trans::kT, Trans::kN, 784, 512, 64});
  shapes.push_back({"fc1 dX", Trans::kN, Trans::kT, 64, 784, 512});

  std::printf("\n%-8s %3s %-2s %5s %5s %5s %10s %10s %7s %7s\n", "shape", "thr", "op", "m", "n",
              "k", "tg GF/s", "BLAS GF/s", "ratio", "%peak");
  for (int threads : {1, 2}) {
    tg::SetNumThreads(threads);
    openblas_set_num_threads(threads);
    for (const Shape& s : shapes) {
      const Result r = Measure(s, quick ? 0.03 : 0.1, quick ? 2 : 4);
      std::printf("%-8s %3d %c%c %5lld %5lld %5lld %10.1f %10.1f %7.2f %6.1f%%\n", s.name, threads,
                  s.ta == Trans::kN ? 'N' : 'T', s.tb == Trans::kN ? 'N' : 'T',
                  static_cast<long long>(s.m), static_cast<long long>(s.n),
                  static_cast<long long>(s.k), r.tg_gflops, r.blas_gflops,
                  r.tg_gflops / r.blas_gflops, 100.0 * r.tg_gflops / (peak * threads));
      std::fflush(stdout);
    }
  }
  return 0;
}
