// Forward + backward of the 784-512-10 MLP (relu hidden layer, softmax cross-entropy) at
// batch 64, tensorgrad against PyTorch in the same run, on 1 and 2 threads. Random data of
// MNIST's shape: the arithmetic is the same as on real digits.
//   Run: npm run bench:mlp   (node bench/mlp-step.mjs [--steps 300] [--rounds 5])
import { execFileSync } from 'node:child_process';
import * as tg from '../dist/index.js';
import { option, stepRate } from '../scripts/cli-args.mjs';

const STEPS = Number(option('steps', 300));
const ROUNDS = Number(option('rounds', 5));
const BATCH = 64;

function tensorgradRun(threads) {
  tg.setNumThreads(threads);
  tg.manualSeed(0);
  const w1 = tg.randn(512, 784).mul(0.05).requiresGrad_();
  const b1 = tg.zeros(512).requiresGrad_();
  const w2 = tg.randn(10, 512).mul(0.05).requiresGrad_();
  const b2 = tg.zeros(10).requiresGrad_();
  const params = [w1, b1, w2, b2];
  const x = tg.rand(BATCH, 784);
  const y = tg.tensor(Int32Array.from({ length: BATCH }, (_, i) => i % 10));
  const step = () => {
    for (const p of params) p.grad = null;
    const h = tg.linear(x, w1, b1, { activation: 'relu' });
    const logits = tg.linear(h, w2, b2);
    tg.F.crossEntropy(logits, y).backward();
  };
  return stepRate(step, { warmup: 20, steps: STEPS, rounds: ROUNDS, batch: BATCH });
}

const torchScript = `
import sys, time, torch
threads = int(sys.argv[1]); steps = ${STEPS}; rounds = ${ROUNDS}; batch = ${BATCH}
torch.set_num_threads(threads); torch.manual_seed(0)
w1 = (torch.randn(512, 784) * 0.05).requires_grad_(); b1 = torch.zeros(512, requires_grad=True)
w2 = (torch.randn(10, 512) * 0.05).requires_grad_(); b2 = torch.zeros(10, requires_grad=True)
params = [w1, b1, w2, b2]
x = torch.rand(batch, 784); y = torch.arange(batch) % 10
F = torch.nn.functional
def step():
    for p in params: p.grad = None
    h = F.relu(F.linear(x, w1, b1))
    F.cross_entropy(F.linear(h, w2, b2), y).backward()
for _ in range(20): step()
rates = []
for _ in range(rounds):
    t0 = time.perf_counter()
    for _ in range(steps): step()
    rates.append(steps * batch / (time.perf_counter() - t0))
print(sorted(rates)[len(rates) // 2])
`;

function torchRun(threads) {
  try {
    return Number(execFileSync('/usr/bin/python3', ['-c', torchScript, String(threads)], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

// Alternate the libraries so drifts in machine speed hit both alike.
const results = {};
for (const threads of [1, 2]) {
  results[`tensorgrad ${threads}t`] = tensorgradRun(threads);
  results[`PyTorch ${threads}t`] = torchRun(threads);
}
const torchBest = Math.max(...[results['PyTorch 1t'], results['PyTorch 2t']].filter((v) => v !== undefined));
const rows = Object.entries(results).map(([run, rate]) => ({
  run,
  'samples/s': rate === undefined ? 'skipped (no python3-torch)' : Math.round(rate),
  'vs PyTorch best': rate === undefined || !Number.isFinite(torchBest) ? '-' : `${(rate / torchBest).toFixed(2)}x`,
}));
console.log(`784-512-10 MLP forward + backward, batch ${BATCH}, ${STEPS} steps per round, median of ${ROUNDS}; node ${process.version}`);
console.table(rows);
