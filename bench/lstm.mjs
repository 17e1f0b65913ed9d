// LSTM training against PyTorch (issue 17's benchmark): a character-level language model step
// (an embedding over a 96-symbol vocabulary, a 2-layer LSTM with hidden 256, a linear decoder,
// cross-entropy over every token, SGD) at batch 32 and 35 steps, in tensorgrad and in Debian's
// PyTorch 1.13 and PyTorch 2.x (the anchors venv) where present, 1 and 2 threads, each run
// its own process, rounds alternating. Reports training tokens/s, and the LSTM's forward and
// backward GFLOP/s next to the GEMM's on the same shapes in the same process.
//
//   node bench/lstm.mjs [--rounds 2] [--seconds 4]      (npm run bench:lstm; writes bench/LSTM.md)
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { describeMachine, torch2, torchVersion } from './harness/machine.mjs';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '4' }, child: { type: 'string' } },
});
const WORK = { vocab: 96, embed: 64, hidden: 256, layers: 2, steps: 35, batch: 32, seconds: Number(args.seconds), minSteps: 10 };

// FLOPs of the LSTM layers alone (the GEMMs; the gates are a few percent): forward 2·N·4H·(I + H)
// per layer, backward twice that (dx and dW_ih, dh and dW_hh).
function lstmFlops({ embed, hidden, layers, steps, batch }) {
  let fwd = 0;
  for (let l = 0; l < layers; l++) fwd += 2 * steps * batch * 4 * hidden * ((l === 0 ? embed : hidden) + hidden);
  return { fwd, bwd: 2 * fwd };
}

async function tensorgradChild(config) {
  const tg = await import('../dist/index.js');
  const { nn, optim } = tg;
  tg.setNumThreads(config.threads);
  tg.manualSeed(0);
  const { vocab: V, embed: E, hidden: H, layers: L, steps: T, batch: B } = config;
  const embedding = new nn.Embedding(V, E);
  const lstm = new nn.LSTM(E, H, { numLayers: L });
  const decoder = new nn.Linear(H, V);
  const params = [...embedding.parameters(), ...lstm.parameters(), ...decoder.parameters()];
  const opt = new optim.SGD(params, { lr: 0.1 });
  const lossFn = new nn.CrossEntropyLoss();
  const tokens = Int32Array.from({ length: (T + 1) * B }, (_, i) => (i * 7919 + 13) % V);
  const x = tg.Tensor.from(tokens.subarray(0, T * B), [T, B]);
  const y = tg.Tensor.from(tokens.slice(B), [T * B]);
  const times = [];
  const step = (record) => {
    const t0 = performance.now();
    opt.zeroGrad();
    const [out] = lstm.call(embedding.call(x));
    const loss = lossFn.call(decoder.call(out).reshape([T * B, V]), y);
    const t1 = performance.now();
    loss.backward();
    opt.step();
    loss.item();
    const t2 = performance.now();
    if (record) times.push([(t1 - t0) / 1e3, (t2 - t1) / 1e3]);
  };
  for (let i = 0; i < 3; i++) step(false);
  const start = performance.now();
  while (times.length < config.minSteps || (performance.now() - start) / 1e3 < config.seconds) step(true);
  times.sort((a, b) => a[0] + a[1] - (b[0] + b[1]));
  const [forwardS, backwardS] = times[times.length >> 1];
  const gemm = (m, n, k) => {
    const a = tg.rand([m, k]);
    const b = tg.rand([k, n]);
    for (let i = 0; i < 3; i++) a.matmul(b).dispose();
    let reps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 300) {
      a.matmul(b).dispose();
      reps++;
    }
    return (2 * m * n * k * reps) / ((performance.now() - t0) / 1e3) / 1e9;
  };
  return { library: 'tensorgrad', steps: times.length, forwardS, backwardS, gemmInput: gemm(T * B, 4 * H, H), gemmStep: gemm(B, 4 * H, H) };
}

if (args.child !== undefined) {
  console.log(JSON.stringify(await tensorgradChild({ ...WORK, ...JSON.parse(args.child) })));
  process.exit(0);
}

