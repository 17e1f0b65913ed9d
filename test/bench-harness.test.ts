// `npm run bench`'s harness: the order of runs, the shared driver helpers, the report's ratios
// and targets, and every driver honouring the contract of bench/drivers/protocol.mjs on a tiny
// dataset (so a broken driver fails here, not ten minutes into a benchmark).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../', import.meta.url).pathname;
// The harness is plain JavaScript (.mjs, run by node directly): loaded untyped.
const load = (path: string) => import(new URL(path, import.meta.url).href);

describe('planRuns', () => {
  it('alternates the libraries, rotating the order each round, slow ones in the first round only', async () => {
    const { planRuns } = await load('../bench/harness/plan.mjs');
    const drivers = [
      { name: 'fast', fast: true, setups: [{ label: '1t', threads: 1 }, { label: '2t', threads: 2 }] },
      { name: 'slow', setups: [{ label: '', threads: 1 }] },
      { name: 'other', fast: true, setups: [{ label: '1t', threads: 1 }] },
    ];
    const runs = planRuns('mlp-train', drivers, 3);
    const order = runs.map((r: { driver: { name: string }; threads: number; round: number }) => `${r.round}:${r.driver.name}${r.threads}`);
    expect(order).toEqual(['0:fast1', '0:fast2', '0:slow1', '0:other1', '1:fast2', '1:other1', '1:fast1', '2:other1', '2:fast1', '2:fast2']);
    // One seed per round, the same for every library (they share a start in training).
    expect(runs.map((r: { round: number; seed: number }) => r.seed === r.round).every(Boolean)).toBe(true);
  });
});

describe('driver helpers (protocol.mjs)', () => {
  it('permutation is a seeded permutation', async () => {
    const { permutation } = await load('../bench/drivers/protocol.mjs');
    const p = Array.from(permutation(1000, 3) as Int32Array);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(permutation(1000, 3) as Int32Array)).toEqual(p);
    expect(Array.from(permutation(1000, 4) as Int32Array)).not.toEqual(p);
  });

  it('trainEpoch covers the epoch in batches, or stops at the budget and says it trained on a sample', async () => {
    const { trainEpoch, PIXELS } = await load('../bench/drivers/protocol.mjs');
    const n = 10;
    const set = { nTrain: n, trainX: Float32Array.from({ length: n * PIXELS }, (_, i) => Math.floor(i / PIXELS)), trainY: Int32Array.from({ length: n }, (_, i) => i) };
    const seen: number[] = [];
    const full = await trainEpoch(set, (x: Float32Array, y: Int32Array, count: number) => {
      expect(x.length).toBe(count * PIXELS);
      for (let r = 0; r < count; r++) {
        expect(x[r * PIXELS]).toBe(y[r]); // rows travel with their labels
        seen.push(y[r]!);
      }
    }, { batch: 4, seed: 1, budgetS: 60 });
    expect(full).toMatchObject({ trainedSamples: n, epochSamples: n, fullEpoch: true });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const sample = await trainEpoch(set, () => new Promise((r) => setTimeout(r, 30)), { batch: 4, seed: 1, budgetS: 0.01 });
    expect(sample).toMatchObject({ trainedSamples: 4, fullEpoch: false });
  });

  it('testAccuracy and argmaxRows count the right answers', async () => {
    const { testAccuracy, argmaxRows } = await load('../bench/drivers/protocol.mjs');
    expect(Array.from(argmaxRows(Float32Array.from([0, 2, 1, 5, 4, 3]), 2, 3) as Int32Array)).toEqual([1, 0]);
    const set = { nTest: 5, testX: new Float32Array(5 * 784), testY: Int32Array.from([0, 1, 2, 3, 4]) };
    const result = await testAccuracy(set, (_x: Float32Array, count: number) => Int32Array.from({ length: count }, () => 2), { batch: 2, budgetS: 60 });
    expect(result).toEqual({ testAccuracy: 0.2, testSamples: 5 });
  });
});

