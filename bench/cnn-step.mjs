// Training throughput of a LeNet-style CNN, tensorgrad against PyTorch in the same run, on 1 and
// 2 threads: conv 1→16 5x5 pad 2, relu, maxpool 2, conv 16→32 5x5 pad 2, relu, maxpool 2,
// fc 1568→128, relu, fc 128→10; batch 64, SGD momentum 0.9, lr 0.01; random images of MNIST's
// shape (the arithmetic is the same as on real ones). Also the forward and backward GFLOP/s of
// each convolution at batch 64, next to the GEMM's on a square product.
//   Run: npm run bench:cnn   (node bench/cnn-step.mjs [--steps 60] [--rounds 3])
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import * as tg from '../dist/index.js';
import { option, stepRate } from '../scripts/cli-args.mjs';
import { lenet } from './drivers/tensorgrad-models.mjs';

const { nn, optim } = tg;
const STEPS = Number(option('steps', 60));
const ROUNDS = Number(option('rounds', 3));
const BATCH = 64;

function tensorgradRun(threads) {
  tg.setNumThreads(threads);
  tg.manualSeed(0);
  const model = lenet();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  const x = tg.rand(BATCH, 1, 28, 28);
  const y = tg.tensor(Int32Array.from({ length: BATCH }, (_, i) => i % 10));
  const step = () => {
    opt.zeroGrad();
    lossFn.call(model.call(x), y).backward();
    opt.step();
  };
  return stepRate(step, { warmup: 5, steps: STEPS, rounds: ROUNDS, batch: BATCH });
}

const torchScript = `
import sys, time, torch
threads = int(sys.argv[1]); torch.set_num_threads(threads); torch.manual_seed(0)
nn = torch.nn
model = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9); loss_fn = nn.CrossEntropyLoss()
x = torch.rand(${BATCH}, 1, 28, 28); y = torch.arange(${BATCH}) % 10
def step():
    opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
for _ in range(5): step()
rates = []
for _ in range(${ROUNDS}):
    t0 = time.perf_counter()
    for _ in range(${STEPS}): step()
    rates.append(${STEPS} * ${BATCH} / (time.perf_counter() - t0))
print(sorted(rates)[len(rates) // 2])
`;

function torchRun(threads) {
  try {
    return Number(execFileSync('/usr/bin/python3', ['-c', torchScript, String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

// GFLOP/s of one convolution's forward, and of its backward (dX and dW), at batch 64.
function convRates(cin, cout, hw, threads) {
  tg.setNumThreads(threads);
  const conv = new nn.Conv2d(cin, cout, 5, { padding: 2 });
  const x = tg.rand(BATCH, cin, hw, hw).requiresGrad_();
  const flops = 2 * BATCH * cout * hw * hw * cin * 25;
  const time = (fn, reps = 20) => {
    for (let i = 0; i < 3; i++) fn();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return (performance.now() - t0) / reps / 1e3;
  };
  const fwd = time(() => tg.noGrad(() => conv.call(x)));
  const both = time(() => {
    x.grad = null;
    conv.zeroGrad();
    conv.call(x).sum().backward();
  });
  return { forward: flops / fwd / 1e9, backward: (2 * flops) / Math.max(both - fwd, 1e-9) / 1e9 };
}

function gemmRate(threads) {
  tg.setNumThreads(threads);
  const a = tg.rand(512, 512);
  const b = tg.rand(512, 512);
  for (let i = 0; i < 3; i++) a.matmul(b);
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) a.matmul(b);
  return (2 * 512 ** 3) / ((performance.now() - t0) / 20 / 1e3) / 1e9;
}

// Alternate the libraries so drifts in machine speed hit both alike.
const results = {};
for (const threads of [1, 2]) {
  results[`tensorgrad ${threads}t`] = tensorgradRun(threads);
  results[`PyTorch ${threads}t`] = torchRun(threads);
}
const torchBest = Math.max(...[results['PyTorch 1t'], results['PyTorch 2t']].filter((v) => v !== undefined));
console.log(`LeNet-style CNN training step, batch ${BATCH}, SGD momentum 0.9; median of ${ROUNDS} rounds of ${STEPS} steps; node ${process.version}`);
console.table(
  Object.entries(results).map(([run, rate]) => ({
    run,
    'samples/s': rate === undefined ? 'skipped (no python3-torch)' : Math.round(rate),
    'vs PyTorch best': rate === undefined || !Number.isFinite(torchBest) ? '-' : `${(rate / torchBest).toFixed(2)}x`,
  })),
);
const rows = [];
for (const threads of [1, 2]) {
  const c1 = convRates(1, 16, 28, threads);
  const c2 = convRates(16, 32, 14, threads);
  rows.push({
    threads,
    'conv1 fwd': c1.forward.toFixed(1),
    'conv1 bwd': c1.backward.toFixed(1),
    'conv2 fwd': c2.forward.toFixed(1),
    'conv2 bwd': c2.backward.toFixed(1),
    'GEMM 512³': gemmRate(threads).toFixed(1),
  });
}
console.log('GFLOP/s at batch 64 (conv1: 1→16 on 28x28, conv2: 16→32 on 14x14, both 5x5 pad 2)');
console.table(rows);
