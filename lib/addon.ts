/**
 * Finds and loads the native addon. Installing tensorgrad runs no script, so the addon comes
 * from one of these places, the first that exists winning:
 *   1. TENSORGRAD_ADDON, a path to a .node file (tests, and anyone who built their own);
 *   2. build/Release/tensorgrad.node, a build from source with node-gyp (contributors, and
 *      `npx tensorgrad build-from-source` on a platform without a prebuild);
 *   3. build-cmake-js/Release/tensorgrad.node, the same sources built with cmake-js;
 *   4. prebuilds/<platform>-<arch>/tensorgrad.<libc>.node, shipped in the npm package
 *      (node-gyp-build's naming, so its tooling reads the folder too).
 * A candidate that exists but fails to load is an error, never a silent fallback to the next.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TensorgradError } from './errors.js';

export type AddonSource = 'TENSORGRAD_ADDON' | 'node-gyp build' | 'cmake-js build' | 'prebuild';

export interface AddonCandidate {
  source: AddonSource;
  path: string;
}

export interface LoadedAddon {
  binding: unknown;
  source: AddonSource;
  path: string;
}

export interface Platform {
  platform: string;
  arch: string;
  /** 'glibc' or 'musl' on Linux, null elsewhere. */
  libc: 'glibc' | 'musl' | null;
}

/** The one command that builds the addon from source (bin/cli.ts runs node-gyp). */
export const BUILD_FROM_SOURCE = 'npx tensorgrad build-from-source';

/** The platforms that npm packages of tensorgrad carry a prebuilt addon for. */
export const PREBUILT_PLATFORMS = ['linux-x64-glibc', 'linux-arm64-glibc'] as const;

/** Node 20 releases before this lack node_api_post_finalizer, which the prebuilds import. */
export const PREBUILD_MIN_NODE = '20.10.0';

/**
 * glibc or musl, from the dynamic loader Node's own binary names (its PT_INTERP string, in the
 * first page): cheap, where process.report.getReport() can take seconds in a busy process.
 */
function detectLibc(): 'glibc' | 'musl' {
  try {
    const head = Buffer.alloc(4096);
    const fd = openSync(process.execPath, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const text = head.toString('latin1');
    if (text.includes('/ld-musl-')) return 'musl';
    if (text.includes('/ld-linux')) return 'glibc';
  } catch {
    // unreadable: ask Node below
  }
  return glibcRuntimeVersion() ? 'glibc' : 'musl';
}

/** The glibc Node runs on, from its diagnostic report (slow in a busy process: not for every load). */
export function glibcRuntimeVersion(): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}

export function currentPlatform(): Platform {
  return { platform: process.platform, arch: process.arch, libc: process.platform === 'linux' ? detectLibc() : null };
}

function versionAtLeast(version: string, min: string): boolean {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

export function platformName(p: Platform): string {
  return [p.platform, p.arch, p.libc].filter(Boolean).join('-');
}

/** The directory of tensorgrad's package.json, found upward from this module. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'tensorgrad') return dir;
      } catch {
        // an unreadable package.json on the way up is not ours
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new TensorgradError('tensorgrad: cannot find the package root (package.json)', 'ERR_NATIVE_NOT_BUILT');
    dir = parent;
  }
}

export function prebuildPath(root: string, p: Platform): string {
  return join(root, 'prebuilds', `${p.platform}-${p.arch}`, `tensorgrad${p.libc ? `.${p.libc}` : ''}.node`);
}

/** Where the addon may be, in the order they are tried. */
export function addonCandidates(root: string, p: Platform, env: NodeJS.ProcessEnv = process.env): AddonCandidate[] {
  if (env.TENSORGRAD_ADDON) return [{ source: 'TENSORGRAD_ADDON', path: resolve(env.TENSORGRAD_ADDON) }];
  return [
    { source: 'node-gyp build', path: join(root, 'build', 'Release', 'tensorgrad.node') },
    { source: 'cmake-js build', path: join(root, 'build-cmake-js', 'Release', 'tensorgrad.node') },
    { source: 'prebuild', path: prebuildPath(root, p) },
  ];
}

function notBuiltMessage(root: string, p: Platform, tried: AddonCandidate[]): string {
  const supported = (PREBUILT_PLATFORMS as readonly string[]).includes(platformName(p));
  const why = supported
    ? `its prebuilt addon is missing from ${root} (looked for ${tried.map((c) => c.path).join(', ')})`
    : `tensorgrad ships prebuilt addons for ${PREBUILT_PLATFORMS.join(' and ')} only`;
  return (
    `tensorgrad: no native addon for ${platformName(p)} (Node ${process.version}): ${why}. ` +
    `Build it from source (needs a C++17 compiler, make and Python 3) with: ${BUILD_FROM_SOURCE}`
  );
}

/** Loads the first candidate that exists; throws a TensorgradError naming the platform otherwise. */
export function loadAddon(
  root = packageRoot(),
  p = currentPlatform(),
  env: NodeJS.ProcessEnv = process.env,
  nodeVersion = process.version,
): LoadedAddon {
  const candidates = addonCandidates(root, p, env);
  const found = candidates.find((c) => existsSync(c.path));
  if (!found) {
    const code = env.TENSORGRAD_ADDON ? 'ERR_NATIVE_LOAD_FAILED' : 'ERR_NATIVE_NOT_BUILT';
    if (env.TENSORGRAD_ADDON) throw new TensorgradError(`tensorgrad: TENSORGRAD_ADDON names ${candidates[0]!.path}, which does not exist`, code);
    throw new TensorgradError(notBuiltMessage(root, p, candidates), code);
  }
  // Loading would succeed there, and the process die at the first garbage collection.
  if (found.source === 'prebuild' && !versionAtLeast(nodeVersion, PREBUILD_MIN_NODE)) {
    throw new TensorgradError(
      `tensorgrad: the prebuilt addon needs Node ${PREBUILD_MIN_NODE} or newer, this is Node ${nodeVersion}. ` +
        `Upgrade Node, or build the addon for this Node from source (needs a C++17 compiler, make and Python 3) with: ${BUILD_FROM_SOURCE}`,
      'ERR_NATIVE_LOAD_FAILED',
    );
  }
  try {
    return { binding: createRequire(import.meta.url)(found.path), source: found.source, path: found.path };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new TensorgradError(
      `tensorgrad: the native addon at ${found.path} (${found.source}) does not load on ${platformName(p)} (Node ${process.version}): ${reason}. ` +
        `Build it from source (needs a C++17 compiler, make and Python 3) with: ${BUILD_FROM_SOURCE}`,
      'ERR_NATIVE_LOAD_FAILED',
      { cause: error },
    );
  }
}
