// What `npm run bench` runs: the workloads, the drivers (one per library), and the order of
// their runs. Each run is one child process, so a run's peak RSS is its own and a crash or a
// leak in one library cannot touch another's figures.
import { execFileSync } from 'node:child_process';

export const WORKLOADS = {
  gemm: {
    title: 'GEMM (GFLOP/s; the shapes of the GEMM table: squares and the 784-512-10 MLP\'s products at batch 64)',
    rounds: 2,
  },
  'mlp-train': { title: 'MLP 784-512-10 training on Fashion-MNIST, one epoch', rounds: 3 },
  'cnn-train': { title: 'LeNet-style CNN training on Fashion-MNIST, one epoch', rounds: 2 },
  'mlp-infer': { title: 'MLP 784-512-10 inference: latency at batch 1, throughput at batch 256', rounds: 2 },
};

// The shapes of bench/gemm.mjs's table (m, n, k; TN = Aᵀ·B, NT = A·Bᵀ).
export const GEMM_SHAPES = [
  ...[64, 128, 256, 512, 1024].map((s) => ({ name: `square ${s}`, op: 'NN', m: s, n: s, k: s })),
  { name: 'fc1 fwd', op: 'NN', m: 64, n: 512, k: 784 },
  { name: 'fc2 fwd', op: 'NN', m: 64, n: 10, k: 512 },
  { name: 'fc1 dW', op: 'TN', m: 784, n: 512, k: 64 },
  { name: 'fc1 dX', op: 'NT', m: 64, n: 784, k: 512 },
];

function torchMissing() {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'skipped: PyTorch is not installed (apt-get install -y python3-torch python3-numpy)';
  }
}

const node = (file, extra = {}) => ({ command: process.execPath, args: [`bench/drivers/${file}`], ...extra });

// fast: runs every round on every thread count; the others are 10-1000x slower, run once per
// workload on one thread, and train on a time-boxed sample of the epoch.
export const DRIVERS = [
  { name: 'tensorgrad', ...node('tensorgrad.mjs'), fast: true, threads: [1, 2] },
  { name: 'PyTorch', command: '/usr/bin/python3', args: ['bench/drivers/pytorch.py'], fast: true, threads: [1, 2], missing: torchMissing },
  { name: 'plain TS', ...node('plain.mjs'), threads: [1] },
  { name: 'tfjs-cpu', ...node('tfjs.mjs'), variant: 'cpu', threads: [1] },
  { name: 'tfjs-wasm', ...node('tfjs.mjs'), variant: 'wasm', threads: [1] },
  { name: 'ConvNetJS', ...node('convnetjs.mjs'), threads: [1] },
  { name: 'brain.js', ...node('brainjs.mjs'), threads: [1] },
];

/**
 * The runs of one workload in the order they happen: round by round, every driver once per
 * round and thread count, with the order rotated each round so that a drift in the machine's
 * speed hits every library alike. Slow drivers take part in the first round only.
 */
export function planRuns(workload, drivers, rounds) {
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    const roundRuns = drivers
      .filter((d) => d.fast || round === 0)
      .flatMap((driver) => driver.threads.map((threads) => ({ driver, threads, round, workload })));
    const shift = round % Math.max(roundRuns.length, 1);
    runs.push(...roundRuns.slice(shift), ...roundRuns.slice(0, shift));
  }
  return runs;
}
