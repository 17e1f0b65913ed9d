// Builds the prebuilt addons that the npm package ships, into prebuilds/<platform>-<arch>/
// (lib/addon.ts loads them), and writes prebuilds/manifest.json.
//   node scripts/prebuild.mjs                  build every target (npm run build:prebuilds)
//   node scripts/prebuild.mjs --if-stale       only when the native sources changed since the
//                                              last build or a binary is missing (prepack runs
//                                              this, so npm pack/publish cannot skip them)
//   node scripts/prebuild.mjs --targets linux-x64-glibc
// Each target builds with node-gyp in its own staging folder (build-prebuild/<target>/), so the
// contributor's build/ is left alone, then is stripped and checked (scripts/binary-checks.mjs):
// a binary that needs too new a glibc, exports more than its entry point, or (x86-64) runs
// AVX outside the ISA regions fails the build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryProblems, checkIsaRegions, inspectBinary } from './binary-checks.mjs';
import { isMain, localNodedirArgs } from './script-helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_GLIBC = '2.28';

// The platforms we ship. `tools` is the compiler prefix; the host must be linux-x64.
export const TARGETS = {
  'linux-x64-glibc': { platform: 'linux', arch: 'x64', libc: 'glibc', tools: '', isaCheck: true },
  'linux-arm64-glibc': { platform: 'linux', arch: 'arm64', libc: 'glibc', tools: 'aarch64-linux-gnu-', isaCheck: false },
};

export const prebuildFile = (t) => join('prebuilds', `${t.platform}-${t.arch}`, `tensorgrad.${t.libc}.node`);

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error || result.status !== 0) {
    throw new Error(`prebuild: \`${cmd} ${args.join(' ')}\` failed: ${result.error?.message ?? `exit ${result.status}`}`);
  }
}

function output(cmd, args) {
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * What a prebuild is made from: the native sources (but the MPI addon's), binding.gyp and its source-list reader,
 * this script and its checks (a tightened check re-checks), node-addon-api's and Node's
 * headers (the Node that builds is the one whose headers are used), and the compilers.
 */
export function sourceHash() {
  const hash = createHash('sha256');
  const files = ['binding.gyp', 'scripts/native-sources.cjs', 'scripts/prebuild.mjs', 'scripts/binary-checks.mjs', 'scripts/script-helpers.mjs',
    // native/dist/ is the optional MPI addon (npx tensorgrad build-mpi), never part of a prebuild.
    ...filesUnder(join(root, 'native')).map((f) => relative(root, f)).filter((f) => !f.startsWith(join('native', 'dist')))];
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(root, file)));
  const addonApi = JSON.parse(readFileSync(join(root, 'node_modules', 'node-addon-api', 'package.json'), 'utf8')).version;
  const compilers = Object.values(TARGETS).map((t) => `${t.tools}g++ ${output(`${t.tools}g++`, ['-dumpfullversion']) ?? 'missing'}`);
  hash.update(JSON.stringify({ addonApi, node: process.version, compilers, MAX_GLIBC }));
  return hash.digest('hex');
}

// The build sees only what it is given: a user's CFLAGS=-ffast-math or an npm_config_* must not
// reach the binaries everyone installs.
function buildEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(C|CXX|CPP|LD)FLAGS$|^npm_config_/i.test(k)));
  return { ...env, ...extra };
}

function stage(name) {
  const dir = join(root, 'build-prebuild', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  cpSync(join(root, 'binding.gyp'), join(dir, 'binding.gyp'));
  cpSync(join(root, 'native'), join(dir, 'native'), { recursive: true });
  cpSync(join(root, 'scripts', 'native-sources.cjs'), join(dir, 'scripts', 'native-sources.cjs'));
  return dir;
}

function build(name, target) {
  const tool = (t) => `${target.tools}${t}`;
  if (!output(tool('g++'), ['--version'])) {
    const pkg = target.tools ? ` (Debian: apt-get install g++-${target.tools.slice(0, -1)})` : '';
    throw new Error(`prebuild: ${name} needs the compiler ${tool('g++')}${pkg}`);
  }
  const dir = stage(name);
  const map = join(dir, 'tensorgrad.map');
  const env = buildEnv({ CC: tool('gcc'), CXX: tool('g++'), LINK: tool('g++'), AR: tool('ar'), LDFLAGS: `-Wl,-Map,${map}` });
  console.log(`\n==> prebuild ${name} with ${output(tool('g++'), ['--version']).split('\n')[0]}`);
  run(process.execPath, [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', '--jobs=max', `--arch=${target.arch}`, ...localNodedirArgs()], { cwd: dir, env });
  const unstripped = join(dir, 'build', 'Release', 'tensorgrad.node');
  const out = join(root, prebuildFile(target));
  mkdirSync(dirname(out), { recursive: true });
  run(tool('strip'), ['--strip-all', '-o', `${out}.tmp`, unstripped]);
  renameSync(`${out}.tmp`, out);

  const info = inspectBinary(out);
  const problems = binaryProblems(info, { maxGlibc: MAX_GLIBC });
  let isa = null;
  if (target.isaCheck) {
    isa = checkIsaRegions(unstripped, readFileSync(map, 'utf8'));
    problems.push(...isa.problems);
  }
  if (problems.length) throw new Error(`prebuild: ${name} is not fit to ship:\n  ${problems.join('\n  ')}`);
  console.log(`prebuild: ${relative(root, out)}: ${(info.bytes / 1e6).toFixed(2)} MB, glibc ${info.maxGlibc}, exports ${info.exports.join(', ')}` +
    (isa ? `; ${isa.inside} AVX instructions, all inside the ISA regions` : ''));
  return { file: prebuildFile(target), bytes: info.bytes, sha256: sha256(out), glibc: info.maxGlibc, compiler: `${tool('g++')} ${output(tool('g++'), ['-dumpfullversion'])}` };
}

function main(argv) {
  const at = argv.indexOf('--targets');
  const names = at >= 0 ? argv[at + 1].split(',') : Object.keys(TARGETS);
  for (const n of names) if (!TARGETS[n]) throw new Error(`prebuild: unknown target ${n} (known: ${Object.keys(TARGETS).join(', ')})`);
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('prebuild: the prebuilds are made on linux-x64 (arm64 by cross compiler)');

  const manifestPath = join(root, 'prebuilds', 'manifest.json');
  const previous = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : null;
  const hash = sourceHash();
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const fresh = (n) => {
    const file = join(root, prebuildFile(TARGETS[n]));
    return previous?.sourceHash === hash && existsSync(file) && previous.targets?.[n]?.sha256 === sha256(file);
  };
  if (argv.includes('--if-stale') && Object.keys(TARGETS).every(fresh)) {
    console.log('prebuild: prebuilds/ is up to date with the native sources');
    return;
  }
  const targets = {};
  for (const n of Object.keys(TARGETS)) {
    if (names.includes(n)) targets[n] = build(n, TARGETS[n]);
    else if (fresh(n)) targets[n] = previous.targets[n];
  }
  const manifest = { version, sourceHash: hash, maxGlibc: MAX_GLIBC, targets };
  writeFileSync(`${manifestPath}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${manifestPath}.tmp`, manifestPath);
  const missing = Object.keys(TARGETS).filter((n) => !targets[n]);
  if (argv.includes('--if-stale') && missing.length) throw new Error(`prebuild: missing ${missing.join(', ')}`);
  for (const [n, t] of Object.entries(targets)) console.log(`prebuild: ${n}: ${t.file} (${statSync(join(root, t.file)).size} bytes, glibc ${t.glibc})`);
}

if (isMain(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
