// Deferred execution (lib/deferred.ts): every op family gives eager mode's values and
// gradients bit for bit; kernel failures surface at the next wait; the queue is bounded and
// memory stays flat; abort cancels queued work; fit/evaluate/predict keep eager results.
import { describe, expect, it } from 'vitest';
import * as tg from '../lib/index.js';
import { F, nn, optim, Tensor } from '../lib/index.js';
import { planDeferred } from '../lib/deferred.js';
import { getGc } from './helpers.js';

type Build = () => Tensor[];

// Values (copied) of what build() returns, run eagerly.
function eager(build: Build): Float32Array[] {
  tg.manualSeed(11);
  return build().map((t) => Float32Array.from(t.float().data()));
}

async function deferredValues(build: Build): Promise<Float32Array[]> {
  tg.manualSeed(11);
  const outs = await tg.deferred(() => build().map((t) => t.float()));
  return Promise.all(outs.map(async (t) => Float32Array.from(await t.dataAsync())));
}

function sameBits(a: Float32Array[], b: Float32Array[]): void {
  expect(b.length).toBe(a.length);
  a.forEach((x, i) => {
    expect(new Uint32Array(b[i]!.buffer)).toEqual(new Uint32Array(x.buffer));
  });
}

// Inputs made fresh inside each build so that both runs start from the same seeded draws.
const leaf = (shape: number[]): Tensor => tg.randn(shape).requiresGrad_();
const grads = (...ts: Tensor[]): Tensor[] => ts.map((t) => t.grad!);

