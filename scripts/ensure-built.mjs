// Builds whatever is missing or stale before tests, demos and benchmarks run:
//  - the addon (node-gyp: configure when there is no build or binding.gyp / native/sources.txt
//    changed, then an incremental make);
//  - dist/ (tsup) when any lib/ source is newer than it.
// --force rebuilds both from scratch.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localNodedirArgs } from './script-helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// An npm pack that died before postpack left package.json without its scripts and dev tools.
try {
  (await import('./pack-manifest.mjs')).restoreManifest();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
const bin = (name) => join(root, 'node_modules', '.bin', name);
const force = process.argv.includes('--force');

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`ensure-built: \`${cmd} ${args.join(' ')}\` failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

// node-gyp downloads Node's headers unless told where they are; a Node installed with its
// headers (as Debian's and the official tarballs are) has them next to the binary.
const nodedirArgs = () => (process.env.npm_config_nodedir ? [] : localNodedirArgs());

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

// The generated project lists the sources: configure again when the source list changes.
const project = ['Makefile', 'binding.sln'].map((f) => join(root, 'build', f)).find((f) => existsSync(f));
const stale = !project || ['binding.gyp', join('native', 'sources.txt')].some((f) => statSync(join(root, f)).mtimeMs > statSync(project).mtimeMs);
if (force || stale) run(bin('node-gyp'), ['rebuild', '--jobs=max', ...nodedirArgs()]);
else run(bin('node-gyp'), ['build', '--jobs=max']);

const dist = join(root, 'dist', 'index.js');
if (force || !existsSync(dist) || statSync(dist).mtimeMs < newest(join(root, 'lib'))) {
  run(bin('tsup'), []);
}
