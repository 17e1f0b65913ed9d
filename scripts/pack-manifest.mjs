// The package.json that goes into the tarball has no scripts: npm 11's --strict-allow-scripts
// (and npm 12's default) count even `prepare` as an install script, while this repository
// needs `prepare` so that a contributor's `npm install` builds the addon. So, as pinst does:
//   node scripts/pack-manifest.mjs strip     (prepack) save package.json, drop scripts and
//                                            the development-only fields
//   node scripts/pack-manifest.mjs restore   (postpack) put the saved one back
// A pack that died between the two leaves package.json stripped and the original beside it:
// strip, restore and scripts/ensure-built.mjs (which every npm script runs) put it back when
// package.json is still exactly the stripped one, and refuse otherwise, never overwriting an
// edit.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { isMain } from './script-helpers.mjs';

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

/** Puts the saved package.json back, if a pack left one; throws if package.json changed since. */
export function restoreManifest() {
  if (!existsSync(saved)) return;
  const original = JSON.parse(readFileSync(saved, 'utf8'));
  const current = JSON.parse(readFileSync(manifest, 'utf8'));
  if (!isDeepStrictEqual(current, publishedManifest(original))) {
    throw new Error(
      `pack-manifest: ${saved} holds the package.json an interrupted npm pack set aside, but package.json ` +
        'has changed since; merge the two by hand and delete package.json.prepack',
    );
  }
  renameSync(saved, manifest);
}

function strip() {
  restoreManifest();
  const text = readFileSync(manifest, 'utf8');
  writeAtomic(saved, text);
  writeAtomic(manifest, `${JSON.stringify(publishedManifest(JSON.parse(text)), null, 2)}\n`);
}

if (isMain(import.meta.url)) {
  const command = process.argv[2];
  try {
    if (command === 'strip') strip();
    else if (command === 'restore') restoreManifest();
    else {
      console.error('usage: node scripts/pack-manifest.mjs strip|restore');
      process.exit(2);
    }
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
