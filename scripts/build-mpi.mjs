#!/usr/bin/env node
// Builds the optional MPI addon (native/dist/) into build-mpi/Release/tensorgrad_mpi.node:
// `npm run build:mpi`. Needs MPI's wrapper compiler (Debian: apt-get install openmpi-bin
// libopenmpi-dev). Separate from the main addon, so the package never needs MPI to build or load.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'dist');
const target = join(root, 'build-mpi', 'Release', 'tensorgrad_mpi.node');

try {
  execFileSync('mpicc', ['--showme:compile'], { stdio: 'ignore' });
} catch {
  console.error('build:mpi: mpicc was not found. Install MPI first: apt-get install openmpi-bin libopenmpi-dev');
  process.exit(1);
}
// Through npx, so that node-gyp sees npm's configuration (nodedir and the like) as the main
// addon's build does.
for (const step of [['configure'], ['build', '--jobs=max']]) {
  const run = spawnSync('npx', ['--no-install', 'node-gyp', ...step, `--directory=${source}`], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
mkdirSync(dirname(target), { recursive: true });
copyFileSync(join(source, 'build', 'Release', 'tensorgrad_mpi.node'), target);
console.log(`build:mpi: ${target}`);
