// What every JavaScript driver of `npm run bench` shares (bench/drivers/pytorch.py follows the
// same contract in Python). The runner (bench/compare.mjs) starts one process per
// (driver, workload, thread count, round), so each process's peak RSS belongs to one workload,
// and passes the settings as JSON in argv[2]:
//   { workload: 'gemm' | 'mlp-train' | 'cnn-train' | 'mlp-infer', threads, seed, dataDir,
//     batch, lr, momentum, budgetS, evalBudgetS, gemmShapes: [{ name, op, m, n, k }],
//     inferBatches: [1, 256], inferS }
// The driver prints one line `RESULT {json}` on stdout (see report()); anything else it prints
// is passed through as log. Workloads a library cannot run are reported as
// { unsupported: 'why' }.
//
// The data are bench/compare.mjs's copy of Fashion-MNIST as raw little-endian files in dataDir
// (train-x.f32: N×784 floats in [0, 1], train-y.i32, test-x.f32, test-y.i32), so every driver,
// JavaScript or Python, trains on the same numbers without a dependency on tensorgrad's readers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const PIXELS = 784;
export const CLASSES = 10;

/** The settings the runner passed (argv[2]); empty when imported by something else (tests). */
export const config = process.argv[2]?.startsWith('{') ? JSON.parse(process.argv[2]) : {};

/**
 * This process's peak resident set size in MiB: VmHWM, the high-water mark of its own memory.
 * (getrusage's maxRSS is kept across exec on Linux, so a child would report its parent's peak
 * when that was larger.)
 */
