// The graph is freed after backward: a training loop's native memory stays flat, with or
// without the garbage collector's help for the saved tensors.
import { describe, expect, it } from 'vitest';
import { F, linear, type Tensor, manualSeed, memoryStats, rand, randn, tensor, zeros } from '../lib/index.js';
import { getGc } from './helpers.js';

const gc = getGc();

const expSum = (x: Tensor) => x.exp().sum();

describe('autograd memory', () => {
  it('a synchronous training loop keeps native memory flat across 400 steps', () => {
    manualSeed(1);
    const w1 = randn(256, 784).mul(0.05).requiresGrad_();
    const b1 = zeros(256, { requiresGrad: true });
    const w2 = randn(10, 256).mul(0.05).requiresGrad_();
    const x = rand(64, 784);
    const y = tensor(Int32Array.from({ length: 64 }, (_, i) => i % 10));
    const step = () => {
      for (const p of [w1, b1, w2]) p.grad = null;
      F.crossEntropy(linear(linear(x, w1, b1, { activation: 'relu' }), w2), y).backward();
    };
    for (let i = 0; i < 50; i++) step();
    gc?.();
    const before = memoryStats().envLiveBytes;
    let peak = 0;
    for (let i = 0; i < 400; i++) {
      step();
      peak = Math.max(peak, memoryStats().envLiveBytes);
    }
    gc?.();
    const after = memoryStats().envLiveBytes;
    // One step's tensors are about 0.4 MB; garbage waiting for the collector may hold some
    // steps' worth, but never a growth proportional to the 400 steps (160 MB).
    expect(peak - before).toBeLessThan(40 * (1 << 20));
    expect(after - before).toBeLessThan(4 * (1 << 20));
  });

  it('backward frees the saved tensors even while the output is still referenced', () => {
    // exp saves its 4 MB output for backward; x.grad (4 MB) appears after it. With
    // retainGraph both stay; without it, exp's output goes.
    const liveAfterBackward = (retainGraph: boolean) => {
      const x = randn(1000, 1000, { requiresGrad: true });
      gc?.();
      const base = memoryStats().envLiveBytes;
      const loss = expSum(x); // in its own frame, so no stack slot keeps exp's output alive
      loss.backward(null, { retainGraph });
      gc?.();
      const live = memoryStats().envLiveBytes - base;
      expect(loss.gradFn).toBe('SumBackward0'); // the output (and its graph) still referenced
      return live;
    };
    const retained = liveAfterBackward(true);
    const freed = liveAfterBackward(false);
    expect(retained).toBeGreaterThanOrEqual(8_000_000);
    expect(freed).toBeLessThan(retained - 3_500_000);
  });
});
