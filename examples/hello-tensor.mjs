// A first look at tensorgrad: make tensors, compute with broadcasting, reduce, and print
// the way PyTorch does. Run: npm run demo
import * as tg from '../dist/index.js';

const info = tg.backendInfo();
console.log(`tensorgrad on ${info.isa.toUpperCase()} kernels, ${info.numThreads} thread(s)\n`);

tg.manualSeed(42);
const x = tg.tensor([[1, 2, 3], [4, 5, 6]]);
const w = tg.tensor([0.5, -1, 2]);
console.log('x =', x.toString());
console.log('w =', w.toString());
console.log('x * w (broadcast) =', x.mul(w).toString());
console.log('row sums =', x.mul(w).sum(1).toString());
const row = x.get(0);
const e = row.sub(row.max()).exp(); // subtracting the max keeps exp from overflowing
console.log('softmax of row 0 =', e.div(e.sum()).toString());
console.log('x.T =', x.T.toString());

// A million random numbers: their mean and standard deviation, computed natively.
const r = tg.randn(1_000_000);
const mean = r.mean().item();
const std = r.sub(mean).pow(2).mean().sqrt().item();
console.log(`\nrandn(1e6): mean ${mean.toFixed(4)}, std ${std.toFixed(4)}, max at index ${r.argmax().item()}`);
