// The plain TypeScript driver of `npm run bench` (contract: bench/drivers/protocol.mjs): the
// reference in bench/plain/, what a Node developer writes by hand (loops over Float32Arrays,
// single-threaded), so the table shows what a library buys over no library at all.
// Node 20 runs no .ts, so the sources are bundled with esbuild into build/ (git-ignored) at
// startup: a few milliseconds, and never a stale copy.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLASSES, argmaxRows, config, gemmWorkload, inferWorkload, loadFashion, randomMatrix, runDriver, testAccuracy, trainEpoch } from './protocol.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundle = `${root}build/bench-plain/plain.mjs`;
await build({ entryPoints: [`${root}bench/plain/index.ts`], outfile: bundle, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
const plain = await import(pathToFileURL(bundle).href);

const notes = 'pure TypeScript loops on Float32Arrays, single-threaded (config.threads not applicable)';

async function trainOneEpoch(model) {
  const set = loadFashion();
  const optimizer = new plain.SGD(model.parameters, config.lr, config.momentum);
  const trained = await trainEpoch(set, (x, y, count) => plain.trainStep(model, optimizer, x, y, count, CLASSES));
  const accuracy = await testAccuracy(set, (x, count) => argmaxRows(model.forward(x, count), count));
  return { ...trained, ...accuracy, notes };
}

function gemm() {
  return gemmWorkload(({ op, m, n, k }) => {
    // Operands stored as the op implies (TN: a is k×m; NT: b is n×k), read as they lie.
    const a = op === 'TN' ? randomMatrix(k, m, 1) : randomMatrix(m, k, 1);
    const b = op === 'NT' ? randomMatrix(n, k, 2) : randomMatrix(k, n, 2);
    const c = new Float32Array(m * n);
    return () => plain.gemm(op === 'TN', op === 'NT', m, n, k, a, b, c);
  }).then((result) => ({ ...result, notes }));
}

async function infer() {
  const model = new plain.Mlp(config.seed);
  const set = loadFashion();
  // forward() returns the logits in a buffer the model reuses: read into JS already.
  return { ...(await inferWorkload(set, () => (images, count) => model.forward(images, count))), notes };
}

await runDriver('plain TS', {
  gemm,
  'mlp-train': () => trainOneEpoch(new plain.Mlp(config.seed)),
  'cnn-train': () => trainOneEpoch(new plain.LeNet(config.seed)),
  'mlp-infer': infer,
});
