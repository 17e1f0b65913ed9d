// GEMM driver (contract in gemm.h): the five BLIS loops around the micro-kernel of the chosen
// ISA, split over threads by rows and columns of C, never by depth.
//
//   jc over NC columns of C         B panel KC×NC packed once per (jc, pc)  -> L3
//    pc over KC of depth
//     ic over MC rows of C           A block MC×KC packed once per (pc, ic)  -> L2
//      jr over NR columns              one KC×NR micro-panel of B            -> L1
//       ir over MR rows                  micro-kernel: MR×NR tile of C in registers
//
// With few rows of C the micro-kernel reads B in place instead of a packed copy (kN only). C
// with few columns, or with few rows and B stored transposed (op(A) = A in both cases), goes
// to the narrow kernel instead: inner products with k in the vector lanes, A read in place
// (microkernel.h).
//
// Threads share nothing: each gets a rectangle of C (whole MR×NR tiles) and runs the loops
// above on it with its own packing buffers, so one ParallelFor covers the whole call and no
// thread waits for another. The cost is packing the operand the split does not divide once
// per thread; the grid is chosen to keep that small. Every element of C is computed by the
// same sequence of operations whichever thread owns it, hence bitwise identical results for
// any thread count.
#include "kernels/gemm/gemm.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "kernels/gemm/microkernel.h"
#include "runtime/allocator.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

// Cost model for the thread split, in flops: packing one float costs about as much as this
// many flops of the micro-kernel (0.3-0.5 cycle per float at 32 flops per cycle, Zen 4), and
// running on more than one thread about this many. Since pool threads spin briefly before
// sleeping (runtime/thread_pool.cc), a ParallelFor round trip between back-to-back calls costs
// a few µs: 2 threads measured 1.6-1.8x faster than 1 at 96³-128³ (1.8-4 MFLOP), where the
// earlier 2.5e6 (fitted to ~8 µs wake-ups) kept them on one thread; 64³ stays on one.
constexpr double kPackFlopsPerFloat = 16.0;
constexpr double kParallelOverheadFlops = 0.8e6;

// What reading one float of A or Bᵀ costs the narrow kernel, in flops: at batch 1 the 784×512
// Linear (1.6 MB of weights, from L3) took 17 µs on one Zen 5 thread, 4.2 MFLOP at the
// kernel's peak for 0.8 MFLOP of products, so about 8 per weight. With it the batch-1 product
// goes to 2 threads by columns, each reading half of the weights (into its own L2): 9 µs.
constexpr double kDotReadFlopsPerFloat = 8.0;

// B is read in place when each of its micro-panels serves at most this many micro-kernel calls
// (about 128 rows of C at MR = 12): measured on Zen 4, 8% faster at m = 64, even at m = 256,
// slower from m = 512 on (L1 set conflicts between B's rows outweigh the saved packing).
constexpr int64_t kDirectBMaxCalls = 11;
constexpr int64_t kAliasStrideFloats = 1024;  // 4 KB: the L1 set index repeats
constexpr int64_t kCacheLine = 64;

