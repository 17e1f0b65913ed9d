#!/usr/bin/env node
// mpirun with the flags a development machine needs, for the npm scripts, tests and benchmarks:
//   node scripts/mpirun.mjs -np 2 node examples/ddp-mnist.mjs
// adds --allow-run-as-root when run as root (containers), --oversubscribe (more ranks than
// cores, as on a 2-core machine) and --bind-to none (Open MPI binds each rank to one core by
// default, which would pin a rank's thread pool to that core).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function mpirunFlags() {
  const flags = ['--oversubscribe', '--bind-to', 'none'];
  if (process.getuid?.() === 0) flags.unshift('--allow-run-as-root');
  return flags;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const run = spawnSync('mpirun', [...mpirunFlags(), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.error) {
    console.error(`mpirun: ${run.error.message}. Install MPI: apt-get install openmpi-bin libopenmpi-dev`);
    process.exit(1);
  }
  process.exit(run.status ?? 1);
}
