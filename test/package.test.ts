// The built package as a user consumes it: a project outside the repo that depends on
// tensorgrad by path can both require() and import it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = existsSync(join(root, 'dist', 'index.js')) && existsSync(join(root, 'dist', 'index.cjs'));

describe.skipIf(!built)('tensorgrad as a dependency', () => {
  let project = '';

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'tensorgrad-consumer-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { tensorgrad: `file:${root}` } }));
    // What `npm install <path>` does for a directory dependency: a symlink.
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(root, join(project, 'node_modules', 'tensorgrad'), 'dir');
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const run = (file: string, code: string): string => {
    writeFileSync(join(project, file), code);
    return execFileSync(process.execPath, [join(project, file)], { cwd: project, encoding: 'utf8' }).trim();
  };

  it('works with require()', () => {
    const out = run('main.cjs', `
      const tg = require('tensorgrad');
      const x = tg.tensor([[1, 2], [3, 4]]);
      console.log(JSON.stringify([x.sum().item(), x instanceof tg.Tensor, typeof tg.TensorgradError]));
    `);
    expect(JSON.parse(out)).toEqual([10, true, 'function']);
  });

  it('works with import', () => {
    const out = run('main.mjs', `
      import * as tg from 'tensorgrad';
      import { tensor, ShapeError } from 'tensorgrad';
      let caught = '';
      try { tensor([1, 2]).add(tensor([1, 2, 3])); } catch (e) { caught = e instanceof ShapeError ? e.code : 'wrong class'; }
      console.log(JSON.stringify([tensor([1, 2, 3]).mean().item(), caught, tg.backendInfo().numThreads > 0]));
    `);
    expect(JSON.parse(out)).toEqual([2, 'ERR_SHAPE', true]);
  });
});
