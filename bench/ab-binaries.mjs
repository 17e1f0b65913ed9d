// Two builds of the addon side by side on the same small workloads, alternated in one run:
// for a change that should not move performance (a refactor of kernels/, new link flags).
//   node bench/ab-binaries.mjs OLD.node NEW.node [--rounds 5] [--threads 1]
// (TENSORGRAD_ISA=avx2 measures the AVX2 kernels on an AVX-512 machine.) Each round runs each
// binary in its own process (TENSORGRAD_ADDON); the best round per workload is printed, in µs.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : fallback;
};
const rounds = option('rounds', 5);
const threads = option('threads', 1);
const bins = args.map((b) => resolve(b));
if (bins.length < 2) {
  console.error('usage: node bench/ab-binaries.mjs OLD.node NEW.node [--rounds 5] [--threads 1]');
  process.exit(2);
}
const dist = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js')).href;

const workload = `
import * as tg from ${JSON.stringify(dist)};
tg.setNumThreads(${threads});
tg.manualSeed(0);
const time = (f, n) => {
  for (let i = 0; i < 3; i++) f();
  const s = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - s) / 1e3 / n;
};
const a = tg.randn(512, 512), b = tg.randn(512, 512);
const x = tg.randn(64, 784), w = tg.randn(512, 784);
const e = tg.randn(1000000), f = tg.randn(1000000);
const s = tg.randn(256, 1000);
console.log(JSON.stringify({
  'matmul 512³': time(() => tg.matmul(a, b).dispose(), 30),
  'linear 64×784→512 relu': time(() => tg.linear(x, w, null, { activation: 'relu' }).dispose(), 200),
  'add 1e6': time(() => e.add(f).dispose(), 200),
  'exp 1e6': time(() => e.exp().dispose(), 200),
  'sum 1e6': time(() => e.sum().dispose(), 200),
  'softmax 256×1000': time(() => tg.softmax(s, 1).dispose(), 200),
  isa: tg.backendInfo().isa,
}));`;

const results = bins.map(() => []);
for (let round = 0; round < rounds; round++) {
  bins.forEach((bin, i) => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', workload], { env: { ...process.env, TENSORGRAD_ADDON: bin }, encoding: 'utf8' });
    results[i].push(JSON.parse(out));
  });
}
const names = Object.keys(results[0][0]).filter((k) => k !== 'isa');
console.log(`| workload (µs, best of ${rounds}, ${threads} thread${threads > 1 ? 's' : ''}, ${results[0][0].isa}) | ${bins.join(' | ')} |`);
console.log(`| --- |${bins.map(() => ' --- |').join('')}`);
for (const name of names) console.log(`| ${name} | ${results.map((r) => Math.min(...r.map((x) => x[name])).toFixed(1)).join(' | ')} |`);
