// Helpers shared by the neural-net kernel tests (test_nn_kernels*.cc): the tables of every
// supported ISA, inputs with special values spliced in, and element-wise checks that report
// the first mismatch only, so a broken kernel does not flood the log.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "testing.h"

namespace nn_testing {

const float kInf = INFINITY;
const float kNan = NAN;

// Straddling the vector widths (8 and 16 lanes, two vectors, a sum block).
const int64_t kLengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000};

inline std::vector<const tg::KernelTable*> Tables() {
  std::vector<const tg::KernelTable*> tables;
  for (tg::Isa isa : {tg::Isa::kRef, tg::Isa::kAvx2, tg::Isa::kAvx512}) {
    if (tg::IsaSupported(isa)) tables.push_back(&tg::KernelsFor(isa));
  }
  return tables;
}

inline std::string Where(const tg::KernelTable& t, const std::string& op, int64_t n) {
  return std::string(tg::IsaName(t.isa)) + " " + op + " n=" + std::to_string(n);
}

// Identical bits, signed zeros included; any NaN matches any NaN.
inline bool Same(float a, float b) {
  uint32_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return std::isnan(a) ? std::isnan(b) : x == y;
}

// n random values in [lo, hi], with `specials` spliced in at every third position.
inline std::vector<float> Inputs(int64_t n, float lo, float hi, const std::vector<float>& specials,
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

// Reports the first i where got[i] is not within atol[i] + rtol·|want[i]| of want[i] (NaN
// matching NaN only, infinities exactly), or, with exact, where the bits differ.
inline void ExpectClose(const std::string& what, const float* got, const std::vector<double>& want,
                        double rtol, const std::vector<double>& atol, bool exact = false) {
  for (size_t i = 0; i < want.size(); ++i) {
    const bool ok = exact ? Same(got[i], static_cast<float>(want[i]))
                          : tg_testing::Close(got[i], want[i], rtol, atol[i]);
    if (!ok) {
      char buf[160];
      std::snprintf(buf, sizeof buf, " at %zu: got %.9g, want %.9g", i, double{got[i]}, want[i]);
      tg_testing::Report(__FILE__, __LINE__, what + buf);
      return;
    }
  }
}

inline void ExpectSame(const std::string& what, const std::vector<float>& got,
                       const std::vector<float>& want) {
  ExpectClose(what, got.data(), std::vector<double>(want.begin(), want.end()), 0.0,
              std::vector<double>(want.size()), true);
}

}  // namespace nn_testing
