// npm run bench — tensorgrad against the libraries a Node user would pick instead (plain
// TypeScript by hand, TensorFlow.js on its CPU and WASM backends, ConvNetJS, brain.js) and
// against PyTorch, over the same workloads: GEMM, one epoch of MLP and CNN training on
// Fashion-MNIST, MLP inference. One child process per run (bench/drivers/, contract in
// protocol.mjs), alternating libraries; prints the tables and writes bench/RESULTS.md.
//   Needs: apt-get install dataset-fashion-mnist (python3-torch for the PyTorch rows).
//   Options: --workloads gemm,mlp-train,cnn-train,mlp-infer  --drivers tensorgrad,PyTorch,...
//            --rounds N (every workload)  --budget S (slow libraries' training time, default 15)
//            --quick (short budgets and one round: checks that everything runs)
//            --out FILE (default bench/RESULTS.md for a full run, else build/bench/RESULTS-partial.md)
//            --root DIR (the Fashion-MNIST files)
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { option } from '../scripts/cli-args.mjs';
import { prepareFashionData } from './harness/fashion-data.mjs';
import { DRIVERS, GEMM_SHAPES, WORKLOADS, planRuns } from './harness/plan.mjs';
import { renderReport } from './harness/report.mjs';
import { prepareStart } from './harness/shared-start.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const list = (name, all) => (option(name) ?? all.join(',')).split(',').map((s) => s.trim());
const workloads = list('workloads', Object.keys(WORKLOADS));
const driverNames = list('drivers', DRIVERS.map((d) => d.name));
const budgetS = Number(option('budget', quick ? 2 : 15));
// Only a full run replaces bench/RESULTS.md; a partial or --quick one writes beside the build.
const partial = quick || ['workloads', 'drivers', 'rounds', 'budget'].some((o) => option(o) !== undefined);
const out = option('out', partial ? join(root, 'build', 'bench', 'RESULTS-partial.md') : join(root, 'bench', 'RESULTS.md'));

for (const w of workloads) if (!(w in WORKLOADS)) throw new Error(`--workloads: unknown workload "${w}"; expected some of ${Object.keys(WORKLOADS).join(', ')}`);
for (const d of driverNames) if (!DRIVERS.some((x) => x.name === d)) throw new Error(`--drivers: unknown driver "${d}"; expected some of ${DRIVERS.map((x) => x.name).join(', ')}`);

const started = performance.now();
const dataDir = await prepareFashionData(option('root', '/usr/share/datasets/fashion-mnist'), join(root, 'build', 'bench-data'));
const trainSize = statSync(join(dataDir, 'train-y.i32')).size / 4;
const drivers = DRIVERS.filter((d) => driverNames.includes(d.name));
const skipped = new Map(drivers.filter((d) => d.missing?.()).map((d) => [d.name, d.missing()]));
const active = drivers.filter((d) => !skipped.has(d.name));

function settings(run) {
  const slow = !run.driver.fast;
  return {
    workload: run.workload,
    variant: run.driver.variant,
    threads: run.threads,
    seed: run.seed,
    start: run.driver.sharesStart && run.workload.endsWith('-train') ? prepareStart(join(root, 'build', 'bench-start'), run.workload, run.seed, trainSize) : undefined,
    dataDir,
    batch: 64,
    lr: 0.01,
    momentum: 0.9,
    // Fast libraries train a full epoch however long it takes (JSON has no Infinity).
    budgetS: slow || quick ? budgetS : 1e9,
    evalBudgetS: slow || quick ? budgetS / 3 : 1e9,
    gemmShapes: quick ? GEMM_SHAPES.filter((s) => s.m * s.n * s.k <= 256 ** 3) : GEMM_SHAPES,
    inferBatches: [1, 256],
    inferS: quick ? 0.3 : 1.5,
  };
}

function execute(run, index, total) {
  const label = `${run.workload} ${run.driver.name}${run.setup.label ? ` ${run.setup.label}` : ''} round ${run.round + 1}`;
  process.stdout.write(`[${index + 1}/${total}] ${label} ... `);
  const t0 = performance.now();
  const child = spawnSync(run.driver.command, [...run.driver.args, JSON.stringify(settings(run))], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 << 20,
    // One thread count for every library's helpers (OpenMP, BLAS) as well as its own setting.
    env: { ...process.env, OMP_NUM_THREADS: String(run.threads), OPENBLAS_NUM_THREADS: String(run.threads), ...run.setup.env },
  });
  const seconds = (performance.now() - t0) / 1e3;
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  let result;
  try {
    if (line !== undefined) result = JSON.parse(line.slice('RESULT '.length));
  } catch (err) {
    result = { failed: `its RESULT line is not JSON (${err.message})` };
  }
  if (result === undefined) {
    const why = child.error?.code === 'ETIMEDOUT' ? 'timed out after 300 s' : `exit ${child.status}${child.signal ? ` (${child.signal})` : ''}`;
    const tail = (child.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    result = { library: run.driver.name, workload: run.workload, threads: run.threads, failed: `${why}: ${tail}` };
  }
  console.log(`${result.failed ?? result.unsupported ?? summary(result)} (${seconds.toFixed(1)} s)`);
  return { ...result, library: run.driver.name, setup: run.setup.label, round: run.round, seed: run.seed, fast: Boolean(run.driver.fast) };
}

function summary(r) {
  if (r.gemm) return `${Math.max(...r.gemm.map((g) => g.gflops)).toFixed(1)} GFLOP/s at best`;
  if (r.infer) return r.infer.map((i) => `batch ${i.batch}: ${i.latencyUs.toFixed(0)} µs`).join(', ');
  return `${Math.round(r.samplesPerS)} samples/s, ${(100 * r.testAccuracy).toFixed(2)}% test accuracy`;
}

const results = [];
for (const workload of workloads) {
  const rounds = quick ? 1 : Number(option('rounds', WORKLOADS[workload].rounds));
  const runs = planRuns(workload, active, rounds);
  runs.forEach((run, i) => results.push(execute(run, i, runs.length)));
}

const report = renderReport({ results, workloads, drivers, skipped, wallS: (performance.now() - started) / 1e3, quick, budgetS });
console.log(`\n${report.console}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, report.markdown);
renameSync(`${out}.tmp`, out);
console.log(`\nwrote ${out}`);
