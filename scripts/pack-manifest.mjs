// The package.json that goes into the tarball has no scripts: npm 11's --strict-allow-scripts
// (and npm 12's default) count even `prepare` as an install script, while this repository
// needs `prepare` so that a contributor's `npm install` builds the addon. So, as pinst does:
//   node scripts/pack-manifest.mjs strip     (prepack) save package.json, drop scripts and
//                                            the development-only fields
//   node scripts/pack-manifest.mjs restore   (postpack) put the saved one back
// strip restores a copy left by a pack that died before postpack, before it saves again.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const saved = join(root, 'package.json.prepack');

export const DEV_ONLY = ['scripts', 'devDependencies', 'overrides', '//overrides', '//install'];

export function publishedManifest(pkg) {
  return Object.fromEntries(Object.entries(pkg).filter(([key]) => !DEV_ONLY.includes(key)));
}

function writeAtomic(path, text) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function restore() {
  if (existsSync(saved)) renameSync(saved, manifest);
}

function strip() {
  restore();
  const text = readFileSync(manifest, 'utf8');
  writeAtomic(saved, text);
  writeAtomic(manifest, `${JSON.stringify(publishedManifest(JSON.parse(text)), null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2];
  if (command === 'strip') strip();
  else if (command === 'restore') restore();
  else {
    console.error('usage: node scripts/pack-manifest.mjs strip|restore');
    process.exit(2);
  }
}
