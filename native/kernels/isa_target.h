// Compiles the rest of a file for one ISA without per-file compiler flags, so binding.gyp
// and CMakeLists.txt share one flat source list and the addon still runs on any x86-64.
//
// Rules for a file between TG_TARGET_*_BEGIN and TG_TARGET_END:
//  - include every header before BEGIN: an inline function from a header compiled inside the
//    region would be emitted with AVX instructions and could be picked by the linker for
//    callers on CPUs without them;
//  - define only file-local functions (anonymous namespace) plus the exported kernel table,
//    and call no std:: templates (their instantiations would have the same problem);
//  - templates from headers can't carry the target either (GCC attaches target options where a
//    function is defined, so one from a header included before BEGIN is compiled without the
//    ISA), so shared SIMD code is written in .inc files (kernels/simd/) included inside the
//    region, each checking TG_SIMD_REGION, which the file defines after BEGIN.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#define TG_X86_64 1
#else
#define TG_X86_64 0
#endif

#if TG_X86_64 && defined(__clang__)
#define TG_TARGET_AVX2_BEGIN \
  _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define TG_TARGET_AVX512_BEGIN                                                                \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx512dq,avx512bw,avx512vl,avx2,fma\"))), apply_to = function)")
#define TG_TARGET_END _Pragma("clang attribute pop")
#elif TG_X86_64 && defined(__GNUC__)
#define TG_TARGET_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define TG_TARGET_AVX512_BEGIN \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512dq,avx512bw,avx512vl,avx2,fma\")")
#define TG_TARGET_END _Pragma("GCC pop_options")
#else
// MSVC accepts AVX intrinsics without flags; other architectures compile no x86 kernels.
#define TG_TARGET_AVX2_BEGIN
#define TG_TARGET_AVX512_BEGIN
#define TG_TARGET_END
#endif
