#!/usr/bin/env node
// Builds the optional MPI addon (native/dist/) into build-mpi/Release/tensorgrad_mpi.node:
// `npm run build:mpi`. Needs MPI's wrapper compiler (Debian: apt-get install openmpi-bin
// libopenmpi-dev). Separate from the main addon, so the package never needs MPI to build or load.
//   node scripts/build-mpi.mjs --sanitize   ASan + UBSan build in build-mpi-asan/ instead
//                                           (scripts/sanitized-js-tests.mjs)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// node-gyp builds beside its binding.gyp, so the sources are copied (timestamps kept, so
// builds stay incremental) to build-mpi/src/: native/ then holds sources only, and neither
// the npm tarball nor the prebuilds' source hash sees build output.
const sanitize = process.argv.includes('--sanitize');
const out = join(root, sanitize ? 'build-mpi-asan' : 'build-mpi');
const scratch = join(out, 'src');
const source = join(scratch, 'dist');
const target = join(out, 'Release', 'tensorgrad_mpi.node');

try {
  execFileSync('mpicc', ['--showme:compile'], { stdio: 'ignore' });
} catch {
  console.error('build:mpi: mpicc was not found. Install MPI first: apt-get install openmpi-bin libopenmpi-dev');
  process.exit(1);
}
cpSync(join(root, 'native', 'dist'), source, { recursive: true, preserveTimestamps: true, filter: (f) => !f.includes(join('dist', 'build')) });
mkdirSync(join(scratch, 'runtime'), { recursive: true });
cpSync(join(root, 'native', 'runtime', 'external_op.h'), join(scratch, 'runtime', 'external_op.h'), { preserveTimestamps: true });
// Through npx, so that node-gyp sees npm's configuration (nodedir and the like) as the main
// addon's build does.
for (const step of [['configure', `--tg_sanitize=${sanitize ? 1 : 0}`], ['build', '--jobs=max']]) {
  const run = spawnSync('npx', ['--no-install', 'node-gyp', ...step, `--directory=${source}`], { stdio: 'inherit', cwd: root });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
mkdirSync(dirname(target), { recursive: true });
copyFileSync(join(source, 'build', 'Release', 'tensorgrad_mpi.node'), target);
console.log(`build:mpi: ${target}`);
