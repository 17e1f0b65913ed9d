// Training throughput of fit (deferred execution, up to two batches in flight) against the
// eager loop fit ran before it (each step on the JS thread, a setImmediate between batches),
// with the two alternated epoch by epoch in one process, so machine noise hits both alike.
// Prints the median samples/s of each and their ratio.
//   Run: node bench/deferred-throughput.mjs [--model cnn|mlp] [--batch 512] [--threads 2] [--rounds 8]
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';
import { lenet, mlp } from './drivers/tensorgrad-models.mjs';

const { nn, optim } = tg;
const kind = option('model', 'cnn');
const batch = Number(option('batch', kind === 'mlp' ? 1024 : 512));
const rounds = Number(option('rounds', 8));
tg.setNumThreads(Number(option('threads', tg.getNumThreads())));

tg.manualSeed(0);
const model = kind === 'mlp' ? mlp() : lenet();
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const lossFn = new nn.CrossEntropyLoss();
const n = batch * 4;
const x = kind === 'mlp' ? tg.rand([n, 784]) : tg.rand([n, 1, 28, 28]);
const y = tg.tensor(Int32Array.from({ length: n }, (_, i) => i % 10));
const loader = new tg.data.DataLoader(new tg.data.TensorDataset(x, y), { batchSize: batch, shuffle: true });
const tick = () => new Promise((resolve) => setImmediate(resolve));

const modes = {
  eager: async () => {
    for (const [bx, by] of loader) {
      opt.zeroGrad();
      const l = lossFn.call(model.call(bx), by);
      l.backward();
      opt.step();
      l.item();
      await tick();
    }
  },
  fit: () => tg.fit(model, loader, { optimizer: opt, loss: lossFn, verbose: false, metrics: [] }),
};
const rates = { eager: [], fit: [] };
for (const epoch of Object.values(modes)) await epoch(); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const [name, epoch] of Object.entries(modes)) {
    const t0 = performance.now();
    await epoch();
    rates[name].push((n / (performance.now() - t0)) * 1000);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const [e, f] = [median(rates.eager), median(rates.fit)];
console.log(`${tg.backendInfo().isa}, ${tg.getNumThreads()} thread(s), ${kind} batch ${batch}: eager ${e.toFixed(0)} samples/s, fit ${f.toFixed(0)} samples/s, fit/eager ${(f / e).toFixed(3)}`);
