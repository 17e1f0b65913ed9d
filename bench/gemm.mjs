// npm run bench:gemm — matrix multiply GFLOP/s: tensorgrad against OpenBLAS (bench/gemm_native.cc,
// the two alternating in one process, with one core's FMA peak). Writes bench/GEMM.md. (GEMM
// called from JavaScript, against the other libraries, is part of `npm run bench`.) OpenBLAS
// comes from Debian's libopenblas-dev and is linked only into the benchmark binary. Pass
// --quick for a shorter run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './harness/machine.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const buildDir = join(root, 'build-bench');
const avx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

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
  const run = (env) => {
    const out = execFileSync(join(buildDir, 'bench_gemm_native'), quick ? ['--quick'] : [], { encoding: 'utf8', env: { ...process.env, ...env } });
    process.stdout.write(out);
    return out;
  };
  const out = run({});
  if (!avx512) return out;
  // Most servers have no AVX-512: on this machine, both libraries' AVX2 kernels stand in for
  // such a CPU (OpenBLAS's Haswell kernels are the ones it runs on Zen 3).
  process.stdout.write('\n');
  return `${out}\nAVX2 kernels on both sides (TENSORGRAD_ISA=avx2, OPENBLAS_CORETYPE=Haswell):\n${run({ TENSORGRAD_ISA: 'avx2', OPENBLAS_CORETYPE: 'Haswell' })}`;
}

const native = nativeTable();
const report = `# GEMM benchmark

Written by \`npm run bench:gemm\` on ${new Date().toISOString().slice(0, 10)}. Ratios compare runs made side by side in one
process; absolute numbers move with the machine's load. GEMM from JavaScript against the other
libraries (plain TypeScript, TensorFlow.js, PyTorch) is in RESULTS.md (\`npm run bench\`).

${describeMachine().slice(0, 2).map((l) => `- ${l}`).join('\n')}

## tensorgrad against OpenBLAS (bench/gemm_native.cc)

\`ratio\` is tensorgrad / OpenBLAS; \`%peak\` is tensorgrad against the measured FMA peak of the
cores in use.

\`\`\`
${native.trim()}
\`\`\`
`;
writeFileSync(join(root, 'bench', 'GEMM.md'), report);
console.log('\nwrote bench/GEMM.md');
