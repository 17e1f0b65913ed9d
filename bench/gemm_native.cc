// GEMM throughput: tensorgrad's Gemm against OpenBLAS cblas_sgemm on the same operands,
// measured alternately in one run (square n = 64 .. 2048 and the training shapes, at 1 and 2
// threads), next to one core's FMA peak measured with a short FMA loop.
//
//   cmake -S . -B build -DTG_BUILD_BENCH=ON && cmake --build build --target bench_gemm_native
//   build/bench_gemm_native [--quick]
//
// x86-64 Linux only (AVX2 and AVX-512 peak loops, /proc/stat).
//
// The machine may be shared: a batch of calls counts only if the rest of the system used less
// than 5% of a core meanwhile, read from
// /proc/stat against this process's own CPU time; the best clean batch of each library is
// kept, and a result with no clean batch is marked '~'. OpenBLAS's idle workers spin for a
// while after each call, so the benchmark sleeps before timing tensorgrad (whose pool never
// spins) to let them stop; each timed batch follows 100 ms of untimed calls (see Batch).
#include <cblas.h>
#include <immintrin.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
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

// CPU seconds used by the whole system (all cores, busy states) and by this process.
struct CpuTimes {
  double system = 0, self = 0;
};

CpuTimes ReadCpuTimes() {
  CpuTimes t;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (stat >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal) {
    t.system = (user + nice + sys + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  t.self = u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
  return t;
}

// Best seconds per call over batches of `reps` calls, counting only batches during which the
// rest of the system used at most `allowed` cores. `clean` says whether any batch counted.
struct Timing {
  double best_clean = 1e30, best_any = 1e30;
  bool clean() const { return best_clean < 1e30; }
  double best() const { return clean() ? best_clean : best_any; }
  template <typename Fn>
  void Batch(Fn&& fn, int reps, double allowed) {
    // Untimed calls first: after an idle spell, a woken worker thread can be queued behind the
    // caller on its core for tens of milliseconds until the scheduler moves it (seen on this VM
    // for both libraries), which is not what a training loop sees.
    for (const auto w0 = Clock::now(); Seconds(w0, Clock::now()) < 0.3;) fn();
    const CpuTimes c0 = ReadCpuTimes();
    const auto t0 = Clock::now();
    for (int r = 0; r < reps; ++r) fn();
    const double wall = Seconds(t0, Clock::now());
    const CpuTimes c1 = ReadCpuTimes();
    const double foreign = (c1.system - c0.system) - (c1.self - c0.self);
    best_any = std::min(best_any, wall / reps);
    if (foreign <= allowed * wall) best_clean = std::min(best_clean, wall / reps);
  }
};

struct Result {
  double tg_gflops, blas_gflops;
  bool clean;
};

// Alternates batches of tensorgrad and OpenBLAS until each has `rounds` batches and both have
// a clean one, or `budget` seconds have passed.
Result Measure(const Shape& s, int threads, double seconds_per_batch, int rounds, double budget) {
  Operands op(s);
  const double flops = 2.0 * s.m * s.n * s.k;
  RunTensorgrad(s, op);  // warm up: buffers, pages, pool
  RunOpenBlas(s, op);
  const auto t0 = Clock::now();
  RunTensorgrad(s, op);
  const double one = std::max(Seconds(t0, Clock::now()), 1e-7);
  const int reps = std::max(1, static_cast<int>(seconds_per_batch / one));
  const double allowed = 0.05;
  Timing tg_time, blas_time;
  const auto start = Clock::now();
  for (int round = 0;; ++round) {
    const bool enough = round >= rounds && tg_time.clean() && blas_time.clean();
    if (enough || (round >= rounds && Seconds(start, Clock::now()) > budget)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // OpenBLAS workers to sleep
    tg_time.Batch([&] { RunTensorgrad(s, op); }, reps, allowed);
    blas_time.Batch([&] { RunOpenBlas(s, op); }, reps, allowed);
  }
  return {flops / tg_time.best() * 1e-9, flops / blas_time.best() * 1e-9,
          tg_time.clean() && blas_time.clean()};
}

// Options: --quick (shorter batches); --shape=NAME (only the shapes whose name starts with NAME,
// e.g. "square 1024" or "fc1"); --threads=N (only N); --tg-only=SECONDS (no OpenBLAS and no
// table: tensorgrad alone on the selected shapes for that long, for `perf record`).
struct Options {
  bool quick = false;
  std::string shape;
  int threads = 0;
  double tg_only = 0;
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      const size_t n = std::strlen(name);
      return arg.compare(0, n, name) == 0 ? arg.c_str() + n : nullptr;
    };
    if (arg == "--quick") {
      o.quick = true;
    } else if (const char* v = value("--shape=")) {
      o.shape = v;
    } else if (const char* v = value("--threads=")) {
      o.threads = std::atoi(v);
    } else if (const char* v = value("--tg-only=")) {
      o.tg_only = std::atof(v);
    } else {
      std::fprintf(stderr, "bench_gemm_native: unknown option %s\n", argv[i]);
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = ParseOptions(argc, argv);
  const bool quick = opt.quick;
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("tensorgrad ISA: %s\n", tg::IsaName(tg::SelectedIsa()));
  std::printf("OpenBLAS: %s, core %s (OPENBLAS_CORETYPE=%s)\n", openblas_get_config(),
              openblas_get_corename(), coretype != nullptr ? coretype : "<unset>");

  const bool table = opt.tg_only <= 0;
  const double peak2 = table ? PeakGflops(false) : 1.0;
  const bool has512 = tg::IsaSupported(tg::Isa::kAvx512);
  const double peak512 = has512 && table ? PeakGflops(true) : 0.0;
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
    if (opt.threads != 0 && threads != opt.threads) continue;
    tg::SetNumThreads(threads);
    openblas_set_num_threads(threads);
    for (const Shape& s : shapes) {
      const std::string label = std::string(s.name) + " " + std::to_string(s.m);
      if (label.compare(0, opt.shape.size(), opt.shape) != 0) continue;
      if (opt.tg_only > 0) {
        Operands op(s);
        for (const auto t0 = Clock::now(); Seconds(t0, Clock::now()) < opt.tg_only;) RunTensorgrad(s, op);
        continue;
      }
      const Result r = Measure(s, threads, quick ? 0.05 : 0.1, quick ? 2 : 5, quick ? 3.0 : 20.0);
      std::printf("%-8s %3d %c%c %5lld %5lld %5lld %10.1f %10.1f %6.2f%c %6.1f%%\n", s.name, threads,
                  s.ta == Trans::kN ? 'N' : 'T', s.tb == Trans::kN ? 'N' : 'T',
                  static_cast<long long>(s.m), static_cast<long long>(s.n),
                  static_cast<long long>(s.k), r.tg_gflops, r.blas_gflops,
                  r.tg_gflops / r.blas_gflops, r.clean ? ' ' : '~',
                  100.0 * r.tg_gflops / (peak * threads));
      std::fflush(stdout);
    }
  }
  return 0;
}
