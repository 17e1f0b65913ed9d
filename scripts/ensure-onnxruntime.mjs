// Installs onnxruntime-node (not a dependency: it is only needed to run exported ONNX files in
// the interop example and the ONNX tests) when it is missing, without its install script's
// download of CUDA libraries (ONNXRUNTIME_NODE_INSTALL=skip), which also needs more internet
// than the npm registry. The version is the one the tests were checked with.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { isMain } from './script-helpers.mjs';

export const ONNXRUNTIME_VERSION = '1.31.1';

export function ensureOnnxruntime() {
  const require = createRequire(new URL('../package.json', import.meta.url));
  try {
    require.resolve('onnxruntime-node');
    return;
  } catch {
    /* not installed: install it below */
  }
  console.log(`installing onnxruntime-node@${ONNXRUNTIME_VERSION} (ONNXRUNTIME_NODE_INSTALL=skip: no CUDA download)`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--no-save', '--no-audit', '--no-fund', `onnxruntime-node@${ONNXRUNTIME_VERSION}`];
  const result = spawnSync(npm, args, { stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, cwd: new URL('..', import.meta.url) });
  if (result.status !== 0) {
    console.error(`could not install onnxruntime-node; run: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node@${ONNXRUNTIME_VERSION}`);
    process.exit(1);
  }
}

if (isMain(import.meta.url)) ensureOnnxruntime();
