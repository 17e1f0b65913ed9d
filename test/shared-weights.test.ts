// Weights shared with worker_threads (lib/nn/shared.ts) and deferred work in workers: a
// worker trains on the same memory the main thread reads; snapshots are consistent; a worker
// terminated in mid-step or with work queued leaves nothing stuck or crashed. Uses the built
// package (dist/), as a user would; skipped when it has not been built.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import * as tg from '../lib/index.js';
import { nn, optim } from '../lib/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distCjs = join(root, 'dist', 'index.cjs');
const built = existsSync(distCjs);

// Two big parameters that every step raises by one together: a snapshot that saw half a step
// would hold values that differ.
class Pair extends nn.Module {
  declare a: nn.Parameter;
  declare b: nn.Parameter;
  constructor(n: number) {
    super();
    this.registerParameter('a', new nn.Parameter(tg.zeros([n])));
    this.registerParameter('b', new nn.Parameter(tg.zeros([n])));
  }
  forward(x: tg.Tensor): tg.Tensor {
    return x;
  }
}

const PAIR = `
class Pair extends tg.nn.Module {
  constructor(n) {
    super();
    this.registerParameter('a', new tg.nn.Parameter(tg.zeros([n])));
    this.registerParameter('b', new tg.nn.Parameter(tg.zeros([n])));
  }
  forward(x) { return x; }
}`;

// The worker: aliases the shared weights, then steps forever (deferred or eager), posting
// 'stepping' once the first step is queued.
const STEPPER = `
const { parentPort, workerData } = require('node:worker_threads');
const tg = require(workerData.cjs);
${PAIR}
const model = new Pair(workerData.n).loadSharedStateDict(workerData.state);
const step = () => model.sharedStep(() => tg.noGrad(() => {
  for (const p of [model.a, model.b]) p.copy_(p.add(1));
}));
(async () => {
  let first = true;
  for (;;) {
    if (workerData.eager) step();
    else await tg.deferred(step);
    if (first) parentPort.postMessage('stepping');
    first = false;
    if (workerData.steps !== undefined && --workerData.steps === 0) break;
  }
  parentPort.postMessage('done');
})();
`;

function startStepper(state: unknown, n: number, extra: Record<string, unknown> = {}): Promise<Worker> {
  const worker = new Worker(STEPPER, { eval: true, workerData: { cjs: distCjs, state, n, ...extra } });
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
}

function uniform(values: Float32Array): number | null {
  const v = values[0]!;
  for (let i = 1; i < values.length; i++) if (values[i] !== v) return null;
  return v;
}

describe('shared weights in one thread', () => {
  it('shareMemory moves parameters and buffers into SharedArrayBuffers in place, keeping values and the optimizer', () => {
    tg.manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3));
    const opt = new optim.SGD(model.parameters(), { lr: 0.5 });
    const before = model.parameters().map((p) => Float32Array.from(p.data()));
    expect(model.shareMemory()).toBe(model);
    model.parameters().forEach((p, i) => expect(Array.from(p.data())).toEqual(Array.from(before[i]!)));
    const state = model.sharedStateDict();
    expect(Object.keys(state.tensors)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']);
    for (const e of Object.values(state.tensors)) expect(e.buffer).toBeInstanceOf(SharedArrayBuffer);
    // The optimizer made before still updates the (moved) parameters, and the shared memory sees it.
    model.call(tg.randn([5, 4])).pow(2).sum().backward();
    opt.step();
    const w = new Float32Array(state.tensors['0.weight']!.buffer, state.tensors['0.weight']!.byteOffset, 12);
    expect(Array.from(w)).toEqual(Array.from(model.parameters()[0]!.data()));
    expect(Array.from(w)).not.toEqual(Array.from(before[0]!));
    const clone = structuredClone(state); // what postMessage does: the memory itself is shared
    expect(clone.tensors['0.weight']!.buffer).toBeInstanceOf(SharedArrayBuffer);
    // BatchNorm's batch count, written by another thread through the shared memory, counts on.
    const e = state.tensors['1.num_batches_tracked']!;
    const count = new Int32Array(e.buffer, e.byteOffset, 1);
    expect(count[0]).toBe(1);
    count[0] = 40;
    model.call(tg.randn([5, 4]));
    expect(count[0]).toBe(41);
  });
  it('loadSharedStateDict aliases; loadSharedSnapshot copies; mismatches are clear errors', async () => {
    const a = new Pair(8).shareMemory();
    const state = a.sharedStateDict();
    const alias = new Pair(8).loadSharedStateDict(state);
    tg.noGrad(() => a.a.fill_(3));
    expect(alias.a.data()[0]).toBe(3);
    const copy = new Pair(8);
    expect(await copy.loadSharedSnapshot(state)).toBe(copy);
    tg.noGrad(() => a.a.fill_(4));
    expect(copy.a.data()[0]).toBe(3);
    await expect(alias.loadSharedSnapshot(state)).rejects.toThrow(/already aliases/);
    expect(() => new Pair(9).loadSharedStateDict(state)).toThrow(tg.ShapeError);
    expect(() => new nn.Linear(2, 2).loadSharedStateDict(state)).toThrow(/missing .*weight.*unexpected/);
    expect(() => new Pair(8).loadSharedStateDict({} as never)).toThrow(tg.ArgumentError);
    expect(() => new Pair(8).sharedStateDict()).toThrow(/shareMemory/);
  });
});

