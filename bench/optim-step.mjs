// One optimizer step over the 784-512-10 MLP's parameters (407,050 floats), for each
// optimizer, tensorgrad's fused native step against PyTorch's optimizer.step() (its default
// single-tensor loop, and foreach=True where it has one) in the same run, on 1 and 2 threads.
// Gradients are fixed random tensors: only the update is timed.
//   Run: npm run bench:optim   (node bench/optim-step.mjs [--steps 2000] [--rounds 5])
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import * as tg from '../dist/index.js';
import { median, option } from '../scripts/cli-args.mjs';

const STEPS = Number(option('steps', 2000));
const ROUNDS = Number(option('rounds', 5));

// name -> [tensorgrad constructor, PyTorch expression]
const OPTIMIZERS = {
  'SGD momentum': [(p) => new tg.optim.SGD(p, { lr: 0.01, momentum: 0.9 }), 'torch.optim.SGD(params, lr=0.01, momentum=0.9{fe})'],
  'SGD nesterov + wd': [
    (p) => new tg.optim.SGD(p, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
    'torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4{fe})',
  ],
  Adagrad: [(p) => new tg.optim.Adagrad(p, { lr: 0.01 }), 'torch.optim.Adagrad(params, lr=0.01{fe})'],
  RMSprop: [(p) => new tg.optim.RMSprop(p, { lr: 0.01 }), 'torch.optim.RMSprop(params, lr=0.01{fe})'],
  Adam: [(p) => new tg.optim.Adam(p, { lr: 0.001 }), 'torch.optim.Adam(params, lr=0.001{fe})'],
  'AdamW amsgrad': [(p) => new tg.optim.AdamW(p, { lr: 0.001, amsgrad: true }), 'torch.optim.AdamW(params, lr=0.001, amsgrad=True{fe})'],
};
const SHAPES = [[512, 784], [512], [10, 512], [10]];

function tensorgradRun(make, threads) {
  tg.setNumThreads(threads);
  tg.manualSeed(0);
  const params = SHAPES.map((s) => new tg.nn.Parameter(tg.randn(s).mul(0.05)));
  for (const p of params) p.grad = tg.randn(p.shape).mul(0.01);
  const opt = make(params);
  for (let i = 0; i < 20; i++) opt.step();
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) opt.step();
    times.push(((performance.now() - t0) / STEPS) * 1e3);
  }
  return median(times);
}

const torchScript = (expr) => `
import sys, time, torch
threads = int(sys.argv[1]); torch.set_num_threads(threads); torch.manual_seed(0)
params = [torch.nn.Parameter(torch.randn(*s) * 0.05) for s in ${JSON.stringify(SHAPES)}]
for p in params: p.grad = torch.randn_like(p) * 0.01
opt = ${expr}
for _ in range(20): opt.step()
times = []
for _ in range(${ROUNDS}):
    t0 = time.perf_counter()
    for _ in range(${STEPS}): opt.step()
    times.append((time.perf_counter() - t0) / ${STEPS} * 1e6)
print(sorted(times)[len(times) // 2])
`;

function torchRun(expr, threads) {
  try {
    return Number(execFileSync('/usr/bin/python3', ['-c', torchScript(expr), String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

const fmt = (us) => (us === undefined ? 'n/a' : us.toFixed(1));
const rows = [];
for (const [name, [make, expr]] of Object.entries(OPTIMIZERS)) {
  const row = { optimizer: name };
  for (const threads of [1, 2]) {
    // Alternate the libraries so drifts in machine speed hit both alike.
    row[`tg ${threads}t µs`] = fmt(tensorgradRun(make, threads));
    row[`torch ${threads}t µs`] = fmt(torchRun(expr.replace('{fe}', ''), threads));
    row[`torch foreach ${threads}t µs`] = fmt(torchRun(expr.replace('{fe}', ', foreach=True'), threads));
  }
  const tgBest = Math.min(Number(row['tg 1t µs']), Number(row['tg 2t µs']));
  const torchTimes = Object.entries(row).filter(([k, v]) => k.startsWith('torch') && v !== 'n/a').map(([, v]) => Number(v));
  row['vs torch best'] = torchTimes.length ? `${(Math.min(...torchTimes) / tgBest).toFixed(2)}x` : '-';
  rows.push(row);
}
console.log(`One optimizer step over the 784-512-10 MLP's parameters (407,050 floats), median of ${ROUNDS} rounds of ${STEPS}; node ${process.version}`);
console.table(rows);
