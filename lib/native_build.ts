/**
 * Building native code where tensorgrad is installed or checked out, for `npx tensorgrad`:
 * the main addon from source (a platform without a prebuild), and the optional MPI addon
 * (native/dist/), which no prebuild carries because it links the machine's own MPI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** node-gyp: the one npm runs scripts with, this checkout's, or the one bundled with npm. */
function nodeGypScript(root: string): string | null {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Windows
  ];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

/**
 * Runs node-gyp with args in cwd; returns its exit status. Node's own headers, where this
 * Node has them, spare node-gyp a download (as scripts/script-helpers.mjs does for the
 * repository's builds; the package does not ship scripts/). Without a node-gyp at hand, npm
 * fetches one (npm_execpath: the npm that runs us, if any).
 */
export function runNodeGyp(root: string, cwd: string, args: string[]): number {
  const prefix = join(dirname(process.execPath), '..');
  const all = [...args, ...(existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [])];
  const script = nodeGypScript(root);
  const npm = process.env.npm_execpath;
  const [cmd, argv] = script
    ? [process.execPath, [script, ...all]]
    : npm
      ? [process.execPath, [npm, 'exec', '--yes', '--', 'node-gyp', ...all]]
      : ['npm', ['exec', '--yes', '--', 'node-gyp', ...all]];
  const result = spawnSync(cmd, argv, { cwd, stdio: 'inherit', shell: process.platform === 'win32' && cmd === 'npm' });
  if (result.error) {
    console.error(`tensorgrad: cannot run ${cmd}: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

/**
 * Builds native/dist/ into build-mpi/Release/tensorgrad_mpi.node (build-mpi-asan/ with
 * sanitize: ASan + UBSan, for scripts/sanitized-js-tests.mjs). node-gyp builds beside its
 * binding.gyp, so the sources are first copied (timestamps kept, so builds stay incremental)
 * to build-mpi/src/: native/ then holds sources only, and neither the npm tarball nor the
 * prebuilds' source hash sees build output. Returns the exit status.
 */
export function buildMpiAddon(root: string, sanitize: boolean): number {
  try {
    execFileSync('mpicc', ['--showme:compile'], { stdio: 'ignore' });
  } catch {
    console.error('tensorgrad: mpicc was not found. Install MPI first: apt-get install openmpi-bin libopenmpi-dev');
    return 1;
  }
  const out = join(root, sanitize ? 'build-mpi-asan' : 'build-mpi');
  const scratch = join(out, 'src');
  const source = join(scratch, 'dist');
  const target = join(out, 'Release', 'tensorgrad_mpi.node');
  cpSync(join(root, 'native', 'dist'), source, { recursive: true, preserveTimestamps: true, filter: (f) => !f.includes(join('dist', 'build')) });
  mkdirSync(join(scratch, 'runtime'), { recursive: true });
  cpSync(join(root, 'native', 'runtime', 'external_op.h'), join(scratch, 'runtime', 'external_op.h'), { preserveTimestamps: true });
  for (const step of [['configure', `--tg_sanitize=${sanitize ? 1 : 0}`], ['build', '--jobs=max']]) {
    const status = runNodeGyp(root, source, step);
    if (status !== 0) return status;
  }
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(source, 'build', 'Release', 'tensorgrad_mpi.node'), target);
  console.log(`tensorgrad: built ${target}`);
  return 0;
}
