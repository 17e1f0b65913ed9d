// Backend information, threads, the allocator, and the JS error classes.
#include <napi.h>

#include <initializer_list>
#include <string>

#include "binding/convert.h"
#include "binding/env_data.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "kernels/isa_target.h"
#include "kernels/kernel_table.h"
#include "runtime/allocator.h"
#include "runtime/cpu_features.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

// How this binary was built, for bug reports (`npx tensorgrad info`).
Napi::Object BuildInfo(Napi::Env env) {
  Napi::Object build = Napi::Object::New(env);
#if defined(__clang__)
  build.Set("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  build.Set("compiler", "gcc " __VERSION__);
#elif defined(_MSC_VER)
  build.Set("compiler", "msvc " + std::to_string(_MSC_FULL_VER));
#endif
#if defined(__x86_64__) || defined(_M_X64)
  build.Set("arch", "x86_64");
#elif defined(__aarch64__) || defined(_M_ARM64)
  build.Set("arch", "aarch64");
#else
  build.Set("arch", "other");
#endif
  // The kernel sets compiled in: every ISA's on x86-64, the portable ones elsewhere.
  Napi::Array kernels = Napi::Array::New(env);
  uint32_t i = 0;
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
    if (isa == Isa::kRef || TG_X86_64) kernels.Set(i++, IsaName(isa));
  }
  build.Set("kernels", kernels);
#if defined(_GLIBCXX_RELEASE)
  build.Set("cxxRuntime", "libstdc++ " + std::to_string(_GLIBCXX_RELEASE) + " (" + std::to_string(__GLIBCXX__) + ")");
#elif defined(_LIBCPP_VERSION)
  build.Set("cxxRuntime", "libc++ " + std::to_string(_LIBCPP_VERSION));
#endif
  return build;
}

Napi::Value BackendInfo(Info info) {
  Napi::Env env = info.Env();
  const CpuFeatures& f = DetectCpuFeatures();
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("sse2", f.sse2);
  cpu.Set("avx2", f.avx2);
  cpu.Set("fma", f.avx2);
  cpu.Set("avx512f", f.avx512f);
  cpu.Set("neon", f.neon);
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", IsaName(Kernels().isa));
  out.Set("isaOverrideIgnored", IsaOverrideIgnored());
  out.Set("cpu", cpu);
  out.Set("numThreads", NumThreads());
  out.Set("build", BuildInfo(env));
  return out;
}

Napi::Value SetNumThreadsJs(Info info) {
  const int64_t n = GetInt(info, 0, "numThreads");
  if (n < 1 || n > kMaxThreads) Fail(StatusCode::kArgument, "numThreads must be an integer from 1 to ", kMaxThreads, ", got ", n);
  // Queued kernels were planned for the old count (their splits, hence their results). A
  // failure among them stays pending for the next wait: it is not this call's.
  GetEnvData(info.Env()).deferred.executor().WaitAllQuietly();
  SetNumThreads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value GetNumThreadsJs(Info info) { return Napi::Number::New(info.Env(), NumThreads()); }

Napi::Value MemoryStats(Info info) {
  Napi::Env env = info.Env();
  const AllocatorStats s = GetAllocatorStats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("bytesInUse", static_cast<double>(s.bytes_in_use));
  out.Set("peakBytesInUse", static_cast<double>(s.peak_bytes_in_use));
  out.Set("bytesCached", static_cast<double>(s.bytes_cached));
  out.Set("cacheLimit", static_cast<double>(s.cache_limit));
  out.Set("allocations", static_cast<double>(s.allocations));
  out.Set("cacheHits", static_cast<double>(s.cache_hits));
  out.Set("envLiveBytes", static_cast<double>(GetEnvData(env).memory->live_bytes.load()));
  return out;
}

Napi::Value EmptyCacheJs(Info info) {
  EmptyCache();
  return info.Env().Undefined();
}

Napi::Value SetCacheLimitJs(Info info) {
  const int64_t bytes = GetInt(info, 0, "bytes");
  if (bytes < 0) Fail(StatusCode::kArgument, "bytes must be >= 0, got ", bytes);
  SetCacheLimit(static_cast<size_t>(bytes));
  return info.Env().Undefined();
}

// setErrorClasses({ TensorgradError, ShapeError, DTypeError, ArgumentError, IOError })
Napi::Value SetErrorClasses(Info info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) Fail(StatusCode::kArgument, "classes must be an object");
  Napi::Object classes = info[0].As<Napi::Object>();
  EnvData& data = GetEnvData(env);
  auto take = [&](const char* name, Napi::FunctionReference& slot) {
    Napi::Value v = classes.Get(name);
    if (!v.IsFunction()) Fail(StatusCode::kArgument, "classes.", name, " must be a class");
    slot = Napi::Persistent(v.As<Napi::Function>());
  };
  take("TensorgradError", data.base_error);
  take("ShapeError", data.shape_error);
  take("DTypeError", data.dtype_error);
  take("ArgumentError", data.argument_error);
  take("IOError", data.io_error);
  return env.Undefined();
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"backendInfo", Guarded<BackendInfo>},
    {"setNumThreads", Guarded<SetNumThreadsJs>},
    {"getNumThreads", Guarded<GetNumThreadsJs>},
    {"memoryStats", Guarded<MemoryStats>},
    {"emptyCache", Guarded<EmptyCacheJs>},
    {"setCacheLimit", Guarded<SetCacheLimitJs>},
    {"setErrorClasses", Guarded<SetErrorClasses>},
};

}  // namespace

const ExportTable kRuntimeExports = TableOf(kExports);

}  // namespace tg::binding
