// One training epoch of the 784-512-10 MLP on the real Fashion-MNIST training set (60,000
// images; batch 64, SGD momentum 0.9, lr 0.01, shuffled), tensorgrad against PyTorch on the same
// files in the same run, on 1 and 2 threads. tensorgrad runs twice: a hand-written loop
// (zeroGrad, forward, loss, backward, step) and train.fit(). Each run also reports the test
// accuracy after its epoch, so a fast but wrong run shows.
//   Needs: apt-get install dataset-fashion-mnist (and python3-torch for the PyTorch rows).
//   Run: npm run bench:fashion   (node bench/fashion-epoch.mjs [--epochs 1] [--root DIR])
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';

const { nn, optim, data, train, datasets } = tg;
const ROOT = option('root', '/usr/share/datasets/fashion-mnist');
const EPOCHS = Number(option('epochs', 1));
const BATCH = 64;

const trainSet = await datasets.fashionMnist({ root: ROOT, train: true });
const testSet = await datasets.fashionMnist({ root: ROOT, train: false });
const N = trainSet.images.shape[0];

function setup(threads) {
  tg.setNumThreads(threads);
  tg.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 10));
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const loader = new data.DataLoader(new data.TensorDataset(trainSet.images, trainSet.labels), { batchSize: BATCH, shuffle: true, seed: 0 });
  return { model, optimizer, loader, lossFn: new nn.CrossEntropyLoss() };
}

async function testAccuracy(model) {
  const loader = new data.DataLoader(new data.TensorDataset(testSet.images, testSet.labels), { batchSize: 1000 });
  return (await train.evaluate(model, loader)).metrics.accuracy;
}

async function handLoop(threads) {
  const { model, optimizer, loader, lossFn } = setup(threads);
  const t0 = performance.now();
  for (let e = 0; e < EPOCHS; e++) {
    for (const [x, y] of loader) {
      optimizer.zeroGrad();
      lossFn.call(model.call(x), y).backward();
      optimizer.step();
    }
  }
  const rate = (EPOCHS * N) / ((performance.now() - t0) / 1e3);
  return { rate, accuracy: await testAccuracy(model) };
}

async function fitRun(threads) {
  const { model, optimizer, loader, lossFn } = setup(threads);
  const t0 = performance.now();
  await train.fit(model, loader, { optimizer, loss: lossFn, epochs: EPOCHS, verbose: false, metrics: [] });
  const rate = (EPOCHS * N) / ((performance.now() - t0) / 1e3);
  return { rate, accuracy: await testAccuracy(model) };
}

const torchScript = `
import gzip, sys, time, numpy as np, torch
root, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads); torch.manual_seed(0)
def idx(name, offset):
    with gzip.open(f"{root}/{name}", "rb") as f: return np.frombuffer(f.read(), np.uint8, offset=offset)
x = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
tx = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
ty = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=${BATCH}, shuffle=True)
model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9); loss_fn = torch.nn.CrossEntropyLoss()
t0 = time.perf_counter()
for _ in range(epochs):
    for xb, yb in loader:
        opt.zero_grad(); loss_fn(model(xb), yb).backward(); opt.step()
rate = epochs * len(x) / (time.perf_counter() - t0)
with torch.no_grad(): acc = (model(tx).argmax(1) == ty).float().mean().item()
print(rate, acc)
`;

function torchRun(threads) {
  try {
    const out = execFileSync('/usr/bin/python3', ['-c', torchScript, ROOT, String(threads), String(EPOCHS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [rate, accuracy] = out.trim().split(/\s+/).map(Number);
    return { rate, accuracy };
  } catch {
    return undefined;
  }
}

// Alternate the libraries so drifts in machine speed hit all alike.
const results = {};
for (const threads of [1, 2]) {
  results[`tensorgrad loop ${threads}t`] = await handLoop(threads);
  results[`tensorgrad fit ${threads}t`] = await fitRun(threads);
  results[`PyTorch ${threads}t`] = torchRun(threads);
}
const torchBest = Math.max(...['PyTorch 1t', 'PyTorch 2t'].map((k) => results[k]?.rate).filter((v) => v !== undefined));
console.log(`Fashion-MNIST MLP 784-512-10, ${EPOCHS} epoch(s) of ${N} images, batch ${BATCH}, SGD momentum 0.9 lr 0.01; node ${process.version}`);
console.table(
  Object.entries(results).map(([run, r]) => ({
    run,
    'samples/s': r === undefined ? 'skipped (no python3-torch)' : Math.round(r.rate),
    'test accuracy': r === undefined ? '-' : `${(r.accuracy * 100).toFixed(2)}%`,
    'vs PyTorch best': r === undefined || !Number.isFinite(torchBest) ? '-' : `${(r.rate / torchBest).toFixed(2)}x`,
  })),
);
