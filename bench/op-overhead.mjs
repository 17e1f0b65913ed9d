// The cost of one tiny op called from JavaScript (a 3-element add, so the arithmetic is
// nothing and the crossing into native code, the allocation and the handle are everything),
// next to PyTorch doing the same from Python when /usr/bin/python3 has torch.
//   Run: node bench/op-overhead.mjs
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import * as tg from '../dist/index.js';
import { median } from '../scripts/cli-args.mjs';

const N = 1_000_000;
const ROUNDS = 5;

function measure(label, fn) {
  fn(); // warm-up round
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    fn();
    times.push(((performance.now() - t0) * 1e3) / N);
  }
  return { op: label, 'us per call': median(times).toFixed(3) };
}

const a = tg.tensor([1, 2, 3]);
const b = tg.tensor([4, 5, 6]);
// The same add with autograd recording a node each call (the graph is dropped each time).
const ag = tg.tensor([1, 2, 3], { requiresGrad: true });
const rows = [
  measure('tensorgrad a.add(b)', () => { for (let i = 0; i < N; i++) a.add(b); }),
  measure('tensorgrad a.exp()', () => { for (let i = 0; i < N; i++) a.exp(); }),
  measure('tensorgrad a.sum()', () => { for (let i = 0; i < N; i++) a.sum(); }),
  measure('tensorgrad a.add(b), a requires grad', () => { for (let i = 0; i < N; i++) ag.add(b); }),
];

const torchScript = `
import time, torch
torch.set_num_threads(1)
a = torch.tensor([1., 2., 3.]); b = torch.tensor([4., 5., 6.])
ag = torch.tensor([1., 2., 3.], requires_grad=True)
def med(f):
    f(); ts = []
    for _ in range(${ROUNDS}):
        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1e6 / ${N})
    return sorted(ts)[len(ts) // 2]
def add():
    for _ in range(${N}): a.add(b)
def exp():
    for _ in range(${N}): a.exp()
def sum_():
    for _ in range(${N}): a.sum()
def add_grad():
    for _ in range(${N}): ag.add(b)
print(med(add), med(exp), med(sum_), med(add_grad))
`;
try {
  const [add, exp, sum, addGrad] = execFileSync('/usr/bin/python3', ['-c', torchScript], { encoding: 'utf8' }).trim().split(' ').map(Number);
  rows.push({ op: 'PyTorch a.add(b)', 'us per call': add.toFixed(3) });
  rows.push({ op: 'PyTorch a.exp()', 'us per call': exp.toFixed(3) });
  rows.push({ op: 'PyTorch a.sum()', 'us per call': sum.toFixed(3) });
  rows.push({ op: 'PyTorch a.add(b), a requires grad', 'us per call': addGrad.toFixed(3) });
} catch {
  rows.push({ op: 'PyTorch (skipped: /usr/bin/python3 has no torch; apt-get install python3-torch)', 'us per call': '-' });
}
console.log(`tiny-op overhead, ${N} calls per round, median of ${ROUNDS} rounds, node ${process.version}`);
console.table(rows);
