// Elementwise and reduction kernels against a plain JavaScript loop over Float32Arrays, at
// 1e6 elements, on 1 and 2 threads. The JS loop writes into a preallocated output (the
// cheapest a hand-written loop can be); tensorgrad allocates its result every call, as a
// user's code would. The drivers alternate within each round; the median of the rounds is
// reported.   Run: npm run bench   (or: node bench/eltwise.mjs [--n 1000000] [--rounds 30])
import { performance } from 'node:perf_hooks';
import * as tg from '../dist/index.js';
import { median } from '../scripts/cli-args.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('n', 1_000_000);
const ROUNDS = arg('rounds', 30);

tg.manualSeed(0);
const a = tg.rand(N).add(0.5);
const b = tg.rand(N).add(0.5);
const ja = Float32Array.from(a.data());
const jb = Float32Array.from(b.data());
const out = new Float32Array(N);

const cases = [
  ['add', () => a.add(b), () => { for (let i = 0; i < N; i++) out[i] = ja[i] + jb[i]; }],
  ['mul', () => a.mul(b), () => { for (let i = 0; i < N; i++) out[i] = ja[i] * jb[i]; }],
  ['div', () => a.div(b), () => { for (let i = 0; i < N; i++) out[i] = ja[i] / jb[i]; }],
  ['add scalar', () => a.add(2), () => { for (let i = 0; i < N; i++) out[i] = ja[i] + 2; }],
  ['maximum', () => a.maximum(b), () => { for (let i = 0; i < N; i++) out[i] = Math.max(ja[i], jb[i]); }],
  ['exp', () => a.exp(), () => { for (let i = 0; i < N; i++) out[i] = Math.exp(ja[i]); }],
  ['log', () => a.log(), () => { for (let i = 0; i < N; i++) out[i] = Math.log(ja[i]); }],
  ['sqrt', () => a.sqrt(), () => { for (let i = 0; i < N; i++) out[i] = Math.sqrt(ja[i]); }],
  ['pow', () => a.pow(b), () => { for (let i = 0; i < N; i++) out[i] = Math.pow(ja[i], jb[i]); }],
  ['sum', () => a.sum(), () => { let s = 0; for (let i = 0; i < N; i++) s += ja[i]; out[0] = s; }],
  ['max', () => a.max(), () => { let m = -Infinity; for (let i = 0; i < N; i++) if (ja[i] > m) m = ja[i]; out[0] = m; }],
];

function time(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const info = tg.backendInfo();
console.log(`tensorgrad elementwise benchmark: n = ${N.toExponential(0)}, ${ROUNDS} rounds, isa ${info.isa}, node ${process.version}`);
const rows = [];
for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  for (const [name, tgFn, jsFn] of cases) {
    for (let w = 0; w < 10; w++) { tgFn(); jsFn(); }
    const tgTimes = [];
    const jsTimes = [];
    for (let r = 0; r < ROUNDS; r++) {
      tgTimes.push(time(tgFn));
      jsTimes.push(time(jsFn));
    }
    const tgMs = median(tgTimes);
    const jsMs = median(jsTimes);
    rows.push({ op: name, threads, 'tensorgrad ms': tgMs.toFixed(3), 'JS loop ms': jsMs.toFixed(3), speedup: `${(jsMs / tgMs).toFixed(1)}x`, 'tensorgrad GB/s': ((N * 4 * (name.includes('scalar') || ['exp', 'log', 'sqrt', 'sum', 'max'].includes(name) ? 2 : 3)) / (tgMs * 1e6)).toFixed(1) });
  }
}
console.table(rows);
