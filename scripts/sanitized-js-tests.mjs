// Runs the suites that exercise deferred execution, worker threads and shared weights against
// an addon built with AddressSanitizer + UndefinedBehaviorSanitizer (cmake-js, TG_SANITIZE=ON,
// in build-asan-addon/), loaded into the ordinary Node through TENSORGRAD_ADDON with libasan
// preloaded. The C++ tests run under the sanitizers too (scripts/ctest.mjs --sanitize); this
// adds the paths only JS reaches: the binding, the wake-up channel, finalizers, worker teardown.
//   node scripts/sanitized-js-tests.mjs [vitest args]
// With TG_REPORT_DIR set, results go to vitest-asan.json there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build-asan-addon');
const SUITES = [
  'test/deferred.test.ts',
  'test/shared-weights.test.ts',
  'test/workers.test.ts',
  'test/train-semantics.test.ts',
  'test/autograd-ops.test.ts',
  'test/autograd-memory.test.ts',
  'test/memory.test.ts',
  'test/conv.test.ts',
  'test/pool.test.ts',
  'test/rnn.test.ts',
  'test/norm-dropout.test.ts',
  'test/optim.test.ts',
];

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) {
    console.error(`sanitized-js-tests: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  return r.status ?? 1;
}

const build = run('npx', ['cmake-js', 'compile', '--out', out, '--config', 'RelWithDebInfo', '--CDTG_SANITIZE=ON', '--CDTG_BUILD_TESTS=OFF', '-p', '2']);
if (build !== 0) process.exit(build);
const addon = [join(out, 'RelWithDebInfo', 'tensorgrad.node'), join(out, 'tensorgrad.node')].find(existsSync);
if (addon === undefined) {
  console.error(`sanitized-js-tests: no tensorgrad.node under ${out}`);
  process.exit(1);
}
// Where MPI is installed, the MPI addon (communication thread, external ops) runs sanitized too,
// under test/distributed.test.ts (its ranks inherit LD_PRELOAD through mpirun).
const suites = [...SUITES];
let mpiAddon;
if (spawnSync('mpicc', ['--showme:compile'], { stdio: 'ignore' }).status === 0) {
  if (run('node', [join(root, 'dist', 'cli.js'), 'build-mpi', '--sanitize']) !== 0) process.exit(1);
  mpiAddon = join(root, 'build-mpi-asan', 'Release', 'tensorgrad_mpi.node');
  suites.push('test/distributed.test.ts');
}
const libasan = spawnSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
const reportDir = process.env.TG_REPORT_DIR;
const env = {
  ...process.env,
  TENSORGRAD_ADDON: addon,
  ...(mpiAddon ? { TENSORGRAD_MPI_ADDON: mpiAddon } : {}),
  LD_PRELOAD: libasan,
  // Node itself is not instrumented and keeps memory until exit: leaks are not ours to report.
  ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};
const reporter = reportDir ? ['--reporter=default', '--reporter=json', `--outputFile.json=${join(reportDir, 'vitest-asan.json')}`] : [];
process.exit(run('npx', ['vitest', 'run', ...suites, '--testTimeout=120000', ...reporter, ...process.argv.slice(2)], env));
