// The tensorgrad driver of `npm run bench` (contract: bench/drivers/protocol.mjs). Written the
// way the README teaches: nn.Sequential, DataLoader, the zeroGrad/forward/backward/step loop.
import { performance } from 'node:perf_hooks';
import * as tg from '../../dist/index.js';
import { CLASSES, PIXELS, config, gemmWorkload, inferWorkload, loadFashion, randomMatrix, runDriver, testAccuracy } from './protocol.mjs';

const { nn, optim, data } = tg;
tg.setNumThreads(config.threads);
tg.manualSeed(config.seed);

const mlp = () => new nn.Sequential(new nn.Linear(PIXELS, 512), new nn.ReLU(), new nn.Linear(512, CLASSES));

// conv 1→16 5x5 pad 2, relu, maxpool 2, conv 16→32 5x5 pad 2, relu, maxpool 2, fc 1568→128, relu, fc 128→10.
const lenet = () =>
  new nn.Sequential(
    new nn.Conv2d(1, 16, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(1568, 128), new nn.ReLU(), new nn.Linear(128, CLASSES),
  );

// image: the shape of one image as the model takes it ([784] or [1, 28, 28]).
async function trainOneEpoch(model, image) {
  const set = loadFashion();
  const images = tg.Tensor.from(set.trainX, [set.nTrain, ...image]);
  const labels = tg.Tensor.from(set.trainY, [set.nTrain]);
  const loader = new data.DataLoader(new data.TensorDataset(images, labels), { batchSize: config.batch, shuffle: true, seed: config.seed });
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
  'mlp-train': () => trainOneEpoch(mlp(), [PIXELS]),
  'cnn-train': () => trainOneEpoch(lenet(), [1, 28, 28]),
  'mlp-infer': infer,
});
