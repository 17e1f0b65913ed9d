// The ConvNetJS 0.3.0 driver of `npm run bench` (contract: bench/drivers/protocol.mjs), written
// the way its demos are: a layer list for net.makeLayers, a Trainer fed one sample at a time with
// trainer.train(vol, label), a new Vol per sample. Plain JavaScript on Float64Arrays in one
// thread, so config.threads is ignored; weights come from Math.random, so config.seed only fixes
// the order of the samples.
import { createRequire } from 'node:module';
import { CLASSES, PIXELS, argmaxRows, config, inferWorkload, loadFashion, runDriver, testAccuracy, trainEpoch } from './protocol.mjs';

const convnetjs = createRequire(import.meta.url)('convnetjs');

// Each model with the Vol shape (sx, sy, depth) of one image. A Vol stores w[(y*sx + x)*depth + d],
// so a 28×28×1 image is the row-major pixels as they are in the data files.
const MLP = {
  shape: [1, 1, PIXELS],
  layers: [
    { type: 'input', out_sx: 1, out_sy: 1, out_depth: PIXELS },
    { type: 'fc', num_neurons: 512, activation: 'relu' },
    { type: 'softmax', num_classes: CLASSES },
  ],
};

const LENET = {
  shape: [28, 28, 1],
  layers: [
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 32, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 128, activation: 'relu' },
    { type: 'softmax', num_classes: CLASSES },
  ],
};

const NOTES = 'float64 arithmetic; one sample per forward/backward call, gradients averaged over each batch of 64; unseeded (Math.random) initialisation';

function makeNet({ layers }) {
  const net = new convnetjs.Net();
  net.makeLayers(layers);
  return net;
}

// Image r of images as a fresh Vol, as ConvNetJS users write it. Reusing one Vol would save
// about 7 µs a sample (two Float64Array(784)), against about 3.5 ms for an MLP training step
// and 0.6 ms for an MLP forward pass on one core: noise, so the realistic way stays.
function toVol(images, r, [sx, sy, depth]) {
  const vol = new convnetjs.Vol(sx, sy, depth, 0.0); // the 0.0 skips filling it with random numbers
  vol.w.set(images.subarray(r * PIXELS, (r + 1) * PIXELS));
  return vol;
}

// The 10 class probabilities of each of count images: ConvNetJS runs one sample per forward call.
function scores(net, model, images, count) {
  const out = new Float32Array(count * CLASSES);
  for (let r = 0; r < count; r++) out.set(net.forward(toVol(images, r, model.shape)).w, r * CLASSES);
  return out;
}

async function train(model) {
  const net = makeNet(model);
  // The Trainer accumulates each sample's gradient into the layers' dw and, every batch_size
  // samples, steps with dw / batch_size (convnet.js, Trainer.prototype.train: `gij = (... + g[j])
  // / this.batch_size`): the mean over the batch, as PyTorch's mean cross-entropy gives. Its
  // momentum step (v = m·v − lr·g; p += v) equals torch.optim.SGD's at a constant lr. It counts
  // samples, not our batches, so a last short batch of the epoch is accumulated but never applied.
  const trainer = new convnetjs.Trainer(net, { method: 'sgd', batch_size: config.batch, learning_rate: config.lr, momentum: config.momentum, l2_decay: 0 });
  const set = loadFashion();
  const epoch = await trainEpoch(set, (x, y, count) => {
    for (let r = 0; r < count; r++) trainer.train(toVol(x, r, model.shape), y[r]);
  });
  const accuracy = await testAccuracy(set, (x, count) => argmaxRows(scores(net, model, x, count), count));
  return { ...epoch, ...accuracy, notes: NOTES };
}

function infer() {
  const net = makeNet(MLP);
  return inferWorkload(loadFashion(), () => (images, count) => scores(net, MLP, images, count));
}

await runDriver('ConvNetJS', {
  gemm: 'ConvNetJS has no matrix-multiply API (only layers that run on one sample Vol at a time)',
  'mlp-train': () => train(MLP),
  'cnn-train': () => train(LENET),
  'mlp-infer': infer,
});