const avx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
const torchAvx2 = { ATEN_CPU_CAPABILITY: 'avx2', ONEDNN_MAX_CPU_ISA: 'AVX2', MKL_ENABLE_INSTRUCTIONS: 'AVX2', OPENBLAS_CORETYPE: 'Haswell' };
const setups = [];
for (const avx2 of avx512 ? [false, true] : [false]) {
  for (const threads of [1, 2]) {
    const isa = avx2 ? ' avx2' : '';
    setups.push({ name: `tensorgrad ${threads}t${isa}`, avx2, threads, cmd: process.execPath, args: ['bench/lstm.mjs', '--child', JSON.stringify({ threads })], env: avx2 ? { TENSORGRAD_ISA: 'avx2' } : {} });
    const py = (python, label, env) =>
      setups.push({ name: `${label} ${threads}t${isa}`, avx2, threads, cmd: python, args: ['bench/drivers/lstm-pytorch.py', JSON.stringify({ ...WORK, threads })], env: { ...env, ...(avx2 ? torchAvx2 : {}) } });
    if (torchVersion() !== undefined) py('/usr/bin/python3', 'PyTorch 1.13', { OPENBLAS_NUM_THREADS: String(threads) });
    if (torch2().python) py(torch2().python, 'PyTorch 2', {});
  }
}

const best = new Map();
for (let round = 0; round < Number(args.rounds); round++) {
  const order = round % 2 === 0 ? setups : [...setups].reverse();
  for (const s of order) {
    const r = spawnSync(s.cmd, s.args, { env: { ...process.env, ...s.env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${s.name} failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    const prev = best.get(s.name);
    if (prev === undefined || res.forwardS + res.backwardS < prev.forwardS + prev.backwardS) best.set(s.name, { ...res, setup: s });
    process.stderr.write(`round ${round + 1}: ${s.name} ${((WORK.steps * WORK.batch) / (res.forwardS + res.backwardS)).toFixed(0)} tokens/s\n`);
  }
}

const flops = lstmFlops(WORK);
const tokens = WORK.steps * WORK.batch;
const rate = (r) => tokens / (r.forwardS + r.backwardS);
const lines = [
  '# LSTM training benchmark',
  '',
  `Written by \`npm run bench:lstm\` (bench/lstm.mjs) on ${new Date().toISOString().slice(0, 10)}. Every run is its own process, the setups alternating in each round.`,
  '',
  ...describeMachine().map((l) => `- ${l}`),
  '',
  `A character-level language model's training step: vocabulary ${WORK.vocab}, embedding ${WORK.embed}, ${WORK.layers} LSTM layers of hidden ${WORK.hidden}, a linear decoder, cross-entropy over every token, SGD; batch ${WORK.batch}, ${WORK.steps} steps (${tokens} tokens). The median step of each run, the best of ${args.rounds} rounds. "fwd/bwd GF/s" count the LSTM layers' GEMM FLOPs (${(flops.fwd / 1e9).toFixed(2)} and ${(flops.bwd / 1e9).toFixed(2)} GFLOP) over the whole forward (embedding, decoder and loss included) and the backward with the SGD step; "GEMM" is a matmul of the input projection's shape (1120×256·256×1024) and of one step's (32×256·256×1024) in the same process. "avx2" rows hold every library to AVX2 (TENSORGRAD_ISA, ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA, MKL_ENABLE_INSTRUCTIONS, OPENBLAS_CORETYPE).`,
  '',
  '| setup | tokens/s | vs best PyTorch (same ISA, threads) | forward ms | backward ms | fwd GF/s | bwd GF/s | GEMM input GF/s | GEMM step GF/s |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const [name, r] of best) {
  const peers = [...best.values()].filter((p) => p.library !== 'tensorgrad' && p.setup.avx2 === r.setup.avx2 && p.setup.threads === r.setup.threads);
  const top = Math.max(...peers.map(rate));
  const vs = r.library === 'tensorgrad' && peers.length ? `${(rate(r) / top).toFixed(2)}x` : '';
  lines.push(`| ${name} | ${rate(r).toFixed(0)} | ${vs} | ${(r.forwardS * 1e3).toFixed(1)} | ${(r.backwardS * 1e3).toFixed(1)} | ${(flops.fwd / r.forwardS / 1e9).toFixed(1)} | ${(flops.bwd / r.backwardS / 1e9).toFixed(1)} | ${r.gemmInput.toFixed(1)} | ${r.gemmStep.toFixed(1)} |`);
}
const text = lines.join('\n') + '\n';
process.stdout.write(text);
writeFileSync(new URL('./LSTM.md', import.meta.url), text);
