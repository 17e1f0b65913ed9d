// Softmax and the fused cross-entropy. Every ISA the CPU supports (the scalar reference
// included): softmax and log-softmax, forward and backward, against naive loops in double
// across lengths that straddle the vector widths and rows holding ±inf, NaN and large
// magnitudes; the cross-entropy's fast path against its reference twin for index and
// probability targets, weights, ignore_index and label smoothing, against PyTorch's numbers, and
// its backward against finite differences of its forward. Last, no kernel reads or writes past
// its span. Activations: test_nn_kernels.cc.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#if defined(__unix__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "kernels/cross_entropy.h"
#include "kernels/kernel_table.h"
#include "nn_kernel_testing.h"
#include "testing.h"

namespace {

using namespace nn_testing;  // NOLINT: the shared test helpers

// --- softmax ----------------------------------------------------------------------------------

// Row r of `rows` rows of n: random, or with special values (as PyTorch: NaN or +inf make the
// row NaN, all -inf too; one -inf among finite values gives 0; ±100 and ±1e30 saturate).
std::vector<float> SoftmaxRows(int64_t rows, int64_t n, uint32_t seed) {
  std::vector<float> x = Inputs(rows * n, -20.0f, 20.0f, {}, seed);
  for (int64_t r = 0; r < rows && n > 0; ++r) {
    float* row = x.data() + r * n;
    const int64_t k = (r * 7 + 3) % n;
    switch (r % 7) {
      case 1: row[k] = -kInf; break;
      case 2: row[k] = kNan; break;
      case 3: row[k] = kInf; break;
      case 4: std::fill(row, row + n, -kInf); break;
      case 5:
        row[k] = 100.0f;
        row[(k + 1) % n] = -100.0f;
        break;
      case 6:
        row[k] = 1e30f;
        row[n - 1 - k] = -1e30f;
        break;
      default: break;
    }
  }
  return x;
}

struct RowStats {
  double max, sum;  // Σ exp(x - max)
};
RowStats Stats(const float* x, int64_t n) {
  RowStats s{-INFINITY, 0.0};
  for (int64_t i = 0; i < n; ++i) s.max = std::isnan(x[i]) || x[i] > s.max ? x[i] : s.max;
  for (int64_t i = 0; i < n; ++i) s.sum += std::exp(x[i] - s.max);
  return s;
}

TG_TEST(SoftmaxAndLogSoftmaxMatchNaiveLoops) {
  const int64_t rows = 7;
  for (const tg::KernelTable* t : Tables()) {
    for (int64_t n : kLengths) {
      const std::vector<float> x = SoftmaxRows(rows, n, static_cast<uint32_t>(n));
      std::vector<double> soft(x.size()), logs(x.size()), soft_atol(x.size(), 1e-37),
          log_atol(x.size());
      for (int64_t r = 0; r < rows; ++r) {
        const RowStats s = Stats(x.data() + r * n, n);
        for (int64_t i = r * n; i < (r + 1) * n; ++i) {
          soft[i] = std::exp(x[i] - s.max) / s.sum;
          logs[i] = (x[i] - s.max) - std::log(s.sum);
          // x - max is rounded to float (as in PyTorch): exp turns its absolute error into a
          // relative one. Float sums of exp are good to ~1e-6 relative: that much absolute on
          // the log.
          const double shifted = std::isfinite(x[i] - s.max) ? std::fabs(x[i] - s.max) : 0.0;
          soft_atol[i] = 1e-37 + 1.2e-7 * shifted * std::fabs(soft[i]);
          log_atol[i] = 1e-6 + 2.4e-7 * shifted;
        }
      }
      for (bool log : {false, true}) {
        const tg::SoftmaxRowsKernel kernel = log ? t->softmax->log_softmax : t->softmax->softmax;
        const std::string what = Where(*t, log ? "log_softmax" : "softmax", n);
        std::vector<float> y(x.size());
        kernel(x.data(), y.data(), rows, n);
        ExpectClose(what, y.data(), log ? logs : soft, log ? 2.4e-7 : 1.5e-6,
                    log ? log_atol : soft_atol);
        std::vector<float> in_place = x;
        kernel(in_place.data(), in_place.data(), rows, n);
        ExpectSame(what + " in place", in_place, y);
      }
    }
  }
}

TG_TEST(SoftmaxBackwardsMatchNaiveLoops) {
  const int64_t rows = 3;
  for (const tg::KernelTable* t : Tables()) {
    for (int64_t n : kLengths) {
      const std::vector<float> x = Inputs(rows * n, -6.0f, 6.0f, {}, static_cast<uint32_t>(n));
      std::vector<float> dy = Inputs(rows * n, -1.0f, 1.0f, {}, static_cast<uint32_t>(n + 1));
      if (n > 0) dy[2 * n + n / 2] = kNan;  // the last row is all NaN
      for (bool log : {false, true}) {
        std::vector<float> y(x.size());
        (log ? t->softmax->log_softmax : t->softmax->softmax)(x.data(), y.data(), rows, n);
        std::vector<double> want(x.size()), atol(x.size());
        for (int64_t r = 0; r < rows; ++r) {
          double dot = 0.0, dot_abs = 0.0, sum = 0.0, sum_abs = 0.0;
          for (int64_t i = r * n; i < (r + 1) * n; ++i) {
            dot += double{dy[i]} * y[i];
            dot_abs += std::fabs(double{dy[i]} * y[i]);
            sum += dy[i];
            sum_abs += std::fabs(dy[i]);
          }
          for (int64_t i = r * n; i < (r + 1) * n; ++i) {
            const double p = log ? std::exp(double{y[i]}) : y[i];
            want[i] = log ? dy[i] - p * sum : y[i] * (dy[i] - dot);
            atol[i] = 1e-6 * (log ? std::fabs(dy[i]) + p * sum_abs
                                  : std::fabs(y[i]) * (std::fabs(dy[i]) + dot_abs));
          }
        }
        const tg::SoftmaxBackwardRowsKernel kernel =
            log ? t->softmax->log_softmax_backward : t->softmax->softmax_backward;
        const std::string what = Where(*t, log ? "log_softmax_backward" : "softmax_backward", n);
        std::vector<float> dx(x.size());
        kernel(y.data(), dy.data(), dx.data(), rows, n);
        ExpectClose(what, dx.data(), want, 2.4e-7, atol);
        std::vector<float> in_place = dy;
        kernel(y.data(), in_place.data(), in_place.data(), rows, n);
        ExpectSame(what + " dx=dy", in_place, dx);
      }
    }
  }
}

// --- cross-entropy ----------------------------------------------------------------------------

struct CeCase {
  bool probs, weighted;
  float eps;
};

// Logits (rows, classes) around `offset`, targets (index: one row ignored; or probabilities),
// weights in [0.5, 2].
struct CeData {
  std::vector<float> logits, probs, weight;
  std::vector<int32_t> target;
  tg::CrossEntropyArgs args{};
  CeData(int64_t rows, int64_t classes, const CeCase& c, float offset, uint32_t seed) {
    logits = Inputs(rows * classes, offset - 8.0f, offset + 8.0f, {}, seed);
    std::mt19937 rng(seed);
    args.rows = rows;
    args.classes = classes;
    args.ignore_index = -100;
    args.label_smoothing = c.eps;
    if (c.weighted) {
      weight = Inputs(classes, 0.5f, 2.0f, {}, seed + 1);
      args.weight = weight.data();
    }
    if (c.probs) {
      probs = Inputs(rows * classes, 0.0f, 1.0f, {0.0f}, seed + 2);
      for (int64_t r = 0; r < rows; ++r) {
        double s = 0.0;
        for (int64_t k = 0; k < classes; ++k) s += probs[r * classes + k];
        for (int64_t k = 0; k < classes; ++k) probs[r * classes + k] /= static_cast<float>(s);
      }
      args.probs = probs.data();
    } else {
      for (int64_t r = 0; r < rows; ++r) target.push_back(static_cast<int32_t>(rng() % classes));
      target[1 % rows] = args.ignore_index;
      args.target = target.data();
    }
    args.logits = logits.data();
  }
};

std::vector<CeCase> CeCases() {
  std::vector<CeCase> cases;
  for (bool probs : {false, true}) {
    for (bool weighted : {false, true}) {
      for (float eps : {0.0f, 0.1f, 1.0f}) cases.push_back({probs, weighted, eps});
    }
  }
  return cases;
}

std::string CeName(const CeCase& c, int64_t classes) {
  return std::string(c.probs ? "probs" : "index") + (c.weighted ? " weighted" : "") + " eps=" +
         std::to_string(c.eps) + " classes=" + std::to_string(classes);
}

TG_TEST(CrossEntropyMatchesItsReference) {
  const int64_t rows = 5;
  for (const tg::KernelTable* t : Tables()) {
    for (const CeCase& c : CeCases()) {
      for (int64_t classes : {1, 2, 7, 10, 17, 33, 100, 1000}) {
        for (float offset : {0.0f, 1000.0f}) {  // logits far from 0: nothing may cancel
          const CeData d(rows, classes, c, offset, static_cast<uint32_t>(classes));
          const std::string what = Where(*t, CeName(c, classes), classes);
          std::vector<float> loss(rows), lse(rows), denom(rows), rl(rows), rlse(rows), rd(rows);
          tg::CrossEntropyForwardWith(*t->softmax, d.args, 0, rows, loss.data(), lse.data(),
                                      denom.data());
          tg::CrossEntropyForwardReference(d.args, 0, rows, rl.data(), rlse.data(), rd.data());
          ExpectClose(what + " loss", loss.data(), std::vector<double>(rl.begin(), rl.end()), 2e-6,
                      std::vector<double>(rows, 2e-6));
          ExpectClose(what + " lse", lse.data(), std::vector<double>(rlse.begin(), rlse.end()),
                      2.4e-7, std::vector<double>(rows, 1e-6));
          ExpectSame(what + " denom", denom, rd);
          const std::vector<float> dloss = Inputs(rows, -2.0f, 2.0f, {}, 9);
          std::vector<float> dl(rows * classes), rdl(rows * classes);
          tg::CrossEntropyBackwardWith(*t->softmax, d.args, 0, rows, rlse.data(), dloss.data(),
                                       dl.data());
          tg::CrossEntropyBackwardReference(d.args, 0, rows, rlse.data(), dloss.data(), rdl.data());
          std::vector<double> atol(dl.size());
          for (size_t i = 0; i < atol.size(); ++i) atol[i] = 4e-6 * std::fabs(dloss[i / classes]);
          ExpectClose(what + " dlogits", dl.data(), std::vector<double>(rdl.begin(), rdl.end()),
                      1e-5, atol);
        }
      }
    }
  }
}

// From torch 1.13: F.cross_entropy(x, t, weight=w, ignore_index=-100, label_smoothing=0.1,
// reduction='none') and with probability targets and label_smoothing=0.2, and the gradients of
// Σ g·loss, all in float64.
TG_TEST(CrossEntropyMatchesPyTorch) {
  const float x[] = {1.5f, -0.25f, 3.0f, 0.5f, 0.5f, -2.0f, -1.0f, 2.0f, 0.0f, 4.0f, -3.0f, 1.0f};
  const float w[] = {0.5f, 2.0f, 1.25f};
  const int32_t t[] = {2, 0, -100, 1};
  const float p[] = {0.2f, 0.3f, 0.5f, 1.0f, 0.0f, 0.0f, 0.1f, 0.1f, 0.8f, 0.0f, 0.5f, 0.5f};
  const float g[] = {1.0f, -0.5f, 2.0f, 0.25f};
  const std::vector<double> index_loss = {0.5324441455442075, 0.5258542986923131, 0.0,
                                          13.286868715330785};
  const std::vector<double> index_grad = {
      0.2043585609676387,  -0.028258241258621124, -0.17610031970901766, 0.09525059406475603,
      -0.10474940593524398, 0.009498811870487988, 0.0, 0.0, 0.0, 0.4538617722570468,
      -0.46624899879350107, 0.012387226536454259};
  const std::vector<double> probs_loss = {2.468068131196996, 0.6850236999710206,
                                          2.1989741911120237, 8.359989528361584};
  const std::vector<double> probs_grad = {
      0.1183011052274187,  -0.5730813035057015, 0.4547801982782829,   0.06057313531957926,
      -0.08942686468042074, 0.02885372936084149, -0.041641501331501525, 1.5228201695366825,
      -1.4811786682051808, 0.3604687863195269,  -0.2329970293315636,  -0.12747175698796326};
  for (const tg::KernelTable* tb : Tables()) {
    for (bool probs : {false, true}) {
      tg::CrossEntropyArgs a{x, 4, 3, probs ? nullptr : t, probs ? p : nullptr, w, -100,
                             probs ? 0.2f : 0.1f};
      std::vector<float> loss(4), lse(4), denom(4), dx(12);
      tg::CrossEntropyForwardWith(*tb->softmax, a, 0, 4, loss.data(), lse.data(), denom.data());
      tg::CrossEntropyBackwardWith(*tb->softmax, a, 0, 4, lse.data(), g, dx.data());
      const std::string what = Where(*tb, probs ? "torch probs" : "torch index", 3);
      ExpectClose(what + " loss", loss.data(), probs ? probs_loss : index_loss, 1e-6,
                  std::vector<double>(4, 1e-7));
      ExpectClose(what + " grad", dx.data(), probs ? probs_grad : index_grad, 1e-6,
                  std::vector<double>(12, 1e-7));
      const double sum = loss[0] + loss[1] + loss[2] + loss[3];
      const double mean = sum / (denom[0] + denom[1] + denom[2] + denom[3]);
      EXPECT_CLOSE(mean, probs ? 3.4280138876604065 : 3.8253779092179485, 1e-6, 0.0);
    }
  }
}

// PyTorch's losses on rows with a -inf logit, a NaN, a +inf and only -inf: index targets with
// label smoothing 0 and 0.1, then probability targets [1, 0, 0] likewise (0·-inf is NaN).
TG_TEST(CrossEntropySpecialValuesFollowPyTorch) {
  const float x[] = {0.0f, -kInf, 1.0f, kNan, 0.0f, 1.0f, kInf, 0.0f, 1.0f, -kInf, -kInf, -kInf};
  const int32_t t[] = {0, 0, 0, 0};
  const float p[] = {1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0};
  const double nan = NAN, inf = INFINITY;
  const std::vector<double> want[] = {{1.3132616875182228, nan, nan, nan},
                                      {inf, nan, nan, nan},
                                      {nan, nan, nan, nan},
                                      {inf, nan, nan, nan}};
  const std::vector<double> grad = {-0.7310585786300049, 0.0, 0.7310585786300049};
  for (const tg::KernelTable* tb : Tables()) {
    for (int c = 0; c < 4; ++c) {
      const bool probs = c >= 2;
      const float eps = c % 2 == 0 ? 0.0f : 0.1f;
      const tg::CrossEntropyArgs a{x, 4, 3, probs ? nullptr : t, probs ? p : nullptr, nullptr,
                                   -100, eps};
      std::vector<float> loss(4), lse(4), denom(4), rl(4), rlse(4), rd(4);
      tg::CrossEntropyForwardWith(*tb->softmax, a, 0, 4, loss.data(), lse.data(), denom.data());
      tg::CrossEntropyForwardReference(a, 0, 4, rl.data(), rlse.data(), rd.data());
      const std::string what = Where(*tb, "special values, case " + std::to_string(c), 3);
      ExpectClose(what, loss.data(), want[c], 1e-6, std::vector<double>(4, 0.0));
      ExpectClose(what + " (reference)", rl.data(), want[c], 1e-6, std::vector<double>(4, 0.0));
      if (c == 0) {
        const float one = 1.0f;
        std::vector<float> dx(3);
        tg::CrossEntropyBackwardWith(*tb->softmax, a, 0, 1, lse.data(), &one, dx.data());
        ExpectClose(what + " grad", dx.data(), grad, 1e-6, std::vector<double>(3, 1e-7));
      }
    }
  }
}

// d(Σ_i g_i·loss_i)/dx_ic by central differences of the forward (on the selected ISA, as ops/
// calls it), against the backward.
TG_TEST(CrossEntropyBackwardMatchesFiniteDifferences) {
  const int64_t rows = 3, classes = 5;
  const float h = 1e-2f;
  const std::vector<float> g = {0.7f, -1.3f, 2.0f};
  for (const CeCase& c : CeCases()) {
    CeData d(rows, classes, c, 0.0f, 42);
    d.logits = Inputs(rows * classes, -2.0f, 2.0f, {}, 43);
    d.args.logits = d.logits.data();
    std::vector<float> loss(rows), lse(rows), denom(rows), dx(rows * classes);
    tg::CrossEntropyForward(d.args, 0, rows, loss.data(), lse.data(), denom.data());
    tg::CrossEntropyBackward(d.args, 0, rows, lse.data(), g.data(), dx.data());
    auto objective = [&]() {
      tg::CrossEntropyForward(d.args, 0, rows, loss.data(), lse.data(), denom.data());
      double s = 0.0;
      for (int64_t i = 0; i < rows; ++i) s += double{g[i]} * loss[i];
      return s;
    };
    std::vector<double> want(dx.size());
    for (size_t k = 0; k < dx.size(); ++k) {
      const float saved = d.logits[k];
      d.logits[k] = saved + h;
      const double up = objective();
      d.logits[k] = saved - h;
      const double down = objective();
      d.logits[k] = saved;
      want[k] = (up - down) / (2.0 * h);
    }
    ExpectClose("finite differences " + CeName(c, classes), dx.data(), want, 1e-2,
                std::vector<double>(dx.size(), 2e-3));
  }
}

// --- spans --------------------------------------------------------------------------------------

// Spans that end exactly at an unreadable page: a kernel touching memory past n faults.
#if defined(__unix__)
float* GuardedEnd() {  // the end of a readable page followed by a PROT_NONE one (leaked)
  const long page = sysconf(_SC_PAGESIZE);
  void* base = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  char* end = static_cast<char*>(base) + page;
  return mprotect(end, page, PROT_NONE) == 0 ? reinterpret_cast<float*>(end) : nullptr;
}

TG_TEST(TailsStayInsideTheSpan) {
  float* end = GuardedEnd();
  EXPECT_TRUE(end != nullptr);
  if (end == nullptr) return;
  for (const tg::KernelTable* t : Tables()) {
    for (int64_t n : {1, 7, 9, 15, 17, 31, 33}) {
      float* x = end - n;
      for (int64_t i = 0; i < n; ++i) x[i] = 0.25f * static_cast<float>(i);
      for (int a = 0; a < tg::kActivationCount; ++a) {
        t->activation->forward[a](x, x, n, 0.1f);
        t->activation->backward[a](x, x, x, n, 0.1f);
      }
      t->activation->step(x, x, n);
      float db[33];
      t->activation->act_backward_colsum(tg::Activation::kTanh, 0.1f, x, x, x, db, 1, n, n);
      t->softmax->softmax(x, x, 1, n);
      t->softmax->log_softmax(x, x, 1, n);
      t->softmax->softmax_backward(x, x, x, 1, n);
      t->softmax->log_softmax_backward(x, x, x, 1, n);
      double sums[2];
      (void)t->softmax->row_max(x, n);
      (void)t->softmax->sum_exp(x, n, 0.0f);
      t->softmax->coef_sums(x, x, 0.5f, 0.1f, x, n, 1.0f, sums);
      t->softmax->exp_minus_coef(x, n, 0.0f, 1.0f, x, x, 0.5f, 0.1f, x);
    }
  }
}
#endif

}  // namespace

TG_TEST_MAIN()
