// The TensorFlow.js driver of `npm run bench` (contract: bench/drivers/protocol.mjs), written the
// way a tfjs user would: tf.sequential layers, an optimizer's minimize(), tf.tidy against leaks.
// config.variant picks the backend: 'cpu' (tfjs's pure-JS kernels) or 'wasm'
// (tfjs-backend-wasm, XNNPACK compiled to WebAssembly).
import * as tf from '@tensorflow/tfjs';
import { CLASSES, PIXELS, argmaxRows, config, gemmWorkload, inferWorkload, loadFashion, randomMatrix, runDriver, testAccuracy, trainEpoch } from './protocol.mjs';

// Production mode silences the "install tfjs-node" banner (it goes through tfjs's warn(), which
// PROD mutes) without pretending not to be in Node, which the wasm loader relies on.
tf.enableProdMode();

/** Selects the backend and returns a note on how it runs, for the result's `notes`. */
async function selectBackend(variant) {
  if (variant !== 'cpu' && variant !== 'wasm') throw new Error(`tfjs: unknown variant ${variant}`);
  let notes = 'pure-JS CPU backend, single-threaded (config.threads not applicable)';
  if (variant === 'wasm') {
    // Imported only here so the cpu variant's peak RSS does not carry the wasm module.
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node, Emscripten reads the .wasm next to the package's JS with fs (no fetch), so no
    // setWasmPaths is needed. Which binary it picks depends on these two flags.
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    if (threaded) wasm.setThreadsCount(config.threads);
    notes = `wasm backend, ${simd ? 'SIMD' : 'no SIMD'} build, ` +
      (threaded ? `multithreaded (${config.threads} threads)` : 'single-threaded: tfjs reports no wasm multithreading under Node (tfjs#3830), config.threads ignored');
  }
  if (!(await tf.setBackend(variant))) throw new Error(`tfjs: backend ${variant} failed to initialise`);
  await tf.ready();
  return notes;
}

const mlp = () =>
  tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [PIXELS], units: 512, activation: 'relu' }),
    tf.layers.dense({ units: CLASSES }),
  ] });

// NHWC, tfjs's layout: conv 16 5x5 same, relu, maxpool 2, conv 32 5x5 same, relu, maxpool 2,
// flatten (7·7·32 = 1568), dense 128 relu, dense 10.
const lenet = () =>
  tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 128, activation: 'relu' }),
    tf.layers.dense({ units: CLASSES }),
  ] });

/** The logits of count images, read back into JS. image: one image's shape as the model takes it. */
function scores(model, images, count, image) {
  // batchSize: count, or predict() would split the batch into slices of its default 32.
  const out = tf.tidy(() => model.predict(tf.tensor(images, [count, ...image]), { batchSize: count }));
  const values = out.dataSync();
  out.dispose();
  return values;
}

async function trainOneEpoch(model, image) {
  const set = loadFashion();
  // tfjs's momentum() is PyTorch's SGD momentum: v = μ·v + g, w -= lr·v.
  const optimizer = tf.train.momentum(config.lr, config.momentum);
  let tensorsAfterFirstStep;
  const trained = await trainEpoch(set, (x, y, count) => {
    // minimize() rather than model.compile + trainOnBatch(): the same loss and update, and as
    // fast within noise on both backends. softmaxCrossEntropy on logits, averaged over the
    // batch, is PyTorch's CrossEntropyLoss.
    const loss = tf.tidy(() =>
      optimizer.minimize(() => {
        const logits = model.apply(tf.tensor(x, [count, ...image]), { training: true });
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), CLASSES), logits);
      }, true),
    );
    loss.dataSync(); // the step is complete only once its result can be read
    loss.dispose();
    // The first step creates the momentum buffers; after it the count must stay flat.
    tensorsAfterFirstStep ??= tf.memory().numTensors;
  });
  const leaked = tf.memory().numTensors - tensorsAfterFirstStep;
  if (leaked !== 0) throw new Error(`tfjs: ${leaked} tensors leaked during training`);
  const accuracy = await testAccuracy(set, (x, count) => argmaxRows(scores(model, x, count, image), count));
  return { ...trained, ...accuracy };
}

function gemm() {
  let operands = [];
  return gemmWorkload(({ op, m, n, k }) => {
    tf.dispose(operands); // the previous shape's
    // Operands stored as the op implies; matMul's transpose flags read them as they lie.
    const a = op === 'TN' ? tf.tensor2d(randomMatrix(k, m, 1), [k, m]) : tf.tensor2d(randomMatrix(m, k, 1), [m, k]);
    const b = op === 'NT' ? tf.tensor2d(randomMatrix(n, k, 2), [n, k]) : tf.tensor2d(randomMatrix(k, n, 2), [k, n]);
    operands = [a, b];
    return () => {
      const c = tf.matMul(a, b, op === 'TN', op === 'NT');
      c.dataSync();
      c.dispose();
    };
  });
}

function infer() {
  const model = mlp();
  const set = loadFashion();
  return inferWorkload(set, () => (images, count) => scores(model, images, count, [PIXELS]));
}

const notes = await selectBackend(config.variant);
const withNotes = (workload) => async () => ({ ...(await workload()), notes });

// Asked of the registry rather than assumed: tfjs-backend-wasm 4.22.0 has no
// Conv2DBackpropFilter, so its convolutions run forward only.
const convKernels = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPool', 'MaxPoolGrad'];
const missing = convKernels.filter((kernel) => tf.getKernel(kernel, config.variant) == null);

await runDriver(`tfjs-${config.variant}`, {
  gemm: withNotes(gemm),
  'mlp-train': withNotes(() => trainOneEpoch(mlp(), [PIXELS])),
  'cnn-train': missing.length > 0
    ? `the tfjs ${config.variant} backend has no ${missing.join(', ')} kernel, so a CNN cannot train on it`
    : withNotes(() => trainOneEpoch(lenet(), [28, 28, 1])),
  'mlp-infer': withNotes(infer),
});
