// What the CPU can run, detected once, and which kernel ISA the process uses.
#pragma once

namespace tg {

struct CpuFeatures {
  bool sse2 = false;
  bool avx2 = false;     // AVX2 and FMA together: the kernels need both
  bool avx512f = false;  // AVX-512 F+DQ+BW+VL, with the OS saving ZMM state
  bool neon = false;
};

enum class Isa { kRef, kAvx2, kAvx512 };

// Detected with cpuid/xgetbv (x86-64) or assumed (NEON is mandatory on arm64).
const CpuFeatures& DetectCpuFeatures();

// The ISA every kernel table uses: the best the CPU supports, unless TENSORGRAD_ISA
// (ref|avx2|avx512) asks for another. Asking for one the CPU lacks falls back to the best
// supported one and is reported by IsaOverrideIgnored(). Chosen once, at first call.
Isa SelectedIsa();
bool IsaOverrideIgnored();
bool IsaSupported(Isa isa);
const char* IsaName(Isa isa);

}  // namespace tg
