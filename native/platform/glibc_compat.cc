// Lets one prebuilt addon load on old glibc: every reference to a glibc symbol whose default
// version is newer than glibc 2.27 is bound here to the architecture's first version instead
// (2.2.5 on x86-64, 2.17 on arm64). expf, logf and powf keep their 2.27 versions, so 2.27 is
// what both prebuilds need (Node 20 itself needs 2.28). The references come from our
// objects and from the static libstdc++/libgcc (built against Debian's glibc 2.36), so a
// .symver in our own objects would not reach them: binding.gyp links with
// -Wl,--wrap=NAME for each function below, which sends every reference to NAME to
// __wrap_NAME. Keep that list and this file in step; scripts/binary-checks.mjs fails the
// prebuild when a newer version slips in.
#if defined(__linux__)
#include <features.h>  // defines __GLIBC__ (musl has no symbol versions, so nothing to pin)
#endif
#if defined(__linux__) && defined(__GLIBC__) && (defined(__x86_64__) || defined(__aarch64__))

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define TG_GLIBC_BASE "GLIBC_2.2.5"
#else
#define TG_GLIBC_BASE "GLIBC_2.17"
#endif

#define TG_HIDDEN __attribute__((visibility("hidden")))

// tg_old_NAME is NAME at the architecture's first glibc version; __wrap_NAME forwards to it.
// pthread functions moved from libpthread to libc in 2.34 and got new versions there; the
// old versions resolve to libpthread.so.0 on older systems (the addon lists it as needed).
// exp, log and pow got new versions in 2.29 that only drop the old errno wrappers.
#define TG_PIN(ret, name, params, args)                                   \
  extern "C" ret tg_old_##name params;                                    \
  __asm__(".symver tg_old_" #name "," #name "@" TG_GLIBC_BASE);           \
  extern "C" TG_HIDDEN ret __wrap_##name params { return tg_old_##name args; }

TG_PIN(int, pthread_create, (pthread_t * t, const pthread_attr_t* a, void* (*f)(void*), void* arg), (t, a, f, arg))
TG_PIN(int, pthread_join, (pthread_t t, void** r), (t, r))
TG_PIN(int, pthread_detach, (pthread_t t), (t))
TG_PIN(int, pthread_once, (pthread_once_t * o, void (*f)(void)), (o, f))
TG_PIN(int, pthread_key_create, (pthread_key_t * k, void (*d)(void*)), (k, d))
TG_PIN(int, __pthread_key_create, (pthread_key_t * k, void (*d)(void*)), (k, d))
TG_PIN(int, pthread_key_delete, (pthread_key_t k), (k))
TG_PIN(void*, pthread_getspecific, (pthread_key_t k), (k))
TG_PIN(int, pthread_setspecific, (pthread_key_t k, const void* v), (k, v))
TG_PIN(int, pthread_mutex_trylock, (pthread_mutex_t * m), (m))
TG_PIN(double, exp, (double x), (x))
TG_PIN(double, log, (double x), (x))
TG_PIN(double, pow, (double x, double y), (x, y))

// libstdc++ reads this variable (glibc 2.32) to skip atomics in single-threaded processes.
// Defined here, the static libstdc++ binds to it instead; 0 means "assume threads", which
// is always correct.
extern "C" {
TG_HIDDEN char __libc_single_threaded = 0;
}

// arc4random (2.36) is reachable from std::random_device, which the addon never uses but
// links with libstdc++'s string instantiations: getrandom(2) by syscall (Linux 3.17; Node 20
// needs 4.18). Like glibc's own, it cannot fail: with no entropy it aborts rather than return
// predictable values.
extern "C" TG_HIDDEN uint32_t __wrap_arc4random(void) {
  uint32_t value = 0;
  size_t got = 0;
  unsigned char* out = reinterpret_cast<unsigned char*>(&value);
  while (got < sizeof value) {
    const long n = syscall(SYS_getrandom, out + got, sizeof value - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      abort();
    }
  }
  return value;
}

// GCC 12's libgcc unwinder, built against glibc 2.35+, finds a frame's unwind tables with
// _dl_find_object (2.35) and has no fallback. The same answer from dl_iterate_phdr (2.2.5):
// the object whose PT_LOAD segments contain the address, and its PT_GNU_EH_FRAME.
#if defined(DLFO_STRUCT_HAS_EH_DBASE)
namespace {
struct FindRequest {
  uintptr_t address;
  struct dl_find_object* result;
};

int VisitObject(struct dl_phdr_info* info, size_t, void* data) {
  auto* request = static_cast<FindRequest*>(data);
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  bool contains = false;
  void* eh_frame = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    const uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD) {
      if (start < lo) lo = start;
      if (start + ph.p_memsz > hi) hi = start + ph.p_memsz;
      if (request->address >= start && request->address - start < ph.p_memsz) contains = true;
    } else if (ph.p_type == PT_GNU_EH_FRAME) {
      eh_frame = reinterpret_cast<void*>(start);
    }
  }
  if (!contains) return 0;
  memset(request->result, 0, sizeof *request->result);
  request->result->dlfo_map_start = reinterpret_cast<void*>(lo);
  request->result->dlfo_map_end = reinterpret_cast<void*>(hi);
  request->result->dlfo_eh_frame = eh_frame;
#if DLFO_STRUCT_HAS_EH_DBASE
  request->result->dlfo_eh_dbase = nullptr;
#endif
  return 1;
}
}  // namespace

extern "C" TG_HIDDEN int __wrap__dl_find_object(void* address, struct dl_find_object* result) {
  FindRequest request{reinterpret_cast<uintptr_t>(address), result};
  return dl_iterate_phdr(VisitObject, &request) != 0 ? 0 : -1;
}
#endif  // DLFO_STRUCT_HAS_EH_DBASE

#endif  // glibc on x86-64 or arm64
