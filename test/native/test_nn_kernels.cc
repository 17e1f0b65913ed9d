// Activation kernels: forward, backward, step and the fused activation-backward + column sums
// of the linear backward. Every ISA the CPU supports (the scalar reference included) is checked
// against naive loops in double, across lengths that straddle the vector widths and the special
// values (±inf, NaN, large magnitudes); the forward also against the GEMM epilogue, bit for bit.
// Softmax and cross-entropy: test_nn_kernels_softmax.cc.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "kernels/kernel_table.h"
#include "nn_kernel_testing.h"
#include "testing.h"

namespace {

using namespace nn_testing;  // NOLINT: the shared test helpers
using tg::Activation;

const Activation kActs[] = {Activation::kIdentity, Activation::kRelu, Activation::kLeakyRelu,
                            Activation::kSigmoid, Activation::kTanh};
const char* const kActNames[] = {"identity", "relu", "leaky", "sigmoid", "tanh"};

static_assert(static_cast<int>(Activation::kTanh) == 4, "Activation order is lib/native.ts's");

// --- activations ------------------------------------------------------------------------------

const std::vector<float> kActSpecials = {0.0f,  -0.0f,  kInf,    -kInf,  kNan,   100.0f,
                                         -100.0f, 1e30f, -1e30f,  88.5f,  -88.5f, 0.625f,
                                         -0.625f, 17.0f, -17.0f,  1e-30f, -1e-30f, 3.4e38f};

TG_TEST(ActivationForwardMatchesCmath) {
  for (const tg::KernelTable* t : Tables()) {
    for (Activation act : kActs) {
      const int a = static_cast<int>(act);
      for (float slope : {0.01f, -0.5f}) {
        for (int64_t n : kLengths) {
          const std::vector<float> x = Inputs(n, -12.0f, 12.0f, kActSpecials, n + a);
          std::vector<double> want(x.size());
          for (size_t i = 0; i < x.size(); ++i) {
            const float v = x[i];
            switch (act) {  // relu and leaky relu exactly (NaN kept), in float
              case Activation::kIdentity: want[i] = v; break;
              case Activation::kRelu: want[i] = v < 0.0f ? 0.0f : v; break;
              case Activation::kLeakyRelu: want[i] = v < 0.0f ? v * slope : v; break;
              case Activation::kSigmoid: want[i] = 1.0 / (1.0 + std::exp(-double{v})); break;
              case Activation::kTanh: want[i] = std::tanh(double{v}); break;
            }
          }
          const bool exact = act != Activation::kSigmoid && act != Activation::kTanh;
          std::vector<float> y(x.size());
          t->activation->forward[a](x.data(), y.data(), n, slope);
          // 4 ulp, and sigmoid's far negative tail (below 1e-30) may flush to zero.
          ExpectClose(Where(*t, kActNames[a], n), y.data(), want, 4.8e-7,
                      std::vector<double>(x.size(), 1e-30), exact);
          std::vector<float> in_place = x;
          t->activation->forward[a](in_place.data(), in_place.data(), n, slope);
          ExpectSame(Where(*t, std::string(kActNames[a]) + " in place", n), in_place, y);
        }
      }
    }
  }
}

// C = act(x·1) on the same ISA's GEMM (micro-kernel and narrow paths) gives the same bits as the
// standalone kernel: the fused linear and a separate activation agree.
TG_TEST(ActivationMatchesTheGemmEpilogueBitForBit) {
  std::vector<float> x = Inputs(301, -30.0f, 30.0f, kActSpecials, 5);
  for (float& v : x) v = v == 0.0f ? 0.0f : v;  // the GEMM's sums start at +0: 0 + -0·1 = +0
  const int64_t m = static_cast<int64_t>(x.size());
  for (const tg::KernelTable* t : Tables()) {
    for (Activation act : kActs) {
      const int a = static_cast<int>(act);
      std::vector<float> y(x.size());
      t->activation->forward[a](x.data(), y.data(), m, 0.2f);
      for (int64_t n : {1, 37}) {
        const std::vector<float> ones(static_cast<size_t>(n), 1.0f);
        std::vector<float> c(static_cast<size_t>(m * n));
        tg::GemmEpilogue ep;
        ep.act = act;
        ep.negative_slope = 0.2f;
        tg::GemmWithIsa(t->isa, tg::Trans::kN, tg::Trans::kN, m, n, 1, 1.0f, x.data(), 1,
                        ones.data(), n, 0.0f, c.data(), n, &ep);
        std::vector<float> column(x.size());
        for (int64_t j : {int64_t{0}, n / 2, n - 1}) {
          for (int64_t i = 0; i < m; ++i) column[i] = c[i * n + j];
          ExpectSame(Where(*t, std::string(kActNames[a]) + " vs gemm", n), column, y);
        }
      }
    }
  }
}

double GradWant(Activation act, double v, double dy, float slope) {
  switch (act) {
    case Activation::kIdentity: return dy;
    case Activation::kRelu: return v <= 0 ? 0.0 : dy;
    case Activation::kLeakyRelu: return v > 0 ? dy : dy * slope;
    case Activation::kSigmoid: return dy * (1.0 - v) * v;
    case Activation::kTanh: return dy * (1.0 - v * v);
  }
  return dy;
}

// v as the backward reads it: outputs of sigmoid in [0, 1], of tanh in [-1, 1].
std::vector<float> SavedFor(Activation act, int64_t n, uint32_t seed) {
  if (act == Activation::kSigmoid) {
    return Inputs(n, 0.0f, 1.0f, {0.0f, 1.0f, 0.5f, kNan, 1e-30f, 0.99999994f}, seed);
  }
  if (act == Activation::kTanh) {
    return Inputs(n, -1.0f, 1.0f, {0.0f, -0.0f, 1.0f, -1.0f, kNan, 0.99999994f, -0.99999994f},
                  seed);
  }
  return Inputs(n, -5.0f, 5.0f, {0.0f, -0.0f, kInf, -kInf, kNan, 1e30f, -1e30f}, seed);
}
const std::vector<float> kGradSpecials = {0.0f, -0.0f, kInf, -kInf, kNan, 1e30f, -1e30f};

TG_TEST(ActivationBackwardMatchesNaiveLoops) {
  const float slope = 0.1f;
  for (const tg::KernelTable* t : Tables()) {
    for (Activation act : kActs) {
      const int a = static_cast<int>(act);
      for (int64_t n : kLengths) {
        const std::vector<float> v = SavedFor(act, n, n + 7 * a);
        const std::vector<float> dy = Inputs(n, -3.0f, 3.0f, kGradSpecials, n + 3);
        std::vector<double> want(v.size()), atol(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
          want[i] = GradWant(act, v[i], dy[i], slope);
          // 1 - y·y cancels near |y| = 1: its rounding is absolute, relative to dy.
          atol[i] = std::isfinite(dy[i]) ? 1.2e-7 * std::fabs(dy[i]) : 0.0;
        }
        std::vector<float> dx(v.size());
        t->activation->backward[a](v.data(), dy.data(), dx.data(), n, slope);
        ExpectClose(Where(*t, std::string(kActNames[a]) + " backward", n), dx.data(), want,
                    4e-7, atol);
        std::vector<float> alias_dy = dy, alias_v = v;
        t->activation->backward[a](v.data(), alias_dy.data(), alias_dy.data(), n, slope);
        t->activation->backward[a](alias_v.data(), dy.data(), alias_v.data(), n, slope);
        ExpectSame(Where(*t, std::string(kActNames[a]) + " backward dx=dy", n), alias_dy, dx);
        ExpectSame(Where(*t, std::string(kActNames[a]) + " backward dx=v", n), alias_v, dx);
      }
    }
  }
}

TG_TEST(StepIsOneAboveZeroAndKeepsNan) {
  for (const tg::KernelTable* t : Tables()) {
    for (int64_t n : kLengths) {
      const std::vector<float> x = Inputs(n, -2.0f, 2.0f, kActSpecials, n);
      std::vector<float> want(x.size()), got(x.size());
      for (size_t i = 0; i < x.size(); ++i) want[i] = x[i] != x[i] ? x[i] : (x[i] > 0 ? 1 : 0);
      t->activation->step(x.data(), got.data(), n);
      ExpectSame(Where(*t, "step", n), got, want);
    }
  }
}

// db summed exactly as activation.h fixes the order: float over 32-row blocks, then double.
float FixedOrderColumnSum(const std::vector<float>& dz, int64_t rows, int64_t ld, int64_t j) {
  double total = 0.0;
  for (int64_t i0 = 0; i0 < rows; i0 += tg::kColsumRowBlock) {
    float partial = 0.0f;
    for (int64_t i = i0; i < rows && i < i0 + tg::kColsumRowBlock; ++i) partial += dz[i * ld + j];
    total += partial;
  }
  return static_cast<float>(total);
}

TG_TEST(ActBackwardColsumMatchesBackwardAndSumsInAFixedOrder) {
  const float slope = 0.1f, kPad = 12345.0f;  // kPad: the columns from cols to ld, never written
  for (const tg::KernelTable* t : Tables()) {
    for (Activation act : kActs) {
      const int a = static_cast<int>(act);
      const tg::ActBackwardColsumKernel colsum = t->activation->act_backward_colsum;
      for (int64_t rows : {0, 1, 31, 32, 33, 100}) {
        for (int64_t cols : {1, 7, 8, 9, 17, 33, 64, 100, 300}) {
          const int64_t ld = cols + 3;
          const std::string what =
              Where(*t, std::string(kActNames[a]) + " colsum rows=" + std::to_string(rows), cols);
          const std::vector<float> y = SavedFor(act, rows * ld, rows + cols);
          std::vector<float> dy = Inputs(rows * ld, -3.0f, 3.0f, {}, rows * cols + 1);
          for (int64_t k = 0; k < rows * ld; ++k) dy[k] = k % ld < cols ? dy[k] : kPad;
          // dz row by row from the same ISA's backward kernel; db in the fixed order.
          std::vector<float> want_dz = dy, want_db(cols);
          for (int64_t i = 0; i < rows; ++i) {
            t->activation->backward[a](y.data() + i * ld, dy.data() + i * ld,
                                       want_dz.data() + i * ld, cols, slope);
          }
          for (int64_t j = 0; j < cols; ++j) want_db[j] = FixedOrderColumnSum(want_dz, rows, ld, j);
          const float* py = act == Activation::kIdentity ? nullptr : y.data();  // not read then
          std::vector<float> dz(dy.size(), kPad), db(cols, kPad);
          for (int64_t k = 0; k < rows * ld; ++k) dz[k] = k % ld < cols ? -1.0f : kPad;
          colsum(act, slope, py, dy.data(), dz.data(), db.data(), rows, cols, ld);
          ExpectSame(what + " dz", dz, want_dz);
          ExpectSame(what + " db", db, want_db);
          double magnitude = 0.0, sum = 0.0;  // and db is close to a plain double sum
          for (int64_t i = 0; i < rows; ++i) {
            magnitude += std::fabs(dz[i * ld]);
            sum += dz[i * ld];
          }
          EXPECT_CLOSE(db[0], sum, 0.0, 1e-6 * magnitude);
          // In place (dz = dy), without db, and split into two column blocks at any point: the
          // same bits.
          std::vector<float> in_place = dy;
          colsum(act, slope, py, in_place.data(), in_place.data(), nullptr, rows, cols, ld);
          ExpectSame(what + " dz (dz=dy, no db)", in_place, want_dz);
          for (int64_t split : {int64_t{1}, cols / 2, int64_t{16}}) {
            if (split <= 0 || split >= cols) continue;
            std::vector<float> dz2 = dy, db2(cols, kPad);
            colsum(act, slope, py, dz2.data(), dz2.data(), db2.data(), rows, split, ld);
            colsum(act, slope, py != nullptr ? py + split : nullptr, dz2.data() + split,
                   dz2.data() + split, db2.data() + split, rows, cols - split, ld);
            ExpectSame(what + " dz (dz=dy, split " + std::to_string(split) + ")", dz2, want_dz);
            ExpectSame(what + " db (split " + std::to_string(split) + ")", db2, want_db);
          }
        }
      }
    }
  }
}

}  // namespace

TG_TEST_MAIN()
