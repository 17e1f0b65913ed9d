// The tensorgrad driver of `npm run bench` (contract: bench/drivers/protocol.mjs). Written the
// way the README teaches: nn.Sequential, DataLoader, the zeroGrad/forward/backward/step loop.
import { performance } from 'node:perf_hooks';
import * as tg from '../../dist/index.js';
import { PIXELS, config, gemmWorkload, inferWorkload, loadFashion, randomMatrix, readRaw, runDriver, testAccuracy } from './protocol.mjs';
import { mlp, modelFor } from './tensorgrad-models.mjs';

const { nn, optim, data } = tg;
tg.setNumThreads(config.threads);
tg.manualSeed(config.seed);

// The start the runner drew (harness/shared-start.mjs): weights copied in, and the epoch's
// order as a Subset read in sequence (a TensorDataset through a Subset is still one native
// gather per batch). Without one: the model's own init and the DataLoader's seeded shuffle.
function startFrom(model, dataset) {
  if (config.start === undefined) return new data.DataLoader(dataset, { batchSize: config.batch, shuffle: true, seed: config.seed });
  const values = readRaw(config.start.dir, config.start.params, Float32Array);
  let at = 0;
  tg.noGrad(() => {
    for (const p of model.parameters()) {
      p.copy_(tg.Tensor.from(values.subarray(at, at + p.numel), p.shape));
      at += p.numel;
    }
  });
  if (at !== values.length) throw new Error(`tensorgrad: the start holds ${values.length} values, the model ${at}`);
  const order = readRaw(config.start.dir, config.start.order, Int32Array);
  return new data.DataLoader(new data.Subset(dataset, order), { batchSize: config.batch });
}

async function trainOneEpoch() {
  const { model, image } = modelFor(config.workload);
  const set = loadFashion();
  const images = tg.Tensor.from(set.trainX, [set.nTrain, ...image]);
  const labels = tg.Tensor.from(set.trainY, [set.nTrain]);
  const loader = startFrom(model, new data.TensorDataset(images, labels));
  const optimizer = new optim.SGD(model.parameters(), { lr: config.lr, momentum: config.momentum });
  const lossFn = new nn.CrossEntropyLoss();
  const t0 = performance.now();
  let samples = 0;
  for (const [x, y] of loader) {
    optimizer.zeroGrad();
    lossFn.call(model.call(x), y).backward();
    optimizer.step();
    samples += x.shape[0];
    // The runner gives fast libraries an unlimited budget; a short one (--quick, tests) stops early.
    if ((performance.now() - t0) / 1e3 >= config.budgetS) break;
  }
  const seconds = (performance.now() - t0) / 1e3;
  model.eval();
  const accuracy = await testAccuracy(set, (x, count) => tg.noGrad(() => model.call(tg.Tensor.from(x, [count, ...image])).argmax(1)).data());
  const epoch = { trainedSamples: samples, epochSamples: set.nTrain, fullEpoch: samples === set.nTrain };
  return { ...epoch, samplesPerS: samples / seconds, trainSeconds: seconds, ...accuracy };
}

function gemm() {
  return gemmWorkload(({ op, m, n, k }) => {
    // Transposed operands are views, as a user would write a.T.matmul(b): no copies.
    const a = op === 'TN' ? tg.Tensor.from(randomMatrix(k, m, 1), [k, m]).T : tg.Tensor.from(randomMatrix(m, k, 1), [m, k]);
    const b = op === 'NT' ? tg.Tensor.from(randomMatrix(n, k, 2), [n, k]).T : tg.Tensor.from(randomMatrix(k, n, 2), [k, n]);
    return () => a.matmul(b).dispose();
  });
}

function infer() {
  const model = mlp();
  model.eval();
  const set = loadFashion();
  return inferWorkload(set, () => (images, count) => tg.noGrad(() => model.call(tg.Tensor.from(images, [count, PIXELS])).data()));
}

await runDriver('tensorgrad', {
  gemm,
  'mlp-train': trainOneEpoch,
  'cnn-train': trainOneEpoch,
  'mlp-infer': infer,
});