const GemmKernels& KernelsFor(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
  if (isa == Isa::kAvx512 && IsaSupported(Isa::kAvx512)) return kGemmKernelsAvx512;
  if (isa == Isa::kAvx2 && IsaSupported(Isa::kAvx2)) return kGemmKernelsAvx2;
#endif
  (void)isa;
  return kGemmKernelsRef;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The step that covers [0, n) in as few blocks of at most `block` as possible, all about equal
// and multiples of `unit`: k = 1040 with KC = 1024 becomes 2 × 520, not 1024 + 16.
int64_t BalancedStep(int64_t n, int64_t block, int64_t unit) {
  if (n <= block) return n;
  const int64_t step = CeilDiv(CeilDiv(n, CeilDiv(n, block)), unit) * unit;
  return std::min(step, block);
}

// A 64-byte-aligned buffer that only grows: after the first calls of a training loop, packing
// allocates nothing.
class PackBuffer {
 public:
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() {
    if (data_ != nullptr) Deallocate(data_, bytes_);
  }
  float* Reserve(int64_t floats) {
    const size_t bytes = static_cast<size_t>(floats + kGemmPackSlack) * sizeof(float);
    if (bytes > bytes_) {
      if (data_ != nullptr) Deallocate(data_, bytes_);
      data_ = nullptr;
      bytes_ = 0;
      data_ = static_cast<float*>(Allocate(bytes));
      bytes_ = bytes;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t bytes_ = 0;
};

struct PackBuffers {
  PackBuffer a, b;
};
thread_local PackBuffers t_pack;

struct Problem {
  const GemmKernels* kernels;
  Trans ta, tb;
  int64_t m, n, k;
  float alpha;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float beta;
  float* C;
  int64_t ldc;
  const float* bias;
  Activation act;
  float negative_slope;
};

// C rows [m0, m1) × columns [n0, n1): the five loops, on this thread.
void RunBlock(const Problem& pr, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const GemmKernels& kern = *pr.kernels;
  const GemmBlocking& bl = kern.blocking;
  // With few rows, each B micro-panel serves few micro-kernel calls: the kernel then reads B
  // in place (kN: its rows hold NR contiguous floats) rather than paying for a packed copy.
  // Not when B's rows are a multiple of 4 KB apart and a micro-panel row is one cache line
  // (AVX2's NR = 16): every row of the panel then maps to the same L1 set, and the kernel ran
  // at 61 GFLOP/s on a 32×1024×256 product that packing runs at 89 (Zen 4; AVX-512's two lines
  // per row measured unaffected).
  const bool aliased_rows = pr.ldb % kAliasStrideFloats == 0 && bl.nr * int64_t{sizeof(float)} <= kCacheLine;
  const bool direct_b =
      pr.tb == Trans::kN && pr.k > 0 && CeilDiv(m1 - m0, bl.mr) <= kDirectBMaxCalls && !aliased_rows;
  // The depth step depends on k alone, never on the thread's rectangle: each element of C
  // sees the same passes whatever the split.
  const int64_t kc_step = std::max<int64_t>(BalancedStep(pr.k, bl.kc, 8), 1);
  const int64_t nc_step = BalancedStep(n1 - n0, bl.nc, bl.nr);
  const int64_t mc_step = BalancedStep(m1 - m0, bl.mc, bl.mr);
  for (int64_t jc = n0; jc < n1; jc += nc_step) {
    const int64_t nc = std::min<int64_t>(nc_step, n1 - jc);
    // k == 0 makes one pass with kc == 0: nothing is packed, the kernel applies beta and the
    // epilogue. The epilogue waits for the last pass; later passes accumulate (beta = 1).
    for (int64_t pc = 0; pc == 0 || pc < pr.k; pc += kc_step) {
      const int64_t kc = std::min<int64_t>(kc_step, pr.k - pc);
      const bool last = pc + kc >= pr.k;
      // Packed whole, or with direct_b only its last micro-panel if that one is partial.
      const int64_t whole = direct_b ? nc / bl.nr * bl.nr : 0;
      float* packed_b = t_pack.b.Reserve(CeilDiv(nc - whole, bl.nr) * bl.nr * kc);
      if (kc > 0 && whole < nc) {
        const bool contiguous = pr.tb == Trans::kN;
        const int64_t j0 = jc + whole;
        kern.pack_b(contiguous, contiguous ? pr.B + pc * pr.ldb + j0 : pr.B + j0 * pr.ldb + pc,
                    pr.ldb, nc - whole, kc, packed_b);
      }
      GemmTileParams tp{pr.alpha, pc == 0 ? pr.beta : 1.0f, nullptr,
                        last ? pr.act : Activation::kIdentity, pr.negative_slope};
      for (int64_t ic = m0; ic < m1; ic += mc_step) {
        const int64_t mc = std::min<int64_t>(mc_step, m1 - ic);
        float* packed_a = t_pack.a.Reserve(CeilDiv(mc, bl.mr) * bl.mr * kc);
        if (kc > 0) {
          const bool contiguous = pr.ta == Trans::kT;
          kern.pack_a(contiguous, contiguous ? pr.A + pc * pr.lda + ic : pr.A + ic * pr.lda + pc,
                      pr.lda, mc, kc, packed_a);
        }
        for (int64_t jr = 0; jr < nc; jr += bl.nr) {
          const int64_t n_r = std::min<int64_t>(bl.nr, nc - jr);
          tp.bias = last && pr.bias != nullptr ? pr.bias + jc + jr : nullptr;
          float* c = pr.C + ic * pr.ldc + jc + jr;
          const bool direct = jr < whole;
          const float* b = direct ? pr.B + pc * pr.ldb + jc + jr : packed_b + (jr - whole) * kc;
          const int64_t ldb = direct ? pr.ldb : bl.nr;
          for (int64_t ir = 0; ir < mc; ir += bl.mr) {
            kern.micro(kc, packed_a + ir * kc, b, ldb, c + ir * pr.ldc, pr.ldc,
                       std::min<int64_t>(bl.mr, mc - ir), n_r, tp);
          }
        }
      }
    }
  }
}

struct Grid {
  int64_t rows = 1, cols = 1;  // threads along m and along n
};

// The split of C over at most `threads` threads with the least estimated time: the busiest
// thread's flops and packing, plus the pool's wake-up when more than one thread runs.
Grid ChooseGrid(const Problem& pr, int threads) {
  const GemmBlocking& bl = pr.kernels->blocking;
  const int64_t row_tiles = CeilDiv(pr.m, bl.mr), col_tiles = CeilDiv(pr.n, bl.nr);
  const double depth = static_cast<double>(std::max<int64_t>(pr.k, 1));
  Grid best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (int64_t tm = 1; tm <= std::min<int64_t>(threads, row_tiles); ++tm) {
    for (int64_t tn = 1; tm * tn <= threads && tn <= col_tiles; ++tn) {
      const double rows = static_cast<double>(CeilDiv(row_tiles, tm) * bl.mr);
      const double cols = static_cast<double>(CeilDiv(col_tiles, tn) * bl.nr);
      const double cost = 2.0 * rows * cols * depth + kPackFlopsPerFloat * depth * (rows + cols) +
                          (tm * tn > 1 ? kParallelOverheadFlops : 0.0);
      if (cost < best_cost) {
        best_cost = cost;
        best.rows = tm;
        best.cols = tn;
      }
    }
  }
  return best;
}

// The narrow kernel (op(A) = A; C with few columns, or few rows and Bᵀ stored): inner
// products. Bᵀ is read in place (kT) or packed once by the calling thread, before the split.
// Threads split the rows when there are enough row tiles for all of them, else the columns
// (a batch-1 Linear): an element's value depends only on its row and column, never on the
// part it falls in (microkernel.h), so either split gives the same bits.
void RunDot(const Problem& pr) {
  const GemmKernels& kern = *pr.kernels;
  const int64_t lanes = kern.dot_lanes;
  const float* bt = pr.B;
  int64_t bt_col = pr.ldb, bt_step = lanes;
  if (pr.tb == Trans::kN) {
    float* packed = t_pack.b.Reserve(CeilDiv(pr.k, lanes) * lanes * pr.n);
    kern.pack_b_dot(false, pr.B, pr.ldb, pr.k, pr.n, packed);
    bt = packed;
    bt_col = lanes;
    bt_step = pr.n * lanes;
  }
  const GemmTileParams tp{pr.alpha, pr.beta, pr.bias, pr.act, pr.negative_slope};
  const int64_t row_tiles = CeilDiv(pr.m, kern.dot_blocking.rows);
  const int64_t by_rows = std::min<int64_t>(NumThreads(), row_tiles);
  const int64_t by_cols = std::min<int64_t>(NumThreads(), CeilDiv(pr.n, kern.dot_blocking.cols));
  // The narrow kernel is bound by reading its operands as much as by its flops (a batch-1
  // Linear reads each weight once, for 2 flops): the estimate counts both. A split by rows
  // makes every thread read all of Bᵀ, one by columns all of A.
  const double flops = 2.0 * static_cast<double>(pr.m) * pr.n * pr.k;
  const double a_floats = static_cast<double>(pr.m) * pr.k, b_floats = static_cast<double>(pr.n) * pr.k;
  auto cost = [&](int64_t t, bool rows) {
    if (t <= 1) return flops + kDotReadFlopsPerFloat * (a_floats + b_floats);
    const double reads = rows ? a_floats / t + b_floats : a_floats + b_floats / t;
    return flops / t + kDotReadFlopsPerFloat * reads + kParallelOverheadFlops;
  };
  const bool split_rows = cost(by_rows, true) <= cost(by_cols, false);
  const int64_t threads = split_rows ? by_rows : by_cols;
  if (threads <= 1 || cost(threads, split_rows) >= cost(1, false)) {
    kern.dot(pr.m, pr.n, pr.k, pr.A, pr.lda, bt, bt_col, bt_step, pr.C, pr.ldc, tp);
    return;
  }
  ParallelFor(0, threads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      if (split_rows) {
        const int64_t m0 = t * row_tiles / threads * kern.dot_blocking.rows;
        const int64_t m1 = std::min(pr.m, (t + 1) * row_tiles / threads * kern.dot_blocking.rows);
        kern.dot(m1 - m0, pr.n, pr.k, pr.A + m0 * pr.lda, pr.lda, bt, bt_col, bt_step,
                 pr.C + m0 * pr.ldc, pr.ldc, tp);
      } else {
        const int64_t j0 = t * pr.n / threads, j1 = (t + 1) * pr.n / threads;
        GemmTileParams part = tp;
        part.bias = tp.bias != nullptr ? tp.bias + j0 : nullptr;
        kern.dot(pr.m, j1 - j0, pr.k, pr.A, pr.lda, bt + j0 * bt_col, bt_col, bt_step, pr.C + j0,
                 pr.ldc, part);
      }
    }
  });
}

void Run(const Problem& pr) {
  if (pr.m <= 0 || pr.n <= 0) return;
  // The narrow kernel also takes short C whose Bᵀ it can read in place (a Linear layer at a
  // batch of at most short_rows, its weight stored out×in): it reads B once per few rows of C,
  // where the micro-kernel path would pack all of B for a handful of rows. At batch 1 on the
  // MLP's 784→512 layer it is 4x faster (gemm_blocking.h).
  const GemmDotBlocking& dot = pr.kernels->dot_blocking;
  // (k below the lane count would leave most of each vector empty: the packed path then.)
  const bool short_c = pr.tb == Trans::kT && pr.m <= dot.short_rows && pr.k >= pr.kernels->dot_lanes;
  const bool narrow = pr.n <= dot.max_n || short_c;
  if (pr.kernels->dot != nullptr && pr.ta == Trans::kN && pr.k > 0 && narrow) {
    RunDot(pr);
    return;
  }
  const Grid grid = ChooseGrid(pr, NumThreads());
  if (grid.rows * grid.cols == 1) {
    RunBlock(pr, 0, pr.m, 0, pr.n);
    return;
  }
  const GemmBlocking& bl = pr.kernels->blocking;
  const int64_t row_tiles = CeilDiv(pr.m, bl.mr), col_tiles = CeilDiv(pr.n, bl.nr);
  ParallelFor(0, grid.rows * grid.cols, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t i = t / grid.cols, j = t % grid.cols;
      // Even split of whole tiles: part i of p gets tiles [i·T/p, (i+1)·T/p).
      const int64_t m0 = i * row_tiles / grid.rows * bl.mr;
      const int64_t m1 = std::min(pr.m, (i + 1) * row_tiles / grid.rows * bl.mr);
      const int64_t n0 = j * col_tiles / grid.cols * bl.nr;
      const int64_t n1 = std::min(pr.n, (j + 1) * col_tiles / grid.cols * bl.nr);
      if (m0 < m1 && n0 < n1) RunBlock(pr, m0, m1, n0, n1);
    }
  });
}

}  // namespace

