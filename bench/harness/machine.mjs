// The machine and the software versions a RESULTS.md was measured with: figures mean little
// without them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

let torch2Found;
/**
 * The python of a current PyTorch (2.x with MKL and oneDNN), from the venv that
 * ../shared/anchors/pytorch2-venv.sh builds out of wheels some machine images carry, or
 * { missing: why }. Looked up once per process.
 */
export function torch2() {
  if (torch2Found !== undefined) return torch2Found;
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'anchors', 'pytorch2-venv.sh');
  if (!existsSync(script)) return (torch2Found = { missing: `skipped: ${script} is not there (../shared beside the checkout)` });
  try {
    const python = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop();
    const version = execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
    return (torch2Found = { python, version });
  } catch (err) {
    const why = String(err.stderr ?? err.message).trim().split('\n').pop();
    return (torch2Found = { missing: `skipped: this machine has no PyTorch 2.x wheels (${why})` });
  }
}

/** The onnxruntime-node version, or undefined when it is not installed (it is not a dependency). */
export function onnxruntimeVersion() {
  const v = packageVersion('onnxruntime-node');
  return v === 'not installed' ? undefined : v;
}

/**
 * The core generation of an AMD CPU from its family and model (a VM's "model name" is often
 * just "AMD EPYC"; the session machines vary between Zen 3, 4 and 5), or undefined.
 */
export function amdCore(vendor, family, model) {
  if (vendor !== 'AuthenticAMD') return undefined;
  if (family === 23) return model >= 0x30 ? 'Zen 2' : 'Zen / Zen+';
  if (family === 25) return (model >= 0x10 && model < 0x20) || (model >= 0x60 && model < 0xb0) ? 'Zen 4' : 'Zen 3';
  if (family === 26) return 'Zen 5';
  return undefined;
}

/** Lines describing the CPU, memory, OS and the versions of every library measured. */
export function describeMachine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name) => (cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm')) ?? [])[1];
  const core = amdCore(field('vendor_id'), Number(field('cpu family')), Number(field('model')));
  const model = `${field('model name') ?? 'unknown CPU'}${core ? ` (${core}, family ${field('cpu family')} model ${field('model')})` : ''}`;
  const flags = (cpuinfo.match(/flags\s*:\s*(.*)/) ?? [])[1]?.split(' ') ?? [];
  const simd = ['avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f)).join(', ');
  return [
    `CPU: ${model}, ${cpus().length} cores (${simd || 'no AVX2'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory, Linux ${release()}`,
    `tensorgrad ${require('../../package.json').version} with kernels for ${tg.backendInfo().isa}, Node ${process.version}`,
    torchVersion() ?? 'PyTorch: not installed',
    torch2().version ? `PyTorch ${torch2().version} (the anchors venv: MKL, oneDNN)` : 'PyTorch 2.x: not on this machine',
    `onnxruntime-node ${onnxruntimeVersion() ?? 'not installed'}`,
    `@tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}, @tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')}, convnetjs ${packageVersion('convnetjs')}, brain.js ${packageVersion('brain.js')}`,
  ];
}