describe('renderReport', () => {
  const train = (library: string, threads: number, samplesPerS: number, testAccuracy: number, extra = {}) => ({
    library, workload: 'mlp-train', threads, setup: ['tensorgrad', 'PyTorch', 'PyTorch 2'].includes(library) ? `${threads}t` : '', round: 0, seed: 0,
    trainedSamples: 60000, epochSamples: 60000, fullEpoch: true, samplesPerS, testAccuracy, testSamples: 10000, peakRssMB: 300, ...extra,
  });
  const results = [
    train('tensorgrad', 1, 40000, 0.823),
    train('tensorgrad', 2, 80000, 0.822),
    train('PyTorch', 1, 40000, 0.826),
    train('PyTorch', 2, 10000, 0.825),
    train('tfjs-wasm', 1, 1000, 0.7, { trainedSamples: 6400, fullEpoch: false, testSamples: 2000 }),
    train('brain.js', 1, 100, 0.3, { trainedSamples: 640, fullEpoch: false }),
    { library: 'ConvNetJS', workload: 'mlp-train', threads: 1, setup: '', round: 0, failed: 'exit 1: boom' },
  ];

  it('gives each library its ratio to tensorgrad, marks extrapolations and checks the targets', async () => {
    const { renderReport } = await load('../bench/harness/report.mjs');
    const { markdown } = renderReport({ results, workloads: ['mlp-train'], skipped: new Map(), wallS: 60, quick: false, budgetS: 15, machine: ['a test machine'] });
    expect(markdown).toContain('| PyTorch 1t | 40,000 | 2.00x | 1.5 s | full (60,000) | 82.60% | 300 MiB |  |');
    expect(markdown).toContain('| tfjs-wasm | 1,000 * | 80x | ≈ 60 s (extrapolated) | sample: 6,400 of 60,000 | 70.00% (2,000 test images) |');
    expect(markdown).toContain('| ConvNetJS | - | - | - | - | - | - | exit 1: boom |');
    expect(markdown).toContain('- met: MLP training: ≥ 1.5x the best PyTorch setup: 2.00x (tensorgrad 2t, 80,000 samples/s; PyTorch 1t, 40,000 samples/s)');
    expect(markdown).toContain('- NOT met: MLP training, one core each: ≥ 1.2x: 1.00x (tensorgrad 1t, 40,000 samples/s; PyTorch 1t, 40,000 samples/s)');
    expect(markdown).toContain('- met: MLP training: test accuracy within 0.5 points of PyTorch\'s: 82.25% against 82.55%, means over 1 seed, each starting both from the same weights and batch order; difference -0.30 points');
    expect(markdown).toContain('- met: MLP training: ≥ 50x tfjs-wasm (single-threaded): 80x with tensorgrad 2t; tensorgrad 1t: 40x');
    expect(markdown).toContain('- met: MLP training: ≥ 100x brain.js (single-threaded): 800x with tensorgrad 2t; tensorgrad 1t: 400x');
  });

  it('lists the libraries it skipped, and why', async () => {
    const { renderReport } = await load('../bench/harness/report.mjs');
    const skipped = new Map([['PyTorch', 'skipped: PyTorch is not installed']]);
    const { markdown } = renderReport({ results: results.filter((r) => r.library !== 'PyTorch'), workloads: ['mlp-train'], skipped, wallS: 60, quick: false, budgetS: 15, machine: ['a test machine'] });
    expect(markdown).toContain('- PyTorch: skipped: PyTorch is not installed');
    expect(markdown).not.toContain('the best PyTorch setup');
  });

  it('shows "-" rather than a ratio when tensorgrad has no result', async () => {
    const { renderReport } = await load('../bench/harness/report.mjs');
    const { markdown } = renderReport({ results: results.filter((r) => r.library !== 'tensorgrad'), workloads: ['mlp-train'], skipped: new Map(), wallS: 60, quick: false, budgetS: 15, machine: ['a test machine'] });
    expect(markdown).toContain('| PyTorch 1t | 40,000 | - |');
    expect(markdown).not.toContain('Infinity');
    expect(markdown).not.toContain('NOT met');
  });

  it('pairs the accuracies seed by seed', async () => {
    const { renderReport } = await load('../bench/harness/report.mjs');
    const seeded = [
      ...results,
      train('tensorgrad', 1, 40000, 0.81, { seed: 1 }),
      train('PyTorch', 1, 40000, 0.812, { seed: 1 }),
      train('PyTorch', 1, 40000, 0.70, { seed: 2 }), // no tensorgrad run of seed 2: left out
    ];
    const { markdown } = renderReport({ results: seeded, workloads: ['mlp-train'], skipped: new Map(), wallS: 60, quick: false, budgetS: 15, machine: ['a test machine'] });
    expect(markdown).toContain('81.63% against 81.88%, means over 2 seeds, each starting both from the same weights and batch order; difference -0.25 points (per seed -0.30, -0.20)');
  });

  it('compares with the best of either PyTorch, per ISA, and checks GEMM and inference against the best peer', async () => {
    const { renderReport } = await load('../bench/harness/report.mjs');
    // AVX2 setups are compared with AVX2 setups only, even where one is faster than the rest.
    const withTorch2 = [...results, train('PyTorch 2', 2, 50000, 0.825), { ...train('tensorgrad', 1, 30000, 0.82), setup: '1t avx2' },
      { ...train('PyTorch 2', 2, 60000, 0.825), setup: '2t avx2' }, { ...train('PyTorch 2', 1, 20000, 0.825), setup: '1t avx2' }];
    const { markdown } = renderReport({ results: withTorch2, workloads: ['mlp-train'], skipped: new Map(), wallS: 60, quick: false, budgetS: 15, machine: ['a test machine'] });
    expect(markdown).toContain('- met: MLP training: ≥ 1.5x the best PyTorch setup: 1.60x (tensorgrad 2t, 80,000 samples/s; PyTorch 2 2t, 50,000 samples/s)');
    expect(markdown).toContain('- NOT met: MLP training on AVX2: ≥ 1.5x the best PyTorch setup: 0.50x (tensorgrad 1t avx2, 30,000 samples/s; PyTorch 2 2t avx2, 60,000 samples/s)');
    expect(markdown).toContain('- met: MLP training on AVX2, one core each: ≥ 1.2x: 1.50x (tensorgrad 1t avx2, 30,000 samples/s; PyTorch 2 1t avx2, 20,000 samples/s)');
    const gemm = (library: string, setup: string, gflops: number[]) => ({ library, setup, workload: 'gemm', threads: 1, round: 0, peakRssMB: 90,
      gemm: [{ name: 'square 64', op: 'NN', m: 64, n: 64, k: 64 }, { name: 'square 256', op: 'NN', m: 256, n: 256, k: 256 }, { name: 'fc1 fwd', op: 'NN', m: 64, n: 512, k: 784 }].map((s, i) => ({ ...s, gflops: gflops[i] })) });
    const infer = (library: string, setup: string, lat: number, thr: number) => ({ library, setup, workload: 'mlp-infer', threads: 2, round: 0, peakRssMB: 90,
      infer: [{ batch: 1, latencyUs: lat, samplesPerS: 1e6 / lat }, { batch: 256, latencyUs: 1000, samplesPerS: thr }] });
    const mixed = [
      gemm('tensorgrad', '1t', [50, 100, 100]), gemm('tensorgrad', '1t avx2', [50, 80, 100]), gemm('PyTorch 2', '1t', [90, 95, 99]), gemm('PyTorch', '2t', [200, 200, 200]),
      gemm('PyTorch 2', '1t avx2', [40, 70, 90]),
      infer('tensorgrad', '2t', 20, 300000), infer('onnxruntime-node', '2t', 40, 215000), infer('PyTorch 2', '2t', 60, 201000),
    ];
    const r = renderReport({ results: mixed, workloads: ['gemm', 'mlp-infer'], skipped: new Map(), wallS: 60, quick: false, budgetS: 15, machine: ['m'] }).markdown;
    // square 64 is below n = 256 and does not count; 2-core peers are not compared with 1t.
    expect(r).toContain('- met: GEMM tensorgrad 1t ≥ 1.0x the best BLAS on 1 core (PyTorch\'s mm: OpenBLAS, MKL), squares n ≥ 256 and the training shapes: 2 of 2 shapes; lowest 1.01x (fc1 fwd)');
    expect(r).toContain('- met: GEMM tensorgrad 1t avx2 ≥ 1.0x the best BLAS on 1 core (PyTorch\'s mm: OpenBLAS, MKL), squares n ≥ 256 and the training shapes: 2 of 2 shapes; lowest 1.11x (fc1 fwd)');
    expect(r).toContain('- met: batch-256 inference ≥ 1.2x onnxruntime-node\'s samples/s: 1.40x');
    expect(r).toContain('- met: batch-1 latency ≤ 0.7x onnxruntime-node\'s: 0.50x (20.0 µs against 40.0 µs)');
    expect(r).toContain('- met: batch-1 latency ≤ 0.5x PyTorch 2\'s: 0.33x');
  });

  it('says when a target is missed', async () => {
    const { renderReport } = await load('../bench/harness/report.mjs');
    const slower = results.map((r) => (r.library === 'PyTorch' && r.threads === 1 ? { ...r, samplesPerS: 70000, testAccuracy: 0.84 } : r));
    const { markdown } = renderReport({ results: slower, workloads: ['mlp-train'], skipped: new Map(), wallS: 60, quick: false, budgetS: 15, machine: ['a test machine'] });
    expect(markdown).toContain('- NOT met: MLP training: ≥ 1.5x the best PyTorch setup: 1.14x');
    expect(markdown).toContain('- NOT met: MLP training: test accuracy within 0.5 points');
  });
});

