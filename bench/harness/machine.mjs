// The machine and the software versions a RESULTS.md was measured with: figures mean little
// without them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import * as tg from '../../dist/index.js';

const require = createRequire(import.meta.url);

function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return 'not installed';
  }
}

/** "Python x.y.z, PyTorch a.b.c" from /usr/bin/python3, or undefined when torch is missing. */
export function torchVersion() {
  try {
    const out = execFileSync('/usr/bin/python3', ['-c', 'import sys, numpy, torch; print(sys.version.split()[0], torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [python, torch] = out.trim().split(' ');
    return `Python ${python}, PyTorch ${torch}`;
  } catch {
    return undefined;
  }
}

/** Lines describing the CPU, memory, OS and the versions of every library measured. */
export function describeMachine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = (cpuinfo.match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown CPU';
  const flags = (cpuinfo.match(/flags\s*:\s*(.*)/) ?? [])[1]?.split(' ') ?? [];
  const simd = ['avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f)).join(', ');
  return [
    `CPU: ${model}, ${cpus().length} cores (${simd || 'no AVX2'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory, Linux ${release()}`,
    `tensorgrad ${require('../../package.json').version} with kernels for ${tg.backendInfo().isa}, Node ${process.version}`,
    torchVersion() ?? 'PyTorch: not installed',
    `@tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}, @tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')}, convnetjs ${packageVersion('convnetjs')}, brain.js ${packageVersion('brain.js')}`,
  ];
}
