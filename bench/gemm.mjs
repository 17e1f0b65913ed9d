// npm run bench:gemm — matrix multiply GFLOP/s: tensorgrad against OpenBLAS (bench/gemm_native.cc,
// the two alternating in one process, with one core's FMA peak), then tensorgrad's matmul
// called from JavaScript against a naive JavaScript triple loop (n <= 512). Writes
// bench/RESULTS.md. OpenBLAS comes from Debian's libopenblas-dev and is linked only into the
// benchmark binary. Pass --quick for a shorter run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tg from '../dist/index.js';
import { median } from '../scripts/cli-args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const buildDir = join(root, 'build-bench');

function nativeTable() {
  if (!existsSync('/usr/include/x86_64-linux-gnu/cblas.h') && !existsSync('/usr/include/cblas.h')) {
    return 'OpenBLAS comparison skipped: install it with `apt-get install -y libopenblas-dev`.\n';
  }
  const steps = [
    ['cmake', ['-S', root, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release', '-DTG_BUILD_BENCH=ON', '-DTG_BUILD_TESTS=OFF']],
    ['cmake', ['--build', buildDir, '--target', 'bench_gemm_native', '--parallel', '2']],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) return `native benchmark did not build (${cmd} ${args.join(' ')})\n`;
  }
  const out = execFileSync(join(buildDir, 'bench_gemm_native'), quick ? ['--quick'] : [], { encoding: 'utf8' });
  process.stdout.write(out);
  return out;
}

function gflops(n, fn, rounds) {
  fn();
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return (2 * n ** 3) / (median(times) * 1e6);
}

function naiveMatmul(a, b, c, n) {
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += a[i * n + p] * b[p * n + j];
      c[i * n + j] = s;
    }
}

function jsTable() {
  const rows = ['| n | threads | tensorgrad from JS GFLOP/s | naive JS loop GFLOP/s | ratio |', '| --- | --- | --- | --- | --- |'];
  for (const n of quick ? [64, 256] : [64, 128, 256, 512]) {
    const a = tg.rand(n, n);
    const b = tg.rand(n, n);
    const ja = Float32Array.from(a.data());
    const jb = Float32Array.from(b.data());
    const jc = new Float32Array(n * n);
    const js = gflops(n, () => naiveMatmul(ja, jb, jc, n), n >= 512 ? 3 : 7);
    for (const threads of [1, 2]) {
      tg.setNumThreads(threads);
      const t = gflops(n, () => a.matmul(b), n <= 128 ? 200 : 20);
      rows.push(`| ${n} | ${threads} | ${t.toFixed(1)} | ${js.toFixed(2)} | ${(t / js).toFixed(0)}x |`);
    }
  }
  tg.setNumThreads(cpus().length);
  const table = rows.join('\n');
  console.log(`\n${table}`);
  return table;
}

const native = nativeTable();
const js = jsTable();
const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown CPU';
const report = `# GEMM benchmark

Written by \`npm run bench:gemm\` on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${cpus().length} cores, Node ${process.version},
tensorgrad ISA ${tg.backendInfo().isa}. Ratios compare runs made side by side in one process;
absolute numbers move with the machine's load.

## tensorgrad against OpenBLAS (bench/gemm_native.cc)

\`ratio\` is tensorgrad / OpenBLAS; \`%peak\` is tensorgrad against the measured FMA peak of the
cores in use.

\`\`\`
${native.trim()}
\`\`\`

## From JavaScript: tensorgrad's matmul against a naive triple loop

${js}
`;
writeFileSync(join(root, 'bench', 'RESULTS.md'), report);
console.log('\nwrote bench/RESULTS.md');
