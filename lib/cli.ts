#!/usr/bin/env node
/**
 * `npx tensorgrad <command>`:
 *   info [--json]        what a bug report needs (as `python -m torch.utils.collect_env`)
 *   build-from-source    build the addon with node-gyp, for a platform without a prebuild
 *   build-mpi            build the optional MPI addon (native/dist/) against this machine's MPI
 *                        (--sanitize: the ASan + UBSan build the CI's sanitizer step uses)
 * It loads the addon itself (lib/addon.ts), so `info` still reports when loading fails.
 */
import { readFileSync, statSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { dirname, join } from 'node:path';
import { BUILD_FROM_SOURCE, currentPlatform, glibcRuntimeVersion, type LoadedAddon, loadAddon, packageRoot, platformName } from './addon.js';
import type { BackendInfo } from './native.js';
import { buildMpiAddon, runNodeGyp } from './native_build.js';

type Report = Record<string, unknown>;

function readJson(path: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Everything `info` prints, as one object (`--json` prints it as is). */
export function collectInfo(): Report {
  const root = packageRoot();
  const platform = currentPlatform();
  const cpuList = cpus();
  const report: Report = {
    tensorgrad: (readJson(join(root, 'package.json'))?.version as string) ?? 'unknown',
    packageRoot: root,
    node: process.version,
    v8: process.versions.v8,
    napi: process.versions.napi,
    npm: process.env.npm_config_user_agent ?? null,
    platform: platformName(platform),
    os: `${type()} ${release()}`,
    glibc: glibcRuntimeVersion(),
    cpu: { model: cpuList[0]?.model ?? 'unknown', cores: cpuList.length },
    env: { TENSORGRAD_ISA: process.env.TENSORGRAD_ISA ?? null, TENSORGRAD_ADDON: process.env.TENSORGRAD_ADDON ?? null },
  };
  let loaded: LoadedAddon;
  try {
    loaded = loadAddon(root, platform);
  } catch (error) {
    report.addon = { loaded: false, error: (error as Error).message };
    return report;
  }
  const backend = (loaded.binding as { backendInfo(): BackendInfo }).backendInfo();
  const manifest = loaded.source === 'prebuild' ? readJson(join(dirname(dirname(loaded.path)), 'manifest.json')) : null;
  const target = manifest ? (manifest.targets as Record<string, unknown>)?.[platformName(platform)] : undefined;
  report.addon = {
    loaded: true,
    source: loaded.source,
    path: loaded.path,
    bytes: statSync(loaded.path).size,
    build: backend.build,
    ...(target ? { prebuild: target } : {}),
  };
  report.cpu = { ...(report.cpu as object), features: backend.cpu };
  report.kernels = { isa: backend.isa, overrideIgnored: backend.isaOverrideIgnored };
  report.numThreads = backend.numThreads;
  return report;
}

function printInfo(report: Report): void {
  const lines: string[] = [];
  const walk = (value: unknown, indent: string, key: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      lines.push(`${indent}${key}:`);
      for (const [k, v] of Object.entries(value)) walk(v, `${indent}  `, k);
    } else {
      const text = Array.isArray(value) ? value.join(', ') : value === null ? '-' : String(value);
      lines.push(`${indent}${key}: ${text}`);
    }
  };
  for (const [k, v] of Object.entries(report)) walk(v, '', k);
  console.log(lines.join('\n'));
}

function buildFromSource(): number {
  const root = packageRoot();
  console.log(`tensorgrad: building the addon from source in ${root}`);
  const status = runNodeGyp(root, root, ['rebuild', '--jobs=max']);
  if (status !== 0) {
    console.error('tensorgrad: the build failed; it needs a C++17 compiler (g++ 9+ or clang 10+), make and Python 3.');
    return status;
  }
  console.log(`tensorgrad: built ${join(root, 'build', 'Release', 'tensorgrad.node')}; it is loaded before any prebuild.`);
  return 0;
}

const usage = `usage: npx tensorgrad <command>
  info [--json]        versions, platform, the loaded addon, CPU features, kernels, threads
  build-from-source    build the native addon here with node-gyp (same as: ${BUILD_FROM_SOURCE})
  build-mpi            build the optional MPI addon for tg.distributed (needs openmpi-bin and libopenmpi-dev)`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === 'info') {
    const report = collectInfo();
    if (rest.includes('--json')) console.log(JSON.stringify(report, null, 2));
    else printInfo(report);
    return (report.addon as { loaded: boolean }).loaded ? 0 : 1;
  }
  if (command === 'build-from-source') return buildFromSource();
  if (command === 'build-mpi') return buildMpiAddon(packageRoot(), rest.includes('--sanitize'));
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(usage);
    return command === undefined ? 1 : 0;
  }
  console.error(`tensorgrad: unknown command '${command}'\n${usage}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
