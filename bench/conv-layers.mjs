// GFLOP/s of conv2d forward and backward (dx, dW, db) for the LeNet-style layers at batch
// 64, on 1 and 2 threads, next to the GEMM's on a square product. A pass counts
// 2·N·C_out·H_out·W_out·C_in/g·kH·kW flops; the backward does two such products (dx and dW).
//   Run: node bench/conv-layers.mjs [--reps 20]   (after npm run build)
import { performance } from 'node:perf_hooks';
import * as tg from '../dist/index.js';
import { median } from '../scripts/cli-args.mjs';

const args = process.argv.slice(2);
const REPS = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 20;
const LAYERS = [
  { name: 'conv 1→16 5x5 pad 2 on 28x28', x: [64, 1, 28, 28], w: [16, 1, 5, 5] },
  { name: 'conv 16→32 5x5 pad 2 on 14x14', x: [64, 16, 14, 14], w: [32, 16, 5, 5] },
];
const time = (fn) => {
  for (let i = 0; i < 3; ++i) fn();
  const ts = [];
  for (let i = 0; i < REPS; ++i) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts) / 1000;
};

for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  for (const l of LAYERS) {
    const x = tg.randn(l.x).requiresGrad_();
    const w = tg.randn(l.w).requiresGrad_();
    const b = tg.randn([l.w[0]]).requiresGrad_();
    const flops = 2 * l.x[0] * l.w[0] * l.x[2] * l.x[3] * l.w[1] * l.w[2] * l.w[3];
    const fwd = time(() => tg.noGrad(() => tg.nn.functional.conv2d(x, w, b, { padding: 2, activation: 'relu' })));
    const y = tg.nn.functional.conv2d(x, w, b, { padding: 2, activation: 'relu' });
    const g = tg.randn(y.shape);
    const total = time(() => tg.nn.functional.conv2d(x, w, b, { padding: 2, activation: 'relu' }).backward(g));
    const bwd = Math.max(total - fwd, 1e-9);
    console.log(
      `${threads} thread(s)  ${l.name.padEnd(32)} forward ${(fwd * 1e3).toFixed(2)} ms ${(flops / fwd / 1e9).toFixed(1)} GFLOP/s` +
        `  backward ${(bwd * 1e3).toFixed(2)} ms ${((2 * flops) / bwd / 1e9).toFixed(1)} GFLOP/s`,
    );
  }
  const n = 512;
  const a = tg.randn([n, n]);
  const c = tg.randn([n, n]);
  const t = time(() => a.matmul(c));
  console.log(`${threads} thread(s)  gemm ${n}x${n}x${n}: ${((2 * n * n * n) / t / 1e9).toFixed(1)} GFLOP/s`);
}