const families: Record<string, Build> = {
  elementwise: () => {
    const a = leaf([33, 17]);
    const b = leaf([17]);
    const y = a.add(b).mul(a).sub(b.exp()).div(a.abs().add(1)).pow(2).sqrt().log().neg().clamp(-3, 3).maximum(a.transpose(0, 1).T);
    y.sum().backward();
    return [y, ...grads(a, b)];
  },
  reductions: () => {
    const a = leaf([8, 9, 10]);
    const y = [a.sum(1), a.mean([0, 2], true), a.max(2), a.min(0), a.argmax(1).float(), a.argmin().float()];
    y[0]!.sum().add(y[1]!.sum()).add(y[2]!.sum()).add(y[3]!.sum()).backward();
    return [...y, ...grads(a)];
  },
  linalg: () => {
    const x = leaf([5, 7, 12]);
    const w = leaf([9, 12]);
    const bias = leaf([9]);
    const m = x.matmul(w.T);
    const l = F.linear(x, w, bias, { activation: 'relu' });
    m.mul(l).sum().backward();
    return [m, l, ...grads(x, w, bias)];
  },
  activations: () => {
    const x = leaf([16, 10]);
    const ys = [F.relu(x), F.sigmoid(x), F.tanh(x), F.leakyRelu(x, 0.1), F.softmax(x, 1), F.logSoftmax(x, 1)];
    ys.reduce((s, y) => s.add(y.mul(y).sum()), tg.zeros([])).backward();
    return [...ys, ...grads(x)];
  },
  losses: () => {
    const x = leaf([12, 5]);
    const target = tg.tensor([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1], { dtype: 'int32' });
    const p = tg.rand([12, 5]);
    const ls = [
      F.crossEntropy(x, target, { labelSmoothing: 0.1 }),
      F.nllLoss(F.logSoftmax(x, 1), target),
      F.mseLoss(x, p),
      F.l1Loss(x, p),
      F.binaryCrossEntropy(F.sigmoid(x), p),
      F.binaryCrossEntropyWithLogits(x, p),
    ];
    ls.reduce((s, l) => s.add(l)).backward();
    return [...ls, ...grads(x)];
  },
  convolution: () => {
    const x = leaf([2, 3, 11, 10]);
    const w = leaf([4, 3, 3, 3]);
    const b = leaf([4]);
    const y = F.conv2d(x, w, b, { stride: 2, padding: 1 });
    y.mul(y).sum().backward();
    return [y, ...grads(x, w, b)];
  },
  pooling: () => {
    const x = leaf([2, 3, 9, 8]);
    const ys = [F.maxPool2d(x, 2), F.avgPool2d(x, 3, { stride: 2, padding: 1 }), F.adaptiveAvgPool2d(x, [3, 2])];
    ys.reduce((s, y) => s.add(y.mul(y).sum()), tg.zeros([])).backward();
    return [...ys, ...grads(x)];
  },
  normAndDropout: () => {
    const x = leaf([6, 4, 5, 5]);
    const bn = new nn.BatchNorm2d(4);
    const y = bn.call(x);
    const d = F.dropout(x, { p: 0.3, training: true });
    y.mul(d).sum().backward();
    return [y, d, bn.runningMean!, bn.runningVar!, bn.numBatchesTracked!.float(), ...grads(x, bn.weight!, bn.bias!)];
  },
  indexingAndJoins: () => {
    const x = leaf([6, 5]);
    const idx = tg.tensor([[0, 4], [1, 1], [3, 2], [0, 0], [4, 4], [2, 3]], { dtype: 'int32' });
    const rows = tg.tensor([5, 0, 2, 2], { dtype: 'int32' });
    const ys = [tg.gather(x, 1, idx), tg.indexSelect(x, 0, rows), tg.cat([x, x.mul(2)], 0), tg.stack([x, x], 1), x.narrow(1, 1, 3), x.permute([1, 0]).contiguous()];
    ys.reduce((s, y) => s.add(y.mul(y).sum()), tg.zeros([])).backward();
    return [...ys, ...grads(x)];
  },
  masksAndComparisons: () => {
    const x = leaf([4, 6, 6]);
    const y = leaf([6]);
    const xi = tg.tensor([[3, -1, 2], [0, 2, 2]], { dtype: 'int32' });
    const cmps = [x.gt(y), x.le(0.25), x.eq(x.transpose(1, 2)), x.ne(y), x.lt(y), x.ge(-0.5), xi.eq(2), xi.lt(tg.tensor([1, 2, 3]))];
    const causal = tg.ones([6, 6]).triu(1);
    const scores = x.maskedFill(causal, -1e9).softmax(-1);
    const w = tg.where(x.gt(0), x, y.mul(2));
    const buf = tg.randn([4, 6, 6]).maskedFill_(causal, 0);
    const ys = [...cmps, scores, w, x.triu(-1), x.tril(2), buf];
    scores.mul(w).sum().add(ys[ys.length - 3]!.sum()).add(ys[ys.length - 2]!.mul(x).sum()).backward();
    return [...ys, ...grads(x, y)];
  },
  scansSplitsRepeats: () => {
    const x = leaf([5, 70, 3]);
    const c = [x.cumsum(0), x.cumsum(1), x.cumsum(-1)];
    const parts = [...x.split([2, 3]), ...x.chunk(3, 1), ...x.split(2, -1)];
    const r = x.narrow(1, 0, 4).repeat(2, 1, 1, 3);
    c.concat(parts, [r]).reduce((s, t) => s.add(t.mul(t).sum()), tg.zeros([])).backward();
    return [...c, ...parts.map((p) => p.contiguous()), r, ...grads(x)];
  },
  embedding: () => {
    const emb = new nn.Embedding(10, 7, { paddingIdx: 3, maxNorm: 1.5 });
    const idx = tg.tensor([[1, 3, 9, 1], [0, 3, 1, 8]], { dtype: 'int32' });
    const y = emb.call(idx);
    const z = F.embedding(idx, emb.weight.detach().mul(2), { scaleGradByFreq: true });
    y.mul(y).sum().backward();
    const logits = leaf([2, 10, 4]);
    const nd = [F.crossEntropy(logits.view(2, 10, 2, 2), idx.view(2, 2, 2), { labelSmoothing: 0.1, ignoreIndex: 3, reduction: 'none' })];
    nd[0]!.sum().backward();
    return [y, z, emb.weight, ...nd, ...grads(emb.weight, logits)];
  },
  optimizers: () => {
    const model = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const opts = [new optim.Adam(model.parameters(), { lr: 0.01, weightDecay: 0.01 }), new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })];
    const x = tg.randn([10, 6]);
    const y = tg.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], { dtype: 'int32' });
    const norms: Tensor[] = [];
    for (let step = 0; step < 3; step++) {
      for (const opt of opts) {
        opt.zeroGrad();
        F.crossEntropy(model.call(x), y).backward();
        norms.push(optim.clipGradNorm(model.parameters(), 0.5));
        optim.clipGradValue(model.parameters(), 0.2);
        opt.step();
      }
    }
    return [...model.parameters(), ...norms];
  },
};

describe('deferred and eager give identical bits', () => {
  for (const [name, build] of Object.entries(families)) {
    it(`${name}: values and gradients`, async () => {
      sameBits(eager(build), await deferredValues(build));
    });
  }
  it('with one compute thread and with two', async () => {
    const before = tg.getNumThreads();
    try {
      for (const n of [1, 2]) {
        tg.setNumThreads(n);
        sameBits(eager(families.convolution!), await deferredValues(families.convolution!));
      }
    } finally {
      tg.setNumThreads(before);
    }
  });
});

