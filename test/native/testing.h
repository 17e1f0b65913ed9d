// A minimal test harness for the C++ tests: each test_*.cc is one ctest executable holding
// several TG_TEST cases. A failed check prints file:line and the values, the case goes on,
// and the executable exits non-zero.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/status.h"  // tg::Error, for ErrorOf

namespace tg_testing {

struct Case {
  const char* name;
  std::function<void()> fn;
};

inline std::vector<Case>& Registry() {
  static std::vector<Case> cases;
  return cases;
}

inline int& Failures() {
  static int failures = 0;
  return failures;
}

struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { Registry().push_back({name, std::move(fn)}); }
};

inline void Report(const char* file, int line, const std::string& what) {
  ++Failures();
  std::fprintf(stderr, "  FAILED %s:%d: %s\n", file, line, what.c_str());
}

// |a - b| <= atol + rtol * |b|, with NaN == NaN and equal infinities passing.
inline bool Close(double a, double b, double rtol, double atol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

// got[i] ~ want[i] for every i, reporting the first mismatch only (and a size mismatch) at the
// caller's line.
template <class T>
inline void ExpectNear(const std::string& what, const std::vector<float>& got, const std::vector<T>& want,
                       double rtol = 1e-6, double atol = 1e-6, const char* file = __builtin_FILE(),
                       int line = __builtin_LINE()) {
  if (got.size() != want.size()) {
    Report(file, line, what + ": sizes differ");
    return;
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (!Close(got[i], want[i], rtol, atol)) {
      std::ostringstream msg;
      msg.precision(9);
      msg << what << " [" << i << "]: " << got[i] << " vs " << want[i];
      Report(file, line, msg.str());
      return;
    }
  }
}

// The same for float expectations, which may be written as {1, 2, 3}.
inline void ExpectNear(const std::string& what, const std::vector<float>& got, const std::vector<float>& want,
                       double rtol = 1e-6, double atol = 1e-6, const char* file = __builtin_FILE(),
                       int line = __builtin_LINE()) {
  ExpectNear<float>(what, got, want, rtol, atol, file, line);
}

template <class T>
inline bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  // Empty vectors may hold null data(), which memcmp must not be given even for 0 bytes.
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

inline bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// n floats uniform in [lo, hi), the same for a given seed on every platform's mt19937.
inline std::vector<float> Uniform(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// The message of the tg::Error that fn throws ("" when it throws none).
template <class Fn>
inline std::string ErrorOf(Fn fn) {
  try {
    fn();
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "";
}

inline int RunAll() {
  int failed_cases = 0;
  for (const Case& c : Registry()) {
    const int before = Failures();
    try {
      c.fn();
    } catch (const std::exception& e) {
      Report(__FILE__, __LINE__, std::string("unexpected exception: ") + e.what());
    }
    const bool ok = Failures() == before;
    failed_cases += ok ? 0 : 1;
    std::printf("[%s] %s\n", ok ? "  OK  " : " FAIL ", c.name);
  }
  std::printf("%zu cases, %d failed\n", Registry().size(), failed_cases);
  return failed_cases == 0 ? 0 : 1;
}

}  // namespace tg_testing

#define TG_CONCAT_INNER(a, b) a##b
#define TG_CONCAT(a, b) TG_CONCAT_INNER(a, b)
#define TG_TEST(name)                                                              \
  static void name();                                                              \
  static tg_testing::Registrar TG_CONCAT(registrar_, name)(#name, name);           \
  static void name()

#define EXPECT_TRUE(cond)                                                          \
  do {                                                                             \
    if (!(cond)) tg_testing::Report(__FILE__, __LINE__, "expected " #cond);        \
  } while (0)

#define EXPECT_EQ(a, b)                                                            \
  do {                                                                             \
    const auto& tg_a = (a);                                                        \
    const auto& tg_b = (b);                                                        \
    if (!(tg_a == tg_b)) {                                                         \
      std::ostringstream tg_msg;                                                   \
      tg_msg << #a " == " #b ": " << tg_a << " vs " << tg_b;                       \
      tg_testing::Report(__FILE__, __LINE__, tg_msg.str());                        \
    }                                                                              \
  } while (0)

#define EXPECT_CLOSE(a, b, rtol, atol)                                             \
  do {                                                                             \
    const double tg_a = (a), tg_b = (b);                                           \
    if (!tg_testing::Close(tg_a, tg_b, (rtol), (atol))) {                          \
      std::ostringstream tg_msg;                                                   \
      tg_msg.precision(9);                                                         \
      tg_msg << #a " ~= " #b ": " << tg_a << " vs " << tg_b;                       \
      tg_testing::Report(__FILE__, __LINE__, tg_msg.str());                        \
    }                                                                              \
  } while (0)

#define EXPECT_THROWS(stmt)                                                        \
  do {                                                                             \
    bool tg_threw = false;                                                         \
    try {                                                                          \
      stmt;                                                                        \
    } catch (...) {                                                                \
      tg_threw = true;                                                             \
    }                                                                              \
    if (!tg_threw) tg_testing::Report(__FILE__, __LINE__, "expected a throw: " #stmt); \
  } while (0)

#define TG_TEST_MAIN() \
  int main() { return tg_testing::RunAll(); }