describe.skipIf(!built)('shared weights across worker_threads', () => {
  it('a worker training on the shared weights; the main thread reads consistent snapshots', async () => {
    const n = 1 << 20;
    const main = new Pair(n).shareMemory();
    const state = main.sharedStateDict();
    const worker = await startStepper(state, n);
    try {
      const snap = new Pair(n);
      const seen = new Set<number>();
      // At least 12 snapshots, and on until two differ (a slow, emulated worker steps rarely).
      const until = Date.now() + 60_000;
      for (let i = 0; i < 12 || (seen.size < 2 && Date.now() < until); i++) {
        await snap.loadSharedSnapshot(state);
        const a = uniform(snap.a.data() as Float32Array);
        const b = uniform(snap.b.data() as Float32Array);
        expect(a).not.toBeNull();
        expect(b).toBe(a);
        seen.add(a!);
        await new Promise((r) => setTimeout(r, 3));
      }
      expect(seen.size).toBeGreaterThan(1); // the worker was really stepping meanwhile
      // The live alias moves on too.
      // Polled rather than timed: under emulation a step can take longer than any fixed sleep.
      const live = main.a.data()[0]!;
      const deadline = Date.now() + 60_000;
      while (main.a.data()[0]! <= live && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(main.a.data()[0]!).toBeGreaterThan(live);
    } finally {
      await worker.terminate();
    }
  });
  for (const eager of [false, true]) {
    it(`a worker terminated in mid-step (${eager ? 'eager' : 'deferred'}) gives the lock back`, async () => {
      const n = 1 << 21;
      const main = new Pair(n).shareMemory();
      const state = main.sharedStateDict();
      for (let round = 0; round < 3; round++) {
        const worker = await startStepper(state, n, { eager });
        await new Promise((r) => setTimeout(r, 5 + round * 7));
        await worker.terminate();
        const lock = new Int32Array(state.lock);
        expect(Atomics.load(lock, 0)).toBe(0);
        const snap = new Pair(n);
        await snap.loadSharedSnapshot(state); // would hang if the lock were stuck
        expect(uniform(snap.b.data() as Float32Array) ?? -1).toBeGreaterThanOrEqual(-1);
      }
    });
  }
  it('a worker terminated while its step waits for the lock stops waiting (terminate does not hang)', async () => {
    const main = new Pair(16).shareMemory();
    const state = main.sharedStateDict();
    const lock = new Int32Array(state.lock);
    Atomics.store(lock, 0, 999_999); // held by a thread that never gives it back
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      const tg = require(workerData.cjs);
      ${PAIR}
      const model = new Pair(16).loadSharedStateDict(workerData.state);
      tg.deferred(() => model.sharedStep(() => tg.noGrad(() => model.a.add_(1)))).catch(() => {});
      parentPort.postMessage('queued');
    `;
    const w = new Worker(src, { eval: true, workerData: { cjs: distCjs, state } });
    await new Promise((r) => w.once('message', r));
    const deadline = Date.now() + 10_000;
    while (Atomics.load(lock, 1) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(Atomics.load(lock, 1)).toBe(1); // its executor thread is waiting
    await w.terminate();
    expect(Atomics.load(lock, 1)).toBe(0);
    expect(Atomics.load(lock, 0)).toBe(999_999);
    Atomics.store(lock, 0, 0);
    expect(Array.from(main.a.data())).toEqual(new Array(16).fill(0)); // its step never ran
  });
  it('terminating a worker with deferred work queued brings nothing down', async () => {
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      const tg = require(workerData.cjs);
      const x = tg.randn([128, 128]);
      let y = x;
      tg.deferred(() => { for (let i = 0; i < 1500; i++) y = y.matmul(x).div(12); });
      parentPort.postMessage('queued');
    `;
    for (let i = 0; i < 4; i++) {
      const w = new Worker(src, { eval: true, workerData: { cjs: distCjs } });
      await new Promise((r) => w.once('message', r));
      await w.terminate();
    }
    expect(tg.ones([2]).sum().item()).toBe(2);
  });
});
