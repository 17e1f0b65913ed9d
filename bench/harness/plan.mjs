// What `npm run bench` runs: the workloads, the drivers (one per library), and the order of
// their runs. Each run is one child process, so a run's peak RSS is its own and a crash or a
// leak in one library cannot touch another's figures.
import { readFileSync } from 'node:fs';
import { onnxruntimeVersion, torch2, torchVersion } from './machine.mjs';

// On an AVX-512 machine tensorgrad also runs its AVX2 kernels (TENSORGRAD_ISA=avx2): most
// users' servers have no AVX-512, and this is the closest stand-in for them.
const avx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
// PyTorch gets the same stand-in, so the AVX2 targets compare AVX2 kernels with AVX2 kernels:
// ATen's own kernels, oneDNN's convolutions, MKL's and OpenBLAS's GEMMs all held to AVX2.
const avx2Setups = (env = {}, label = (t) => `${t}t avx2`) =>
  avx512 ? [1, 2].map((t) => ({ label: label(t), threads: t, env: { ...env } })) : [];
const torchAvx2 = { ATEN_CPU_CAPABILITY: 'avx2', ONEDNN_MAX_CPU_ISA: 'AVX2', MKL_ENABLE_INSTRUCTIONS: 'AVX2', OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_NUM_THREADS: '1' };

export const WORKLOADS = {
  gemm: {
    title: 'GEMM (GFLOP/s; the shapes of the GEMM table: squares and the 784-512-10 MLP\'s products at batch 64)',
    rounds: 2,
  },
  'mlp-train': { title: 'MLP 784-512-10 training on Fashion-MNIST, one epoch', rounds: 4 },
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

const node = (file, extra = {}) => ({ command: process.execPath, args: [`bench/drivers/${file}`], ...extra });
const oneThread = [{ label: '', threads: 1 }];

// Each driver runs in one or more setups: a label for the tables, the thread count it is told,
// and environment variables. fast: every setup runs every round; the others are 50-2000x
// slower, run once per workload on one thread (all they have), and train on a time-boxed sample.
//
// PyTorch (Debian's build: OpenMP inside, OpenBLAS with pthreads of its own) gets the settings
// that make it fastest here. By default both pools size themselves to the cores and fight over
// them (2 threads: ~11k samples/s on the MLP); OpenBLAS's threads are therefore fixed per setup:
// 1t is truly one core, 2t is torch.set_num_threads(2) over a serial OpenBLAS, and the third
// setup leaves PyTorch serial and lets OpenBLAS use both cores (its best here on the MLP).
export const DRIVERS = [
  { name: 'tensorgrad', ...node('tensorgrad.mjs'), fast: true, sharesStart: true, setups: [{ label: '1t', threads: 1 }, { label: '2t', threads: 2 }, ...avx2Setups({ TENSORGRAD_ISA: 'avx2' })] },
  {
    name: 'PyTorch',
    command: '/usr/bin/python3',
    args: ['bench/drivers/pytorch.py'],
    fast: true,
    sharesStart: true,
    setups: [
      { label: '1t', threads: 1, env: { OPENBLAS_NUM_THREADS: '1' } },
      { label: '2t', threads: 2, env: { OPENBLAS_NUM_THREADS: '1' } },
      { label: '2t (1 + OpenBLAS 2)', threads: 1, env: { OPENBLAS_NUM_THREADS: '2' } },
      ...avx2Setups(torchAvx2),
    ],
    missing: () => (torchVersion() === undefined ? 'skipped: PyTorch is not installed (apt-get install -y python3-torch python3-numpy)' : undefined),
  },
  // A current PyTorch (MKL and oneDNN inside, one OpenMP pool): the stronger reference.
  {
    name: 'PyTorch 2',
    get command() {
      return torch2().python;
    },
    args: ['bench/drivers/pytorch.py'],
    fast: true,
    sharesStart: true,
    setups: [{ label: '1t', threads: 1 }, { label: '2t', threads: 2 }, ...avx2Setups(torchAvx2)],
    missing: () => torch2().missing,
  },
  {
    name: 'onnxruntime-node',
    ...node('onnxruntime.mjs'),
    fast: true,
    workloads: ['mlp-infer'],
    // It runs the model PyTorch 2.x exports (drivers/export-mlp-onnx.py): looked up when it runs.
    get setups() {
      return [1, 2].map((t) => ({ label: `${t}t`, threads: t, env: { TG_BENCH_TORCH2_PYTHON: torch2().python ?? '' } }));
    },
    missing: () =>
      onnxruntimeVersion() === undefined
        ? 'skipped: onnxruntime-node is not installed (ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node)'
        : torch2().missing && `${torch2().missing}: the model it runs is exported by PyTorch 2.x`,
  },
  { name: 'plain TS', ...node('plain.mjs'), setups: oneThread },
  { name: 'tfjs-cpu', ...node('tfjs.mjs'), variant: 'cpu', setups: oneThread },
  { name: 'tfjs-wasm', ...node('tfjs.mjs'), variant: 'wasm', setups: oneThread },
  { name: 'ConvNetJS', ...node('convnetjs.mjs'), setups: oneThread },
  { name: 'brain.js', ...node('brainjs.mjs'), setups: oneThread },
];

/**
 * The runs of one workload in the order they happen: round by round, every driver once per
 * round and setup, with the order rotated each round so that a drift in the machine's
 * speed hits every library alike. Slow drivers take part in the first round only.
 */
export function planRuns(workload, drivers, rounds) {
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    const roundRuns = drivers
      .filter((d) => (d.fast || round === 0) && (d.workloads === undefined || d.workloads.includes(workload)))
      .flatMap((driver) => driver.setups.map((setup) => ({ driver, setup, threads: setup.threads, round, workload,
        // One seed per round: in training, tensorgrad and PyTorch then start each round from
        // the same weights and batch order (harness/shared-start.mjs).
        seed: round })));
    const shift = round % Math.max(roundRuns.length, 1);
    runs.push(...roundRuns.slice(shift), ...roundRuns.slice(0, shift));
  }
  return runs;
}
