// The pause a spinning thread takes between polls (thread pool workers, the executor).
#pragma once

#include <thread>

namespace tg {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

}  // namespace tg
