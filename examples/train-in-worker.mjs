// Training in a worker_thread while the main thread serves predictions from the live
// weights: the model's parameters live in SharedArrayBuffers (model.shareMemory()), the worker
// aliases them (loadSharedStateDict) and trains with fit, which holds the weights' lock for
// each step; the main thread takes consistent snapshots (loadSharedSnapshot) and predicts.
//   Run: npm run example:worker   (node examples/train-in-worker.mjs [--epochs 3])
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';

const { nn, optim, data, datasets } = tg;
const makeModel = () => new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
// The 10,000 digits, normalised, split 8,000 / 2,000 the same way in both threads (seeded).
const mnist = () => {
  const { images, labels } = datasets.mnistDigits();
  const all = new data.TensorDataset(data.Normalize.fit(new data.TensorDataset(images, labels)).apply(images), labels);
  const [trainSet, testSet] = data.randomSplit(all, [8000, 2000], { seed: 0 });
  const rows = tg.Tensor.from(Int32Array.from(testSet.indices));
  return { trainSet, testX: tg.indexSelect(all.tensors[0], 0, rows), testY: tg.indexSelect(all.tensors[1], 0, rows) };
};

if (isMainThread) {
  const epochs = Number(option('epochs', 3));
  tg.manualSeed(0);
  const model = makeModel().shareMemory(); // the weights the worker trains
  const state = model.sharedStateDict(); // SharedArrayBuffers: postMessage shares, never copies
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { state, epochs } });
  const { testX, testY } = mnist();
  const snapshot = makeModel(); // its own weights, refreshed from the shared ones
  let done = false;
  worker.on('message', (m) => {
    if (m === 'done') done = true;
  });
  while (!done) {
    await snapshot.loadSharedSnapshot(state); // never half a step
    const out = tg.predict(snapshot, testX);
    const accuracy = tg.train.accuracy(out, testY);
    console.log(`main thread: snapshot accuracy on 2,000 held-out digits ${(accuracy * 100).toFixed(1)}%`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await snapshot.loadSharedSnapshot(state);
  console.log(`main thread: final accuracy ${(tg.train.accuracy(tg.predict(snapshot, testX), testY) * 100).toFixed(1)}%`);
  await worker.terminate();
} else {
  const model = makeModel().loadSharedStateDict(workerData.state);
  const { trainSet } = mnist();
  const loader = new data.DataLoader(trainSet, { batchSize: 128, shuffle: true, seed: 0 });
  const h = await tg.fit(model, loader, { optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }), loss: new nn.CrossEntropyLoss(), epochs: workerData.epochs, verbose: false });
  console.log(`worker: trained ${workerData.epochs} epochs, final loss ${h.loss.at(-1).toFixed(3)}`);
  parentPort.postMessage('done');
}
