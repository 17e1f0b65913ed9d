/**
 * Finds and loads the optional MPI addon (native/dist/, built by `npx tensorgrad build-mpi`), only
 * when a process group is initialised: the main package never needs MPI to load. Looked for
 * at TENSORGRAD_MPI_ADDON, else build-mpi/Release/tensorgrad_mpi.node in the package root.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { packageRoot } from '../addon.js';
import { TensorgradError } from '../errors.js';

/** The one command that builds the MPI addon, in an installed package or a checkout (where `npm run build:mpi` runs it too). */
export const BUILD_MPI = 'npx tensorgrad build-mpi';
export const INSTALL_MPI = 'apt-get install openmpi-bin libopenmpi-dev';

export interface MpiBinding {
  init(timeoutMs: number): { rank: number; size: number; threadLevel: string };
  /** kind: CollectiveKind; reduce: ReduceCode; returns the prepared id (also the async work's id). */
  prepare(kind: number, reduce: number, root: number, async: boolean, waitFor?: number[]): number;
  waitAsync(workId: number): Promise<void>;
  isCompleted(workId: number): boolean;
  state(): { initialized: boolean; finalized: boolean; broken: string | null };
  shutdown(): void;
  /** Since the last resetStats: collectives run, ms the communication thread spent in them, ms the stream waited for DDP's buckets. */
  stats(): { collectives: number; busyMs: number; waitedMs: number };
  resetStats(): void;
  /** The ExternalOp that native.callExternal runs (native/runtime/external_op.h). */
  readonly runPrepared: object;
}

/** native/dist/addon.cc: PreparedKind. */
export const CollectiveKind = { allReduce: 0, broadcast: 1, allGather: 2, barrier: 3, wait: 4 } as const;
/** native/dist/comm.h: ReduceKind. */
export const ReduceCode = { sum: 0, avg: 1, max: 2, min: 3 } as const;

export function mpiAddonPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TENSORGRAD_MPI_ADDON) return resolve(env.TENSORGRAD_MPI_ADDON);
  return join(packageRoot(), 'build-mpi', 'Release', 'tensorgrad_mpi.node');
}

let loaded: MpiBinding | undefined;

/** The MPI addon, or a TensorgradError that says how to install MPI and build it. */
export function loadMpiAddon(fn: string): MpiBinding {
  if (loaded !== undefined) return loaded;
  const path = mpiAddonPath();
  const howTo = `Install MPI (Debian/Ubuntu: ${INSTALL_MPI}), then build the addon with: ${BUILD_MPI}`;
  if (!existsSync(path)) {
    throw new TensorgradError(`${fn}: the MPI addon is not built (looked for ${path}). ${howTo}`, 'ERR_NATIVE_NOT_BUILT');
  }
  try {
    loaded = createRequire(import.meta.url)(path) as MpiBinding;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new TensorgradError(`${fn}: the MPI addon at ${path} does not load (${reason}). ${howTo}`, 'ERR_NATIVE_LOAD_FAILED', { cause: error });
  }
  return loaded;
}