describe('reading values', () => {
  it('data() and item() wait for the work their tensor needs, inside deferred and after it', async () => {
    const a = tg.randn([200, 300]);
    let inside = 0;
    const p = tg.deferred(() => {
      const s = a.mul(a).sum();
      inside = s.item(); // blocks for s's kernels only
      return s;
    });
    const s = await p;
    expect(inside).toBe(s.item());
    expect(inside).toBe(a.mul(a).sum().item());
  });
  it('itemAsync and dataAsync resolve without blocking, and synchronize waits for everything', async () => {
    const x = tg.randn([256, 256]);
    let y = x;
    tg.deferred(() => {
      for (let i = 0; i < 50; i++) y = y.matmul(x).div(16);
    });
    const stats = tg.queueStats();
    expect(stats.submitted).toBeGreaterThan(stats.completed);
    const v = await y.sum().itemAsync();
    expect(Number.isFinite(v)).toBe(true);
    await tg.synchronize();
    expect(tg.queueStats().pending).toBe(0);
  });
  it('eager code after deferred work runs after it (program order)', async () => {
    const w = tg.zeros([1000]);
    void tg.deferred(() => {
      for (let i = 0; i < 20; i++) w.copy_(w.add(1));
    });
    expect(w.add(0).data()[999]).toBe(20); // an eager op: waits for the queue first
  });
  it('memory a queued kernel uses lives until it ran, even if disposed', async () => {
    const out = await tg.deferred(() => {
      const big = tg.randn([512, 512]);
      const r = big.matmul(big).sum();
      big.dispose();
      return r;
    });
    expect(Number.isFinite(await out.itemAsync())).toBe(true);
  });
});