export function peakRssMiB() {
  try {
    const kib = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (kib) return Number(kib[1]) / 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Prints the result line the runner reads, with this process's peak resident set size. */
export function report(result) {
  const peakRssMB = peakRssMiB();
  process.stdout.write(`\nRESULT ${JSON.stringify({ ...result, peakRssMB })}\n`);
}

/** The raw little-endian array in dir/name, as a Type (Float32Array, Int32Array). */
export function readRaw(dir, name, Type) {
  const bytes = readFileSync(join(dir, name));
  // A fresh buffer of the exact size: readFileSync's may be a view into a larger pool.
  return new Type(bytes.buffer, bytes.byteOffset, bytes.byteLength / Type.BYTES_PER_ELEMENT);
}

/** The training and test images (Float32Array, 784 per image) and labels (Int32Array). */
export function loadFashion(dir = config.dataDir) {
  const trainX = readRaw(dir, 'train-x.f32', Float32Array);
  const trainY = readRaw(dir, 'train-y.i32', Int32Array);
  const testX = readRaw(dir, 'test-x.f32', Float32Array);
  const testY = readRaw(dir, 'test-y.i32', Int32Array);
  return { trainX, trainY, testX, testY, nTrain: trainY.length, nTest: testY.length };
}

/** A seeded Fisher–Yates permutation of 0..n-1 (mulberry32), the same in every driver. */
export function permutation(n, seed) {
  let s = (seed + 0x6d2b79f5) >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Copies the rows order[start..start+count) of x (784 floats each) and y into xOut, yOut. */
export function gatherRows(x, y, order, start, count, xOut, yOut) {
  for (let r = 0; r < count; r++) {
    const src = order[start + r];
    xOut.set(x.subarray(src * PIXELS, (src + 1) * PIXELS), r * PIXELS);
    yOut[r] = y[src];
  }
}

/**
 * One training epoch over shuffled batches (the last one smaller), stopped early once budgetS
 * seconds have passed: a library too slow for a full epoch trains on a sample, and the runner
 * marks the rate it extrapolates from it. step(x, y, count) gets fresh batch buffers it may
 * keep (Float32Array count×784, Int32Array count) and may be async.
 */
export async function trainEpoch(data, step, { batch = config.batch, seed = config.seed, budgetS = config.budgetS } = {}) {
  const order = permutation(data.nTrain, seed);
  const t0 = performance.now();
  let samples = 0;
  while (samples < data.nTrain && (performance.now() - t0) / 1e3 < budgetS) {
    const count = Math.min(batch, data.nTrain - samples);
    const x = new Float32Array(count * PIXELS);
    const y = new Int32Array(count);
    gatherRows(data.trainX, data.trainY, order, samples, count, x, y);
    await step(x, y, count);
    samples += count;
  }
  const seconds = (performance.now() - t0) / 1e3;
  return { trainedSamples: samples, epochSamples: data.nTrain, fullEpoch: samples === data.nTrain, samplesPerS: samples / seconds, trainSeconds: seconds };
}

/**
 * Test accuracy: predict(x, count) returns the predicted classes of count images (any
 * array-like). Stops after evalBudgetS seconds for slow libraries; testSamples says how
 * many images the accuracy covers.
 */
export async function testAccuracy(data, predict, { batch = 256, budgetS = config.evalBudgetS } = {}) {
  const t0 = performance.now();
  let seen = 0;
  let correct = 0;
  while (seen < data.nTest && (performance.now() - t0) / 1e3 < budgetS) {
    const count = Math.min(batch, data.nTest - seen);
    const predicted = await predict(data.testX.subarray(seen * PIXELS, (seen + count) * PIXELS), count);
    for (let i = 0; i < count; i++) if (predicted[i] === data.testY[seen + i]) correct++;
    seen += count;
  }
  return { testAccuracy: correct / seen, testSamples: seen };
}

/** The index of the largest of scores[row*classes .. +classes) for each row. */
export function argmaxRows(scores, count, classes = CLASSES) {
  const out = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[r * classes + c] > scores[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

/**
 * Seconds per call of fn: one warm-up call, then calls until minS seconds have passed (at least
 * one; a call slower than minS runs once). `seconds` is the median (the latency of a typical
 * call, without GC pauses); `meanSeconds` is the total time over the calls, GC and all, which
 * is what throughput must be computed from.
 */
export async function secondsPerCall(fn, minS = 0.3) {
  await fn();
  const times = [];
  const t0 = performance.now();
  do {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1e3);
  } while ((performance.now() - t0) / 1e3 < minS);
  const meanSeconds = (performance.now() - t0) / 1e3 / times.length;
  return { seconds: [...times].sort((a, b) => a - b)[times.length >> 1], meanSeconds, calls: times.length };
}

/**
 * The GEMM workload: makeProduct(shape) returns a function computing one product of the shape
 * (op 'NN', 'TN' = Aᵀ·B, or 'NT' = A·Bᵀ; m×k times k×n) and waiting for its result.
 */
export async function gemmWorkload(makeProduct, shapes = config.gemmShapes, minS = 0.3) {
  const gemm = [];
  for (const shape of shapes) {
    const product = await makeProduct(shape);
    const { meanSeconds, calls } = await secondsPerCall(product, minS);
    gemm.push({ ...shape, gflops: (2 * shape.m * shape.n * shape.k) / meanSeconds / 1e9, calls });
  }
  return { gemm };
}

/**
 * The inference workload on the MLP: makeInfer(batch) returns a function taking count images
 * (Float32Array) and returning the 10 scores per image read back into JS. latencyUs is the
 * median call; samplesPerS counts every call's time.
 */
export async function inferWorkload(data, makeInfer, batches = config.inferBatches, minS = config.inferS) {
  const infer = [];
  for (const batch of batches) {
    const run = await makeInfer(batch);
    let at = 0;
    const { seconds, meanSeconds, calls } = await secondsPerCall(async () => {
      // Different images each call, as a server would see.
      if (at + batch > data.nTest) at = 0;
      await run(data.testX.subarray(at * PIXELS, (at + batch) * PIXELS), batch);
      at += batch;
    }, minS);
    infer.push({ batch, latencyUs: seconds * 1e6, samplesPerS: batch / meanSeconds, calls });
  }
  return { infer };
}

/** A rows×cols matrix of values in [0, 1) from a seeded linear congruential generator. */
export function randomMatrix(rows, cols, seed = 1) {
  const out = new Float32Array(rows * cols);
  let s = Math.imul(seed + 1, 2654435761) >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/**
 * Runs the workload the runner asked for: workloads maps a workload's name to an async function
 * returning its result fields, or to a string saying why this library cannot run it.
 */
export async function runDriver(library, workloads) {
  const run = workloads[config.workload];
  if (run === undefined) throw new Error(`${library}: unknown workload ${config.workload}`);
  const fields = typeof run === 'string' ? { unsupported: run } : await run();
  report({ library, workload: config.workload, threads: config.threads, ...fields });
}
