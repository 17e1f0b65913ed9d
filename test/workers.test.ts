// The addon is context-aware: it loads and computes in worker_threads as well as in the main
// thread, at the same time. These tests use the built package (dist/), as a user would, and
// are skipped when it has not been built.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distJs = join(root, 'dist', 'index.js');
const distCjs = join(root, 'dist', 'index.cjs');
const built = existsSync(distJs) && existsSync(distCjs);

type Tg = typeof import('../lib/index.js');

// Each worker loads the CommonJS build, reports 'ready', waits for 'go', then runs the job.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const post = (m) => parentPort.postMessage(m);
try {
  const tg = require(workerData.cjs);
  const jobs = {
    compute() {
      const sums = [];
      for (let i = 0; i < workerData.reps; i++) sums.push(tg.arange(workerData.n).mul(2).sum().item());
      tg.manualSeed(5);
      return { sums, random: Array.from(tg.rand([1000]).data()) };
    },
    shared(tensor) {
      return { sum: tensor.sum().item(), data: Array.from(tensor.data()) };
    },
  };
  let tensor;
  if (workerData.sab) tensor = tg.Tensor.from(new Float32Array(workerData.sab), [workerData.sabLength]);
  post({ ready: true });
  parentPort.once('message', () => {
    try {
      post({ ok: true, result: jobs[workerData.job](tensor) });
    } catch (e) {
      post({ ok: false, error: String((e && e.stack) || e) });
    }
  });
} catch (e) {
  post({ ok: false, error: String((e && e.stack) || e) });
}
`;

interface Started {
  worker: Worker;
  ready: Promise<void>;
  result: Promise<any>;
}

function start(workerData: Record<string, unknown>): Started {
  const worker = new Worker(WORKER, { eval: true, workerData: { cjs: distCjs, ...workerData } });
  let onReady!: () => void;
  let fail!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    fail = rej;
  });
  const result = new Promise<any>((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.ready) return onReady();
      if (m.ok) resolve(m.result);
      else {
        const err = new Error(`worker failed: ${m.error}`);
        fail(err);
        reject(err);
      }
    });
    worker.on('error', (e) => {
      fail(e);
      reject(e);
    });
    worker.on('exit', (code) => {
      const err = new Error(`worker exited early with code ${code}`);
      fail(err);
      reject(err);
    });
  });
  result.catch(() => {});
  ready.catch(() => {});
  return { worker, ready, result };
}

describe.skipIf(!built)('worker_threads (built package)', () => {
  let tg: Tg;
  const workers: Worker[] = [];

  beforeAll(async () => {
    tg = (await import(distJs)) as Tg;
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it('computes in the main thread and two workers at the same time, with equal results', async () => {
    const n = 1_000_000;
    const reps = 20;
    const a = start({ job: 'compute', n, reps });
    const b = start({ job: 'compute', n, reps });
    workers.push(a.worker, b.worker);
    await Promise.all([a.ready, b.ready]);
    a.worker.postMessage('go');
    b.worker.postMessage('go');
    // the main thread works while the workers do
    const mainSums: number[] = [];
    for (let i = 0; i < reps; i++) mainSums.push(tg.arange(n).mul(2).sum().item());
    tg.manualSeed(5);
    const mainRandom = Array.from(tg.rand([1000]).data());
    const [ra, rb] = await Promise.all([a.result, b.result]);

    const exact = n * (n - 1); // sum of 2i for i < n
    expect(Math.abs(mainSums[0]! - exact) / exact).toBeLessThan(1e-5); // accuracy proper is reduction.test.ts's
    expect(new Set(mainSums).size).toBe(1);
    expect(ra.sums).toEqual(mainSums);
    expect(rb.sums).toEqual(mainSums);
    // each thread has its own generator, seeded alike
    expect(ra.random).toEqual(mainRandom);
    expect(rb.random).toEqual(mainRandom);
  });

  it('a small computation in the main thread is unaffected by workers coming and going', async () => {
    const w = start({ job: 'compute', n: 10, reps: 1 });
    workers.push(w.worker);
    await w.ready;
    w.worker.postMessage('go');
    const r = await w.result;
    expect(r.sums).toEqual([90]);
    await w.worker.terminate();
    expect(tg.arange(10).mul(2).sum().item()).toBe(90);
  });

  it('Tensor.from wraps a SharedArrayBuffer-backed Float32Array without copying (main thread)', () => {
    const sab = new SharedArrayBuffer(4 * 4);
    const view = new Float32Array(sab);
    const t = tg.Tensor.from(view, [2, 2]);
    view.set([1, 2, 3, 4]);
    expect(t.sum().item()).toBe(10);
    expect(t.data().buffer).toBe(sab);
  });

  it('a worker wrapping a SharedArrayBuffer with Tensor.from sees writes from the main thread', async () => {
    const sab = new SharedArrayBuffer(8 * 4);
    const view = new Float32Array(sab);
    const w = start({ job: 'shared', sab, sabLength: 8 });
    workers.push(w.worker);
    await w.ready; // the worker made its tensor before these writes
    view.set([1, 2, 3, 4, 5, 6, 7, 8.5]);
    w.worker.postMessage('go');
    const r = await w.result;
    expect(r.data).toEqual([1, 2, 3, 4, 5, 6, 7, 8.5]);
    expect(r.sum).toBe(36.5);
  });

  it("the built package's error messages describe tensors by dtype and shape", () => {
    let message = '';
    try {
      tg.tensor([1, 2, 3], { dtype: 'int32' }).exp();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('exp: input must be a float32 tensor');
    expect(message).toContain('int32 Tensor of shape [3]');
  });
});