describe('errors in deferred mode', () => {
  it("a kernel's failure rejects the next wait with eager mode's error, and later work is skipped", async () => {
    const x = tg.randn([3, 4]);
    const bad = tg.tensor([0, 7, 1], { dtype: 'int32' });
    let eagerError: Error | undefined;
    try {
      tg.indexSelect(x, 1, bad);
    } catch (e) {
      eagerError = e as Error;
    }
    expect(eagerError).toBeInstanceOf(tg.ArgumentError);
    const after = tg.zeros([4]);
    const p = tg.deferred(() => {
      tg.indexSelect(x, 1, bad); // planned fine: the index values are only read by the kernel
      after.fill_(5); // skipped: eager mode would never have reached it
    });
    await expect(p).rejects.toThrow(eagerError!.message);
    await expect(p).rejects.toBeInstanceOf(tg.ArgumentError);
    expect(Array.from(after.data())).toEqual([0, 0, 0, 0]);
    // Taken once: the queue works normally afterwards.
    expect((await tg.deferred(() => after.add(1))).data()[0]).toBe(1);
  });
  it("clipGradNorm's errorIfNonfinite surfaces as the same TensorgradError at the next wait", async () => {
    const p = tg.tensor([1, 2]).requiresGrad_();
    p.mul(Infinity).sum().backward();
    const eagerMessage = (() => {
      try {
        optim.clipGradNorm([p], 1, 2, { errorIfNonfinite: true });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(eagerMessage).toMatch(/non-finite/);
    await expect(tg.deferred(() => optim.clipGradNorm([p], 1, 2, { errorIfNonfinite: true }))).rejects.toThrow(eagerMessage);
  });
  it('a kernel failure also reaches a blocking read', async () => {
    const x = tg.randn([3, 4]);
    // data() inside fn is the first wait: it throws, so fn throws, and deferred rejects with it.
    await expect(tg.deferred(() => tg.indexSelect(x, 0, tg.tensor([9], { dtype: 'int32' })).data())).rejects.toThrow(/out of range/);
    expect((await tg.deferred(() => x.sum())).item()).toBe(x.sum().item()); // taken: nothing left pending
  });
  it('a wait for work ahead of a failure succeeds; the failure waits for a read that covers it', async () => {
    const a = tg.randn([32, 32]);
    const want = Array.from(a.matmul(a).data());
    const bad = tg.tensor([0, 40], { dtype: 'int32' });
    const [early, picked, later] = planDeferred(() => {
      const e = a.matmul(a);
      const p = tg.indexSelect(a, 0, bad); // fails in its kernel: row 40 of 32
      return [e, p, p.mul(2)];
    });
    expect(Array.from(await early.dataAsync())).toEqual(want); // unrelated to the failure
    while (tg.queueStats().completed < tg.queueStats().submitted) await new Promise((r) => setTimeout(r, 1));
    expect(Array.from(await early.dataAsync())).toEqual(want); // also once the failure happened
    expect(tg.queueStats().failed).toBe(true); // still pending, for the reads it concerns
    await expect(later.dataAsync()).rejects.toBeInstanceOf(tg.ArgumentError);
    // Taken: the value the failed kernel was to produce reads as never computed, not as garbage.
    await expect(picked.dataAsync()).rejects.toThrow(/never computed.*out of range/);
    expect(() => picked.data()).toThrow(/never computed/);
    expect(Array.from(a.matmul(a).data())).toEqual(want); // everything else works on
  });
  it('a loss whose deferred forward failed refuses its backward too (no out-of-range write)', async () => {
    const x = tg.randn([4, 3]).requiresGrad_();
    const bad = tg.tensor([0, 1, 200000000, 2], { dtype: 'int32' });
    let loss: Tensor | undefined;
    await expect(tg.deferred(() => {
      loss = F.nllLoss(x, bad);
    })).rejects.toThrow(/target must hold class indices/);
    expect(() => loss!.backward()).toThrow(/target must hold class indices/);
  });
  it("fn's own error rejects after its earlier work ran; an async fn is refused", async () => {
    const t = tg.zeros([2]);
    await expect(tg.deferred(() => {
      t.fill_(3);
      throw new RangeError('mine');
    })).rejects.toThrow('mine');
    expect(Array.from(t.data())).toEqual([3, 3]);
    await expect(tg.deferred(async () => 1)).rejects.toBeInstanceOf(tg.ArgumentError);
    await expect(tg.deferred(42 as never)).rejects.toBeInstanceOf(tg.ArgumentError);
  });
});

describe('bounded queue and memory', () => {
  it('a loop that never waits blocks at the bound instead of queueing without limit', async () => {
    tg.setMaxQueuedOps(16);
    try {
      const x = tg.randn([64, 64]);
      let maxPending = 0;
      await tg.deferred(() => {
        let y = x;
        for (let i = 0; i < 400; i++) {
          y = y.matmul(x).div(8);
          maxPending = Math.max(maxPending, tg.queueStats().pending);
        }
      });
      expect(maxPending).toBeLessThanOrEqual(16);
    } finally {
      tg.setMaxQueuedOps(2048);
    }
    expect(() => tg.setMaxQueuedOps(0)).toThrow(tg.ArgumentError);
  });
  it('live native memory stays flat over many deferred steps', async () => {
    const gc = getGc();
    const model = new nn.Sequential(new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 10));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = tg.randn([128, 64]);
    const y = tg.zeros([128], { dtype: 'int32' });
    const step = () => tg.deferred(() => {
      opt.zeroGrad();
      F.crossEntropy(model.call(x), y).backward();
      opt.step();
    });
    for (let i = 0; i < 50; i++) await step();
    gc?.();
    await tg.synchronize();
    const base = tg.memoryStats().envLiveBytes;
    for (let i = 0; i < 400; i++) await step();
    gc?.();
    await tg.synchronize();
    expect(tg.memoryStats().envLiveBytes).toBeLessThan(base + (1 << 20));
  });
});

describe('abort', () => {
  it('an AbortSignal cancels the queued work of its call and rejects with the reason', async () => {
    const x = tg.randn([256, 256]);
    const ac = new AbortController();
    let y = x;
    const p = tg.deferred(() => {
      for (let i = 0; i < 300; i++) y = y.matmul(x).div(16);
    }, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(tg.queueStats().skipped).toBeGreaterThan(0);
    // The environment goes on working.
    expect((await tg.deferred(() => tg.ones([3]).sum())).item()).toBe(3);
    await expect(tg.deferred(() => 1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('training and inference', () => {
  function data(): [Tensor, Tensor] {
    tg.manualSeed(3);
    const x = tg.randn([96, 8]);
    const y = x.narrow(1, 0, 3).argmax(1);
    return [x, y];
  }
  function net(): nn.Sequential {
    tg.manualSeed(4);
    return new nn.Sequential(new nn.Linear(8, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 3));
  }
  async function eagerFit(model: nn.Sequential, x: Tensor, y: Tensor): Promise<number[]> {
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const losses: number[] = [];
    for (let i = 0; i < 96; i += 16) {
      opt.zeroGrad();
      const l = F.crossEntropy(model.call(x.narrow(0, i, 16)), y.narrow(0, i, 16));
      l.backward();
      opt.step();
      losses.push(l.item());
    }
    return losses;
  }
  it('fit gives the weights and losses of a hand-written eager loop', async () => {
    const [x, y] = data();
    const a = net();
    const want = await eagerFit(a, x, y);
    const b = net();
    const h = await tg.fit(b, new tg.data.DataLoader(new tg.data.TensorDataset(x, y), { batchSize: 16 }), {
      optimizer: new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 }),
      loss: new nn.CrossEntropyLoss(),
      verbose: false,
    });
    expect(h.loss[0]).toBeCloseTo(want.reduce((s, v) => s + v * 16, 0) / 96, 5);
    sameBits(a.parameters().map((p) => p.data() as Float32Array), b.parameters().map((p) => p.data() as Float32Array));
  });
  it('a hand-written deferred loop gives the same bits', async () => {
    const [x, y] = data();
    const a = net();
    await eagerFit(a, x, y);
    const b = net();
    const opt = new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 });
    for (let i = 0; i < 96; i += 16) {
      await tg.deferred(() => {
        opt.zeroGrad();
        F.crossEntropy(b.call(x.narrow(0, i, 16)), y.narrow(0, i, 16)).backward();
        opt.step();
      });
    }
    sameBits(a.parameters().map((p) => p.data() as Float32Array), b.parameters().map((p) => p.data() as Float32Array));
  });
  it('a loader that refills one buffer per batch trains as eager mode does (fit, evaluate, predict)', async () => {
    const [x, y] = data();
    const a = net();
    const want = await eagerFit(a, x, y);
    // One Float32Array, overwritten for every batch while the previous batch may still be queued.
    const bufX = new Float32Array(16 * 8);
    const bufY = new Int32Array(16);
    const xs = x.data() as Float32Array, ys = y.data() as Int32Array;
    function* refilling(): Generator<[Tensor, Tensor]> {
      for (let i = 0; i < 96; i += 16) {
        bufX.set(xs.subarray(i * 8, (i + 16) * 8));
        bufY.set(ys.subarray(i, i + 16));
        yield [Tensor.from(bufX, [16, 8]), Tensor.from(bufY)];
      }
    }
    const loader = { [Symbol.iterator]: refilling, length: 6 };
    const b = net();
    const h = await tg.fit(b, loader, { optimizer: new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 }), loss: new nn.CrossEntropyLoss(), verbose: false });
    expect(h.loss[0]).toBeCloseTo(want.reduce((s, v) => s + v * 16, 0) / 96, 5);
    sameBits(a.parameters().map((p) => p.data() as Float32Array), b.parameters().map((p) => p.data() as Float32Array));
    const asyncLoader = { async *[Symbol.asyncIterator]() { yield* refilling(); } };
    const wantEval = await tg.evaluate(a, new tg.data.DataLoader(new tg.data.TensorDataset(x, y), { batchSize: 16 }), { loss: new nn.CrossEntropyLoss() });
    expect(await tg.evaluate(b, asyncLoader, { loss: new nn.CrossEntropyLoss() })).toEqual(wantEval);
    a.eval();
    const wantOut = Array.from(tg.noGrad(() => a.call(x)).data());
    expect(Array.from(await tg.predict(b, loader).dataAsync())).toEqual(wantOut);
    // A borrowed input overwritten right after predict returned: the result is the old input's.
    const input = Float32Array.from(xs);
    const out = tg.predict(b, Tensor.from(input, [96, 8]));
    input.fill(0);
    expect(Array.from(await out.dataAsync())).toEqual(wantOut);
  });
  it('predict returns at once and its values are eager mode’s', async () => {
    const [x] = data();
    const model = net().eval();
    const want = Float32Array.from(model.call(x).data());
    const out = tg.predict(model, x, { batchSize: 10 });
    expect(new Uint32Array(Float32Array.from(await out.dataAsync()).buffer)).toEqual(new Uint32Array(want.buffer));
  });
  it('evaluate gives eager metrics', async () => {
    const [x, y] = data();
    const model = net();
    const loader = new tg.data.DataLoader(new tg.data.TensorDataset(x, y), { batchSize: 20 });
    const r = await tg.evaluate(model, loader, { loss: new nn.CrossEntropyLoss() });
    model.eval();
    const out = model.call(x);
    expect(r.loss).toBeCloseTo(F.crossEntropy(out, y).item(), 5);
    expect(r.metrics.accuracy).toBeCloseTo(tg.train.accuracy(out, y), 10);
  });
  it('the event loop keeps running while a deferred step is queued', async () => {
    const x = tg.randn([384, 384]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    await tg.deferred(() => {
      let y = x;
      for (let i = 0; i < 30; i++) y = y.matmul(x).div(20);
    });
    clearInterval(timer);
    const ms = performance.now() - t0;
    // A blocked loop would tick at most once; a free one ticks about once per ms.
    if (ms > 20) expect(ticks).toBeGreaterThan(2);
  });
});
