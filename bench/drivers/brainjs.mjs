// The brain.js 1.6.1 driver of `npm run bench` (contract: bench/drivers/protocol.mjs): its
// NeuralNetwork class, fed the plain arrays its API takes. Plain JavaScript in one thread, so
// config.threads is ignored; weights come from Math.random, so config.seed only fixes the order
// of the samples.
//
// How brain.js trains (dist/neural-network.js), and so what this driver can and cannot match:
// - trainPattern() runs forward, backward and adjustWeights() for every sample: there are no
//   mini-batches, config.batch only sets how many samples go to one train() call.
// - every layer, the output layer included, uses the one `activation`, and the output delta is
//   (target − output) times its derivative: a squared error on one-hot targets, no softmax or
//   cross-entropy.
// - train(data, { iterations: 1 }) does one pass over data (its one tick calls
//   calculateTrainingError, which trains on each sample and sums the MSE) and builds the network
//   only on the first call (verifyIsInitialized returns once `sizes` is set), so calling it once
//   per batch trains one epoch in steps that trainEpoch's time budget can stop.
// - train() resets every training option it is not given to trainDefaults (learningRate 0.3,
//   momentum 0.1), so TRAIN_OPTIONS goes with every call, not only to the constructor.
import { createRequire } from 'node:module';
import { CLASSES, PIXELS, argmaxRows, config, inferWorkload, loadFashion, runDriver, testAccuracy, trainEpoch } from './protocol.mjs';

const { NeuralNetwork } = createRequire(import.meta.url)('brain.js');

// Sigmoid, brain.js's default, is the activation that learns here at lr 0.01 and momentum 0.9:
// with 'relu' all ten output units (relu too) die within the first batch and stay at 0
// (accuracy 10%); 'tanh' saturates at ±1 (10%); 'leaky-relu' is broken in 1.6.1 (its forward
// pass is `sum < 0 ? 0 : alpha * sum`, a relu scaled by 0.01, not a leaky one).
const ACTIVATION = 'sigmoid';
const TRAIN_OPTIONS = { iterations: 1, learningRate: config.lr, momentum: config.momentum, log: false };
const NOTES = `per-sample SGD updates (no mini-batches); ${ACTIVATION} on the hidden and output layers with a squared-error loss on one-hot targets (no softmax cross-entropy); float32 weights initialised uniform in ±0.2 by unseeded Math.random; batches converted to plain arrays as its API takes them (counted in the time)`;

const mlp = () => new NeuralNetwork({ hiddenLayers: [512], activation: ACTIVATION, ...TRAIN_OPTIONS });

// Image r of images as the plain array brain.js's run() and train() take (index.d.ts types
// both as number[]; train() would read a Float32Array as a hash of keys). The copy costs about
// 25 µs a sample, under 3% of a forward pass and under 1% of a training step.
const sample = (images, r) => Array.from(images.subarray(r * PIXELS, (r + 1) * PIXELS));

// The 10 outputs of each of count images: brain.js runs one sample per call.
function scores(net, images, count) {
  const out = new Float32Array(count * CLASSES);
  for (let r = 0; r < count; r++) out.set(net.run(sample(images, r)), r * CLASSES);
  return out;
}

function oneHot(label) {
  const out = new Array(CLASSES).fill(0);
  out[label] = 1;
  return out;
}

async function train() {
  const net = mlp();
  const set = loadFashion();
  const epoch = await trainEpoch(set, (x, y, count) => {
    const batch = Array.from({ length: count }, (_, r) => ({ input: sample(x, r), output: oneHot(y[r]) }));
    net.train(batch, TRAIN_OPTIONS);
  });
  const accuracy = await testAccuracy(set, (x, count) => argmaxRows(scores(net, x, count), count));
  return { ...epoch, ...accuracy, notes: NOTES };
}

function infer() {
  const net = mlp();
  // brain.js sizes and builds the layers on the first train(); an untrained network is built
  // by the same initialize() that train() calls.
  net.sizes = [PIXELS, 512, CLASSES];
  net.initialize();
  return inferWorkload(loadFashion(), () => (images, count) => scores(net, images, count));
}

await runDriver('brain.js', {
  gemm: 'brain.js has no matrix-multiply API (NeuralNetwork runs one sample at a time)',
  'mlp-train': train,
  'cnn-train': 'brain.js 1.6.1 has no convolution layers (NeuralNetwork is fully connected only)',
  'mlp-infer': infer,
});
