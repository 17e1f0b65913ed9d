/** The native backend: which kernels run, how many threads, and memory use. */
import { type BackendInfo, type MemoryStats, native } from './native.js';
import { checkInt } from './validate.js';

export type { BackendInfo, MemoryStats } from './native.js';

/** The kernel ISA chosen at load (set TENSORGRAD_ISA=ref|avx2|avx512 to force one), CPU features and threads. */
export function backendInfo(): BackendInfo {
  return native.backendInfo();
}

/** Threads used by native kernels in this process (shared by all worker_threads). Default: the number of cores. */
export function setNumThreads(n: number): void {
  checkInt('setNumThreads', 'n', n, 1, 256);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** The caching allocator's counters. */
export function memoryStats(): MemoryStats {
  return native.memoryStats();
}

/** Returns every cached (freed) block to the system. */
export function emptyCache(): void {
  native.emptyCache();
}

/** Most bytes the allocator keeps cached for reuse (default: min(2 GiB, RAM / 4)). */
export function setCacheLimit(bytes: number): void {
  checkInt('setCacheLimit', 'bytes', bytes, 0);
  native.setCacheLimit(bytes);
}
