// Fashion-MNIST (Zalando's 70,000 clothing images, 10 classes) with an MLP: 55,000 images to
// train on, 5,000 held out to pick the epoch to keep (validation), and the official 10,000 test
// images used once, at the end.
//   Needs: apt-get install dataset-fashion-mnist (or --root DIR holding the four IDX files).
//   Run: npm run example:fashion   (node examples/fashion-mnist-mlp.mjs [--epochs 15] [--root DIR])
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';

const { nn, optim, data, train, datasets } = tg;
const EPOCHS = Number(option('epochs', 15));
const root = option('root', undefined);

tg.manualSeed(0);
let trainFull;
let test;
try {
  trainFull = await datasets.fashionMnist({ root, train: true });
  test = await datasets.fashionMnist({ root, train: false });
} catch (e) {
  console.error(e.message);
  process.exit(1);
}

// Statistics of the training split only; the same shift and scale then apply to validation and test.
const raw = new data.TensorDataset(trainFull.images, trainFull.labels);
const [rawTrain, rawVal] = data.randomSplit(raw, [55000, 5000], { seed: 0 });
const normalize = data.Normalize.fit(rawTrain);
const norm = (images) => normalize.apply(images);
const all = new data.TensorDataset(norm(trainFull.images), trainFull.labels);
const [trainSet, valSet] = [new data.Subset(all, rawTrain.indices), new data.Subset(all, rawVal.indices)];

const model = new nn.Sequential(
  new nn.Linear(784, 512), new nn.ReLU(), new nn.Dropout(0.2),
  new nn.Linear(512, 256), new nn.ReLU(), new nn.Dropout(0.2),
  new nn.Linear(256, 10),
);
const optimizer = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 1e-4 });
const checkpoint = new train.EarlyStopping({ monitor: 'valAccuracy', patience: EPOCHS, restoreBestWeights: true });
const history = await train.fit(model, new data.DataLoader(trainSet, { batchSize: 128, shuffle: true, seed: 0 }), {
  optimizer,
  loss: new nn.CrossEntropyLoss(),
  epochs: EPOCHS,
  validation: new data.DataLoader(valSet, { batchSize: 1000 }),
  scheduler: new optim.CosineAnnealingLR(optimizer, { tMax: EPOCHS }),
  callbacks: [checkpoint],
});

const testLoader = new data.DataLoader(new data.TensorDataset(norm(test.images), test.labels), { batchSize: 1000 });
const result = await train.evaluate(model, testLoader);
console.log(`\ntest accuracy: ${(result.metrics.accuracy * 100).toFixed(2)}% (${result.samples} images; the best validation epoch's weights)`);
const matrix = train.confusionMatrix(train.predict(model, testLoader), test.labels, 10).toArray();
const classes = datasets.FASHION_MNIST_CLASSES;
console.log('per-class accuracy: ' + classes.map((c, i) => `${c} ${((matrix[i][i] / matrix[i].reduce((a, b) => a + b, 0)) * 100).toFixed(0)}%`).join(', '));
await train.writeHistorySvg(history, 'fashion-mnist-mlp.svg');
console.log('learning curves: fashion-mnist-mlp.svg');
