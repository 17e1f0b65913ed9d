// What the addon reports about itself: the kernel ISA (and TENSORGRAD_ISA forcing one), CPU
// features and threads.
import { describe, expect, it } from 'vitest';
import { ArgumentError, backendInfo, getNumThreads, setNumThreads } from '../lib/index.js';

describe('backendInfo', () => {
  it('names a kernel ISA the CPU supports', () => {
    const info = backendInfo();
    expect(['ref', 'avx2', 'avx512']).toContain(info.isa);
    if (info.isa === 'avx512') expect(info.cpu.avx512f).toBe(true);
    if (info.isa === 'avx2') expect(info.cpu.avx2 && info.cpu.fma).toBe(true);
    if (process.arch === 'x64') expect(info.cpu.sse2).toBe(true);
    if (process.arch === 'arm64') expect(info.cpu.neon).toBe(true);
  });

  it('uses the ISA TENSORGRAD_ISA asks for, when the CPU has it', () => {
    const forced = process.env.TENSORGRAD_ISA;
    const info = backendInfo();
    if (forced === undefined || forced === '') {
      // The best one: AVX-512 where the CPU has it, else AVX2, else the portable kernels.
      expect(info.isa).toBe(info.cpu.avx512f ? 'avx512' : info.cpu.avx2 ? 'avx2' : 'ref');
      expect(info.isaOverrideIgnored).toBe(false);
    } else if (!info.isaOverrideIgnored) {
      expect(info.isa).toBe(forced);
    }
  });

  it('reports and sets the thread count', () => {
    const before = getNumThreads();
    expect(before).toBeGreaterThanOrEqual(1);
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    expect(backendInfo().numThreads).toBe(1);
    setNumThreads(before);
    expect(getNumThreads()).toBe(before);
    expect(() => setNumThreads(0)).toThrow(ArgumentError);
    expect(() => setNumThreads(1.5)).toThrow(/setNumThreads: n must be an integer from 1 to 256, got the number 1.5/);
  });
});