void GemmWithIsa(Isa isa, Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc, const GemmEpilogue* epilogue) {
  const GemmEpilogue none;
  const GemmEpilogue& ep = epilogue != nullptr ? *epilogue : none;
  // As BLAS: with nothing to multiply, A and B are not read (alpha = 0 included).
  const bool product = k > 0 && alpha != 0.0f;
  const Problem pr{&KernelsFor(isa), ta, tb, m, n, product ? k : 0, product ? alpha : 0.0f,
                   A, lda, B, ldb, beta, C, ldc, ep.bias, ep.act, ep.negative_slope};
  Run(pr);
}

void Gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const GemmEpilogue* epilogue) {
  static const Isa isa = SelectedIsa();
  GemmWithIsa(isa, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
}

// C (m×n) = act(alpha·op(A)·op(B) + beta·C + bias), one element at a time, in double.
void GemmReference(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                   int64_t ldc, const GemmEpilogue* epilogue) {
  const GemmEpilogue none;
  const GemmEpilogue& ep = epilogue != nullptr ? *epilogue : none;
  const bool product = k > 0 && alpha != 0.0f;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; product && p < k; ++p) {
        const double a = ta == Trans::kN ? A[i * lda + p] : A[p * lda + i];
        const double b = tb == Trans::kN ? B[p * ldb + j] : B[j * ldb + p];
        acc += a * b;
      }
      double x = product ? alpha * acc : 0.0;
      if (beta != 0.0f) x += static_cast<double>(beta) * C[i * ldc + j];
      if (ep.bias != nullptr) x += ep.bias[j];
      C[i * ldc + j] = static_cast<float>(
          ApplyActivation<double>(x, ep.act, static_cast<double>(ep.negative_slope)));
    }
  }
}

}  // namespace tg
