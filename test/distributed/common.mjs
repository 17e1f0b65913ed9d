// Shared by the scripts test/distributed.test.ts runs under mpirun: the package, argument
// parsing, and a small fixed classification problem.
import * as tg from '../../dist/index.js';

export { tg };

/** --name value pairs of argv. */
export function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

/** n samples of 8 features in 4 classes, the same in every process. */
export function problem(n) {
  tg.manualSeed(1234);
  const x = tg.randn([n, 8]);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % 4);
  return new tg.data.TensorDataset(x, tg.Tensor.from(labels, [n]));
}

export function model() {
  tg.manualSeed(42);
  const { nn } = tg;
  return new nn.Sequential(new nn.Linear(8, 32), new nn.ReLU(), new nn.Linear(32, 16), new nn.Tanh(), new nn.Linear(16, 4));
}