// Every JavaScript driver (and PyTorch's, where it is installed) on 96 training and 32 test
// images: it must print a RESULT line with the contract's fields.
describe('drivers honour the contract', () => {
  let dataDir = '';
  const hasTorch = (async () => {
    try {
      await run('/usr/bin/python3', ['-c', 'import torch, numpy']);
      return true;
    } catch {
      return false;
    }
  })();

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
    const images = (n: number) => Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 255) / 255);
    const labels = (n: number) => Int32Array.from({ length: n }, (_, i) => i % 10);
    for (const [name, data] of [['train-x.f32', images(96)], ['train-y.i32', labels(96)], ['test-x.f32', images(32)], ['test-y.i32', labels(32)]] as const) {
      writeFileSync(join(dataDir, name), new Uint8Array(data.buffer));
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const settings = (workload: string, variant?: string) => JSON.stringify({
    workload, variant, threads: 1, seed: 0, dataDir, batch: 32, lr: 0.01, momentum: 0.9, budgetS: 20, evalBudgetS: 20,
    gemmShapes: [{ name: 'odd', op: 'TN', m: 7, n: 5, k: 3 }], inferBatches: [1, 4], inferS: 0.02,
  });
  async function result(command: string, args: string[]) {
    const { stdout } = await run(command, args, { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, `${args[0]} printed no RESULT line`).toBeDefined();
    return JSON.parse(line!.slice('RESULT '.length));
  }
  const drivers: [string, string, string | undefined][] = [
    ['tensorgrad', 'tensorgrad.mjs', undefined],
    ['plain TS', 'plain.mjs', undefined],
    ['tfjs-cpu', 'tfjs.mjs', 'cpu'],
    ['tfjs-wasm', 'tfjs.mjs', 'wasm'],
    ['ConvNetJS', 'convnetjs.mjs', undefined],
    ['brain.js', 'brainjs.mjs', undefined],
  ];

  it.each(drivers)('%s trains, infers and multiplies (or says why not)', async (library, file, variant) => {
    const driver = (workload: string) => result(process.execPath, [`bench/drivers/${file}`, settings(workload, variant)]);
    const trained = await driver('mlp-train');
    expect(trained).toMatchObject({ library, workload: 'mlp-train', trainedSamples: 96, epochSamples: 96, fullEpoch: true, testSamples: 32 });
    expect(trained.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(trained.testAccuracy).toBeLessThanOrEqual(1);
    expect(trained.samplesPerS).toBeGreaterThan(0);
    expect(trained.peakRssMB).toBeGreaterThan(10);
    const inferred = await driver('mlp-infer');
    expect(inferred.infer.map((i: { batch: number }) => i.batch)).toEqual([1, 4]);
    for (const i of inferred.infer) expect(i.latencyUs).toBeGreaterThan(0);
    const gemm = await driver('gemm');
    if (gemm.unsupported === undefined) expect(gemm.gemm[0]).toMatchObject({ name: 'odd', op: 'TN', m: 7, n: 5, k: 3 });
    else expect(gemm.unsupported).toMatch(/matrix-multiply/);
  }, 120_000);

  it('PyTorch trains, infers and multiplies (skipped without python3-torch)', async (ctx) => {
    if (!(await hasTorch)) ctx.skip();
    const driver = (workload: string) => result('/usr/bin/python3', ['bench/drivers/pytorch.py', settings(workload)]);
    expect(await driver('mlp-train')).toMatchObject({ library: 'PyTorch', trainedSamples: 96, fullEpoch: true, testSamples: 32 });
    expect((await driver('mlp-infer')).infer).toHaveLength(2);
    expect((await driver('gemm')).gemm[0]).toMatchObject({ name: 'odd', op: 'TN' });
  }, 120_000);

  it('onnxruntime-node infers on the model PyTorch 2.x exports, and says it does not train (skipped without them)', async (ctx) => {
    const { torch2, onnxruntimeVersion } = await load('../bench/harness/machine.mjs');
    if (onnxruntimeVersion() === undefined || torch2().python === undefined) ctx.skip();
    const env = { ...process.env, TG_BENCH_TORCH2_PYTHON: torch2().python };
    const driver = async (workload: string) => {
      const { stdout } = await run(process.execPath, ['bench/drivers/onnxruntime.mjs', settings(workload)], { cwd: root, timeout: 120_000, env });
      return JSON.parse(stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice('RESULT '.length));
    };
    const inferred = await driver('mlp-infer');
    expect(inferred.infer.map((i: { batch: number }) => i.batch)).toEqual([1, 4]);
    expect((await driver('mlp-train')).unsupported).toMatch(/inference only/);
  }, 120_000);

  it('tensorgrad and PyTorch train from a shared start to the same accuracy', async (ctx) => {
    const { prepareStart } = await load('../bench/harness/shared-start.mjs');
    const start = prepareStart(join(dataDir, 'start'), 'mlp-train', 0, 96);
    const withStart = (workload: string) => JSON.stringify({ ...JSON.parse(settings(workload)), start });
    const tg = await result(process.execPath, ['bench/drivers/tensorgrad.mjs', withStart('mlp-train')]);
    expect(tg).toMatchObject({ library: 'tensorgrad', trainedSamples: 96, fullEpoch: true });
    if (!(await hasTorch)) ctx.skip();
    const torch = await result('/usr/bin/python3', ['bench/drivers/pytorch.py', withStart('mlp-train')]);
    expect(Math.abs(torch.testAccuracy - tg.testAccuracy)).toBeLessThanOrEqual(1 / 32);
  }, 120_000);

  it('tensorgrad trains the CNN', async () => {
    const trained = await result(process.execPath, ['bench/drivers/tensorgrad.mjs', settings('cnn-train')]);
    expect(trained).toMatchObject({ library: 'tensorgrad', workload: 'cnn-train', trainedSamples: 96, fullEpoch: true });
  }, 120_000);
});
