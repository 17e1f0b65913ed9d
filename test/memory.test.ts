import { afterAll, describe, expect, it } from 'vitest';
import { arange, emptyCache, memoryStats, setCacheLimit, Tensor, zeros } from '../lib/index.js';
import { getGc } from './helpers.js';

const gc = getGc();
const MB = 1 << 20;
const FLOATS_PER_MB = MB / 4;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Collects garbage and lets the finalizers that N-API defers to the event loop run. */
async function collect() {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await turn();
  }
}

afterAll(async () => {
  await collect();
  emptyCache();
});

describe('memory without dispose()', () => {
  it('a loop of 2000 x 1 MB tensors that yields to the event loop keeps envLiveBytes bounded', async () => {
    await collect();
    const base = memoryStats().envLiveBytes;
    let peak = 0;
    for (let i = 0; i < 2000; i++) {
      const t = zeros([FLOATS_PER_MB]);
      expect(t.numel).toBe(FLOATS_PER_MB);
      if (i % 50 === 49) await turn(); // as an async training loop does between steps
      peak = Math.max(peak, memoryStats().envLiveBytes - base);
    }
    // 2000 MB were allocated in all; without collection the peak would be about that
    expect(peak).toBeGreaterThanOrEqual(MB);
    expect(peak).toBeLessThan(512 * MB);
  });

  it('a synchronous loop of 1500 x 1 MB tensors keeps envLiveBytes bounded', async () => {
    await collect();
    const base = memoryStats().envLiveBytes;
    let peak = 0;
    try {
      for (let i = 0; i < 1500; i++) {
        zeros([FLOATS_PER_MB]);
        peak = Math.max(peak, memoryStats().envLiveBytes - base);
      }
    } finally {
      await collect();
    }
    expect(peak).toBeLessThan(512 * MB);
  });

  it.runIf(gc)('after a collection the memory of dropped tensors is given back', async () => {
    await collect();
    const base = memoryStats().envLiveBytes;
    let keep: Tensor | undefined;
    for (let i = 0; i < 200; i++) {
      const t = zeros([FLOATS_PER_MB]).add(1);
      if (i === 199) keep = t;
      if (i % 20 === 0) await collect();
    }
    await collect();
    const after = memoryStats().envLiveBytes - base;
    // only `keep` (1 MB) is still reachable
    expect(after).toBeGreaterThanOrEqual(MB);
    expect(after).toBeLessThanOrEqual(2 * MB);
    expect(keep!.sum().item()).toBe(FLOATS_PER_MB);
  });
});

describe('dispose()', () => {
  it('frees a tensor at once; a view keeps the memory alive until it goes too', () => {
    const before = memoryStats();
    const t = zeros([4 * FLOATS_PER_MB]);
    const mid = memoryStats();
    expect(mid.envLiveBytes - before.envLiveBytes).toBe(4 * MB);
    expect(mid.bytesInUse - before.bytesInUse).toBe(4 * MB);
    const v = t.reshape(2, -1);
    t.dispose();
    expect(memoryStats().envLiveBytes).toBe(mid.envLiveBytes);
    v.dispose();
    expect(memoryStats().envLiveBytes).toBe(before.envLiveBytes);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
  });

  it('a tensor over a Float32Array of the caller is not counted as native memory', () => {
    const before = memoryStats().envLiveBytes;
    const t = Tensor.from(new Float32Array(FLOATS_PER_MB));
    expect(memoryStats().envLiveBytes).toBe(before);
    t.dispose();
    expect(memoryStats().envLiveBytes).toBe(before);
  });
});

describe('caching allocator', () => {
  it('reuses a freed block for the next allocation of the same size', () => {
    emptyCache();
    const t = zeros([123_457]); // an odd size no other test uses
    t.dispose();
    const s1 = memoryStats();
    expect(s1.bytesCached).toBeGreaterThanOrEqual(123_457 * 4);
    const u = zeros([123_457]);
    const s2 = memoryStats();
    expect(s2.allocations).toBe(s1.allocations + 1);
    expect(s2.cacheHits).toBe(s1.cacheHits + 1);
    expect(s2.bytesCached).toBeLessThan(s1.bytesCached);
    // a size that is not cached is not a hit
    const w = zeros([7 * FLOATS_PER_MB + 3]);
    const s3 = memoryStats();
    expect(s3.allocations).toBe(s2.allocations + 1);
    expect(s3.cacheHits).toBe(s2.cacheHits);
    u.dispose();
    w.dispose();
  });

  it('reuses blocks across a loop of dispose()d steps without new system allocations', () => {
    emptyCache();
    const first = arange(1000).mul(2);
    first.dispose();
    const s1 = memoryStats();
    for (let i = 0; i < 100; i++) {
      const a = arange(1000);
      const b = a.mul(2); // (reading b here would make views that keep its block alive until GC)
      b.dispose();
      a.dispose();
    }
    const s2 = memoryStats();
    expect(s2.allocations - s1.allocations).toBeGreaterThanOrEqual(200);
    // every allocation after the first round came from the cache
    expect(s2.cacheHits - s1.cacheHits).toBeGreaterThanOrEqual(s2.allocations - s1.allocations - 2);
    expect(s2.bytesInUse).toBeLessThanOrEqual(s1.bytesInUse + 64 * 1024);
    // and the recycled blocks hold the right values
    expect(Array.from(arange(1000).mul(2).data().subarray(997))).toEqual([1994, 1996, 1998]);
  });

  it('emptyCache() drops bytesCached to 0 and leaves tensors in use alone', () => {
    const live = zeros([FLOATS_PER_MB]);
    for (let i = 0; i < 5; i++) zeros([(i + 1) * 1000]).dispose();
    expect(memoryStats().bytesCached).toBeGreaterThan(0);
    const inUse = memoryStats().bytesInUse;
    emptyCache();
    expect(memoryStats().bytesCached).toBe(0);
    expect(memoryStats().bytesInUse).toBe(inUse);
    expect(live.add(1).sum().item()).toBe(FLOATS_PER_MB);
  });

  it('setCacheLimit(0) stops caching; the limit is reported', () => {
    const limit = memoryStats().cacheLimit;
    expect(limit).toBeGreaterThan(0);
    try {
      setCacheLimit(0);
      expect(memoryStats().cacheLimit).toBe(0);
      zeros([FLOATS_PER_MB]).dispose();
      expect(memoryStats().bytesCached).toBe(0);
      setCacheLimit(8 * MB);
      zeros([FLOATS_PER_MB]).dispose();
      expect(memoryStats().bytesCached).toBe(MB);
      zeros([16 * FLOATS_PER_MB]).dispose(); // larger than the limit: not kept
      expect(memoryStats().bytesCached).toBe(MB);
    } finally {
      setCacheLimit(limit);
    }
    expect(memoryStats().cacheLimit).toBe(limit);
  });

  it('peakBytesInUse is at least bytesInUse and grows with a large tensor', () => {
    const t = zeros([32 * FLOATS_PER_MB]);
    const s = memoryStats();
    expect(s.peakBytesInUse).toBeGreaterThanOrEqual(s.bytesInUse);
    expect(s.bytesInUse).toBeGreaterThanOrEqual(32 * MB);
    t.dispose();
  });
});
