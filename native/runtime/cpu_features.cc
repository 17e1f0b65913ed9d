#include "runtime/cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace tg {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
void Cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
#if defined(_MSC_VER)
  int r[4];
  __cpuidex(r, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int i = 0; i < 4; ++i) regs[i] = static_cast<unsigned>(r[i]);
#else
  __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
#endif
}

// XCR0 says which register files the OS saves on a context switch; a CPU flag alone
// is not enough (a kernel may disable AVX-512 state).
unsigned long long ReadXcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
#endif
}

CpuFeatures Detect() {
  CpuFeatures f;
  unsigned r[4];
  Cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  Cpuid(1, 0, r);
  f.sse2 = (r[3] >> 26) & 1;
  const bool fma = (r[2] >> 12) & 1;
  const bool osxsave = (r[2] >> 27) & 1;
  const bool avx = (r[2] >> 28) & 1;
  if (!osxsave || !avx || max_leaf < 7) return f;
  const unsigned long long xcr0 = ReadXcr0();
  const bool ymm_saved = (xcr0 & 0x6) == 0x6;
  const bool zmm_saved = (xcr0 & 0xe6) == 0xe6;
  Cpuid(7, 0, r);
  f.avx2 = ymm_saved && fma && ((r[1] >> 5) & 1);
  // The AVX-512 kernels are compiled for F + DQ + BW + VL (isa_target.h), and GCC emits DQ
  // instructions even from F intrinsics, so all four are required (Skylake-X and later, Zen 4).
  const bool f512 = (r[1] >> 16) & 1, dq = (r[1] >> 17) & 1, bw = (r[1] >> 30) & 1, vl = (r[1] >> 31) & 1;
  f.avx512f = f.avx2 && zmm_saved && f512 && dq && bw && vl;
  return f;
}
#else
CpuFeatures Detect() {
  CpuFeatures f;
#if defined(__aarch64__) || defined(_M_ARM64)
  f.neon = true;
#endif
  return f;
}
#endif

struct Selection {
  Isa isa;
  bool override_ignored;
};

Isa BestSupported() {
  if (IsaSupported(Isa::kAvx512)) return Isa::kAvx512;
  if (IsaSupported(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kRef;
}

Selection Select() {
  const char* forced = std::getenv("TENSORGRAD_ISA");
  if (forced == nullptr || *forced == '\0') return {BestSupported(), false};
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
    if (std::strcmp(forced, IsaName(isa)) == 0) {
      if (IsaSupported(isa)) return {isa, false};
      return {BestSupported(), true};
    }
  }
  return {BestSupported(), true};
}

}  // namespace

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

bool IsaSupported(Isa isa) {
  const CpuFeatures& f = DetectCpuFeatures();
  switch (isa) {
    case Isa::kRef: return true;
    case Isa::kAvx2: return f.avx2;
    case Isa::kAvx512: return f.avx512f;
  }
  return false;
}

static const Selection& CurrentSelection() {
  static const Selection selection = Select();
  return selection;
}

Isa SelectedIsa() { return CurrentSelection().isa; }
bool IsaOverrideIgnored() { return CurrentSelection().override_ignored; }

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kRef: return "ref";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

}  // namespace tg
