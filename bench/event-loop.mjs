// Event-loop delay while training, and what deferred execution costs or gains, measured side
// by side in one run (issue 15's targets):
//   - p99 event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) during
//     * eager: the loop fit ran before deferred execution (each step on the JS thread, a
//       setImmediate between batches),
//     * fit: tg.fit (deferred, up to two batches in flight),
//     * deferred loop: `await tg.deferred(() => { zeroGrad; backward; step })` per batch;
//   - training throughput (samples/s) of each, and the deferred/eager ratio;
//   - per-op cost from JS of a tiny op, eager and deferred (planning only: the kernel runs on
//     the executor thread).
// Models: the MLP 784-512-10 at batch 1024 and the CNN (2 conv + 2 FC) at batch 64 and 512.
//   Run: node bench/event-loop.mjs [--seconds 3] [--threads N]   (after npm run build)
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';
import { lenet, mlp } from './drivers/tensorgrad-models.mjs';

const { nn, optim } = tg;
const SECONDS = Number(option('seconds', 3));
const THREADS = Number(option('threads', tg.getNumThreads()));
tg.setNumThreads(THREADS);

const tick = () => new Promise((resolve) => setImmediate(resolve));

function setup(kind, batch) {
  tg.manualSeed(0);
  const model = kind === 'mlp' ? mlp() : lenet();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  const n = batch * 8;
  const x = kind === 'mlp' ? tg.rand([n, 784]) : tg.rand([n, 1, 28, 28]);
  const y = tg.tensor(Int32Array.from({ length: n }, (_, i) => i % 10));
  const loader = new tg.data.DataLoader(new tg.data.TensorDataset(x, y), { batchSize: batch, shuffle: true });
  return { model, opt, lossFn, loader };
}

// Runs `epoch` (one pass over the loader) until SECONDS have passed; returns samples/s and the
// p99 event-loop delay over the timed part.
async function measure(epoch, samplesPerEpoch) {
  await epoch(); // warm-up
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const t0 = performance.now();
  let samples = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    await epoch();
    samples += samplesPerEpoch;
  }
  const seconds = (performance.now() - t0) / 1000;
  histogram.disable();
  return { rate: samples / seconds, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
}

async function runConfig(kind, batch) {
  const rows = {};
  {
    const { model, opt, lossFn, loader } = setup(kind, batch);
    rows.eager = await measure(async () => {
      for (const [x, y] of loader) {
        opt.zeroGrad();
        const l = lossFn.call(model.call(x), y);
        l.backward();
        opt.step();
        l.item();
        await tick();
      }
    }, batch * 8);
  }
  {
    const { model, opt, lossFn, loader } = setup(kind, batch);
    rows.fit = await measure(() => tg.fit(model, loader, { optimizer: opt, loss: lossFn, verbose: false, metrics: [] }), batch * 8);
  }
  {
    const { model, opt, lossFn, loader } = setup(kind, batch);
    rows['deferred loop'] = await measure(async () => {
      const it = loader[Symbol.iterator]();
      for (;;) {
        let done = false;
        await tg.deferred(() => {
          const r = it.next();
          if (r.done) {
            done = true;
            return;
          }
          const [x, y] = r.value;
          opt.zeroGrad();
          lossFn.call(model.call(x), y).backward();
          opt.step();
        });
        if (done) break;
      }
    }, batch * 8);
  }
  return rows;
}

function perOp() {
  const N = 200_000;
  const a = tg.tensor([1, 2, 3]);
  const b = tg.tensor([4, 5, 6]);
  const time = (fn) => {
    fn();
    const ts = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      fn();
      ts.push(((performance.now() - t0) * 1e3) / N);
    }
    return ts.sort((p, q) => p - q)[2];
  };
  const eager = time(() => {
    for (let i = 0; i < N; i++) a.add(b);
  });
  // Planning only: batches of 1000 ops (below the queue's bound), timed until the call returns;
  // the queue drains between batches, outside the timing.
  const deferred = (() => {
    const ts = [];
    for (let r = 0; r < 5; r++) {
      let spent = 0;
      for (let k = 0; k < N / 1000; k++) {
        const t0 = performance.now();
        void tg.deferred(() => {
          for (let i = 0; i < 1000; i++) a.add(b);
        });
        spent += performance.now() - t0;
        tg.synchronizeSync();
      }
      ts.push((spent * 1e3) / N);
    }
    return ts.sort((p, q) => p - q)[2];
  })();
  return { eager, deferred };
}

const info = tg.backendInfo();
console.log(`tensorgrad ${info.isa}, ${THREADS} thread(s), ${SECONDS} s per measurement\n`);
const results = [];
for (const [kind, batch] of [['mlp', 1024], ['cnn', 64], ['cnn', 512]]) {
  const rows = await runConfig(kind, batch);
  for (const [mode, r] of Object.entries(rows)) {
    results.push({ model: kind === 'mlp' ? 'MLP 784-512-10' : 'CNN (2 conv + 2 FC)', batch, mode, 'samples/s': Math.round(r.rate), 'vs eager': (r.rate / rows.eager.rate).toFixed(2), 'delay p99 ms': r.p99.toFixed(1), 'delay max ms': r.max.toFixed(1) });
  }
}
console.table(results);
const op = perOp();
console.table([{ op: 'a.add(b), 3 elements', 'eager us/op': op.eager.toFixed(3), 'deferred us/op (planning)': op.deferred.toFixed(3) }]);
