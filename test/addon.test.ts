// Finding the native addon (lib/addon.ts): the order of the places it may be, and the errors a
// user gets on a platform without a prebuild or with a binary that does not load.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addonCandidates, BUILD_FROM_SOURCE, currentPlatform, loadAddon, PREBUILD_MIN_NODE, type Platform, platformName, prebuildPath } from '../lib/addon.js';
import { addonLocation } from '../lib/native.js';
import { TensorgradError } from '../lib/index.js';

const linuxX64: Platform = { platform: 'linux', arch: 'x64', libc: 'glibc' };
const freebsd: Platform = { platform: 'freebsd', arch: 'riscv64', libc: null };

function thrown(fn: () => unknown): TensorgradError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TensorgradError);
    return error as TensorgradError;
  }
  throw new Error('expected a TensorgradError');
}

describe('addon location', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tg-addon-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names platforms as the prebuilds/ folders do', () => {
    expect(platformName(linuxX64)).toBe('linux-x64-glibc');
    expect(platformName({ platform: 'linux', arch: 'arm64', libc: 'musl' })).toBe('linux-arm64-musl');
    expect(platformName(freebsd)).toBe('freebsd-riscv64');
    expect(prebuildPath('/r', linuxX64)).toBe(join('/r', 'prebuilds', 'linux-x64', 'tensorgrad.glibc.node'));
    expect(prebuildPath('/r', freebsd)).toBe(join('/r', 'prebuilds', 'freebsd-riscv64', 'tensorgrad.node'));
  });

  it('detects this process: glibc on this Linux', () => {
    const p = currentPlatform();
    expect(p.platform).toBe(process.platform);
    expect(p.arch).toBe(process.arch);
    if (process.platform === 'linux') expect(p.libc).toBe('glibc');
  });

  it('tries a local build before the prebuild, and TENSORGRAD_ADDON alone when set', () => {
    expect(addonCandidates(root, linuxX64, {}).map((c) => c.source)).toEqual(['node-gyp build', 'cmake-js build', 'prebuild']);
    expect(addonCandidates(root, linuxX64, { TENSORGRAD_ADDON: '/x/y.node' })).toEqual([{ source: 'TENSORGRAD_ADDON', path: '/x/y.node' }]);
    // A relative path is taken from the working directory, as a shell user means it.
    expect(addonCandidates(root, linuxX64, { TENSORGRAD_ADDON: 'build/x.node' })[0]!.path).toBe(resolve('build/x.node'));
  });

  it('refuses a prebuild on a Node 20 older than the Node-API it imports, and says what to do', () => {
    mkdirSync(join(root, 'prebuilds', 'linux-x64'), { recursive: true });
    writeFileSync(prebuildPath(root, linuxX64), 'not loaded: the version check comes first');
    const error = thrown(() => loadAddon(root, linuxX64, {}, 'v20.9.0'));
    expect(error.code).toBe('ERR_NATIVE_LOAD_FAILED');
    expect(error.message).toContain(`needs Node ${PREBUILD_MIN_NODE} or newer, this is Node v20.9.0`);
    expect(error.message).toContain(BUILD_FROM_SOURCE);
    // From 20.10 on it tries to load it (and this one is not an ELF file).
    expect(thrown(() => loadAddon(root, linuxX64, {}, 'v20.10.0')).message).toContain('does not load');
    expect(thrown(() => loadAddon(root, linuxX64, {}, 'v22.1.0')).message).toContain('does not load');
  });

  it('on a platform without a prebuild, throws naming the platform and the build command', () => {
    const error = thrown(() => loadAddon(root, freebsd, {}));
    expect(error.code).toBe('ERR_NATIVE_NOT_BUILT');
    expect(error.message).toContain('freebsd-riscv64');
    expect(error.message).toContain('linux-x64-glibc and linux-arm64-glibc');
    expect(error.message).toContain(BUILD_FROM_SOURCE);
  });

  it('on a supported platform whose prebuild was removed, says where it looked', () => {
    const error = thrown(() => loadAddon(root, linuxX64, {}));
    expect(error.code).toBe('ERR_NATIVE_NOT_BUILT');
    expect(error.message).toContain(prebuildPath(root, linuxX64));
    expect(error.message).toContain(BUILD_FROM_SOURCE);
  });

  it('a binary that exists but does not load is an error, not a fallback to the next place', () => {
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    writeFileSync(join(root, 'build', 'Release', 'tensorgrad.node'), 'not an ELF file');
    const error = thrown(() => loadAddon(root, linuxX64, {}));
    expect(error.code).toBe('ERR_NATIVE_LOAD_FAILED');
    expect(error.message).toContain(join(root, 'build', 'Release', 'tensorgrad.node'));
    expect(error.message).toContain('node-gyp build');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('TENSORGRAD_ADDON naming a missing file is an error', () => {
    const error = thrown(() => loadAddon(root, linuxX64, { TENSORGRAD_ADDON: join(root, 'nope.node') }));
    expect(error.code).toBe('ERR_NATIVE_LOAD_FAILED');
    expect(error.message).toContain('nope.node');
  });

  it('reports where this process loaded its addon from', () => {
    expect(['TENSORGRAD_ADDON', 'node-gyp build', 'cmake-js build', 'prebuild']).toContain(addonLocation.source);
    expect(addonLocation.path.endsWith('.node')).toBe(true);
  });
});
