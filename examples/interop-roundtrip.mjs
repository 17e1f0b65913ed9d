// Python to Node and back: start from a CNN that PyTorch trained on Fashion-MNIST (its state
// dict, saved by safetensors.torch.save_file in half precision: examples/weights/, made by
// train_fashion_cnn.py), fine-tune it here, save it as safetensors (which PyTorch loads), export
// it to ONNX, and serve the exported file with onnxruntime-node.
//   Needs: apt-get install dataset-fashion-mnist; onnxruntime-node (npm run example:interop
//   installs it, without its CUDA download, when it is missing).
//   Run: npm run example:interop   (node examples/interop-roundtrip.mjs [--epochs 2] [--out DIR])
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';

const { nn, optim, data, train, datasets, io } = tg;
const EPOCHS = Number(option('epochs', 2));
const OUT = option('out', 'interop-out');
const WEIGHTS = new URL('./weights/fashion-cnn.safetensors', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
tg.manualSeed(0);

// 1. What the Python side shipped: half-precision weights, and in the metadata how the inputs
//    were normalised and what accuracy PyTorch measured.
const header = io.readSafetensorsHeader(WEIGHTS);
const meta = header.metadata;
const dtypes = [...new Set(Object.values(header.tensors).map((t) => t.dtype))].join(', ');
console.log(`PyTorch's checkpoint: ${Object.keys(header.tensors).length} tensors (${dtypes}); ${meta.trained_with}; test accuracy ${meta.test_accuracy}`);

let trainRaw;
let testRaw;
try {
  [trainRaw, testRaw] = await Promise.all([datasets.fashionMnist({ train: true }), datasets.fashionMnist({ train: false })]);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
const normalize = new data.Normalize(Number(meta.normalize_mean), Number(meta.normalize_std));
const images = (set) => normalize.apply(set.images).reshape(-1, 1, 28, 28);
const trainSet = new data.TensorDataset(images(trainRaw), trainRaw.labels);
const testSet = new data.TensorDataset(images(testRaw), testRaw.labels);
const testLoader = new data.DataLoader(testSet, { batchSize: 1000 });

// 2. The same architecture as PyTorch's nn.Sequential, so the state dict's keys
//    ('0.weight', '1.running_mean', '1.num_batches_tracked', ...) match one to one.
const block = (cin, cout) => [new nn.Conv2d(cin, cout, 3, { padding: 1 }), new nn.BatchNorm2d(cout), new nn.ReLU(), new nn.MaxPool2d(2)];
const model = new nn.Sequential(...block(1, 8), ...block(8, 16), new nn.Flatten(), new nn.Dropout(0.2), new nn.Linear(16 * 7 * 7, 10));
model.loadStateDict(await io.loadSafetensors(WEIGHTS)); // strict: every key, every shape
const before = await train.evaluate(model, testLoader);
console.log(`loaded into tensorgrad: test accuracy ${before.metrics.accuracy.toFixed(4)} (PyTorch measured ${meta.test_accuracy})`);

// 3. Fine-tune here.
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
await train.fit(model, new data.DataLoader(trainSet, { batchSize: 128, shuffle: true, seed: 0 }), {
  optimizer,
  loss: new nn.CrossEntropyLoss(),
  epochs: EPOCHS,
  scheduler: new optim.CosineAnnealingLR(optimizer, { tMax: EPOCHS }),
});
const after = await train.evaluate(model, testLoader);
console.log(`fine-tuned for ${EPOCHS} epoch(s): test accuracy ${after.metrics.accuracy.toFixed(4)}`);

// 4. Back to Python: safetensors with PyTorch's keys, loadable by
//    model.load_state_dict(safetensors.torch.load_file(path)).
const tunedPath = join(OUT, 'fashion-cnn.finetuned.safetensors');
await io.saveSafetensors(model.stateDict(), tunedPath, { metadata: { ...meta, trained_with: `${meta.trained_with}; then ${EPOCHS} epoch(s) of Adam in tensorgrad`, test_accuracy: after.metrics.accuracy.toFixed(4) } });
console.log(`saved ${tunedPath} (in Python: python examples/weights/train_fashion_cnn.py --check ${tunedPath})`);

// 5. To ONNX, with a dynamic batch dimension, and served by onnxruntime-node.
const onnxPath = join(OUT, 'fashion-cnn.onnx');
const example = testSet.tensors[0].narrow(0, 0, 1);
await io.exportOnnx(model, example, onnxPath, { inputNames: ['image'], outputNames: ['logits'], dynamicAxes: { image: [0], logits: [0] } });
console.log(`exported ${onnxPath}`);

let ort;
try {
  ort = await import('onnxruntime-node');
} catch {
  console.error('onnxruntime-node is not installed: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node');
  process.exit(1);
}
const session = await ort.InferenceSession.create(onnxPath);
model.eval();
let correct = 0;
let maxDiff = 0;
const [x, y] = testSet.tensors;
for (let start = 0; start < x.shape[0]; start += 500) {
  const batch = x.narrow(0, start, Math.min(500, x.shape[0] - start)).contiguous();
  const feeds = { image: new ort.Tensor('float32', batch.data(), batch.shape) };
  const logits = (await session.run(feeds)).logits;
  const served = tg.Tensor.from(logits.data, logits.dims);
  const ours = tg.noGrad(() => model.call(batch));
  maxDiff = Math.max(maxDiff, ours.sub(served).abs().max().item());
  correct += served.argmax(1).eq(y.narrow(0, start, batch.shape[0])).sum().item();
}
console.log(`onnxruntime-node ${ort.env.versions?.common ?? ''}: test accuracy ${(correct / x.shape[0]).toFixed(4)}, largest logit difference from tensorgrad ${maxDiff.toExponential(2)}`);
