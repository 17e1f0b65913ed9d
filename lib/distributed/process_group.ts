/**
 * The process group (torch.distributed's default group): one per process, over every rank
 * the MPI launcher started (mpirun -np N). Rank and world size come from MPI.
 */
import { availableParallelism } from 'node:os';
import { ArgumentError, TensorgradError } from '../errors.js';
import { getNumThreads, setNumThreads } from '../runtime.js';
import { checkNumber, checkOptions, fail } from '../validate.js';
import { loadMpiAddon, type MpiBinding } from './mpi_addon.js';

export interface InitProcessGroupOptions {
  /** Only 'mpi' (Open MPI through the MPI addon). Default 'mpi'. */
  backend?: 'mpi';
  /**
   * How long one collective may take before the group fails with a TensorgradError
   * (ERR_DISTRIBUTED) instead of hanging on a rank that died or never came; milliseconds,
   * default 300000 (5 minutes). Infinity waits forever, and runs MPI's blocking collectives
   * instead of polling nonblocking ones: faster for large messages (bench/DDP.md), but a dead
   * rank then hangs the others until mpirun kills the job.
   */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 300_000;

interface Group {
  addon: MpiBinding;
  rank: number;
  worldSize: number;
  timeoutMs: number;
  threadLevel: string;
}

let group: Group | null = null;

/**
 * Initialises MPI (on the MPI addon's communication thread, at MPI_THREAD_FUNNELED) and this
 * process's group. Run under mpirun; a process started without it is a group of one. When
 * mpirun bound this rank to fewer cores than the thread pool has, the pool shrinks to them.
 */
export function initProcessGroup(options?: InitProcessGroupOptions): void {
  const opts = checkOptions<InitProcessGroupOptions>('initProcessGroup', options, ['backend', 'timeoutMs']);
  if (opts.backend !== undefined && opts.backend !== 'mpi') fail('initProcessGroup', 'options.backend', "'mpi'", opts.backend);
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (opts.timeoutMs !== undefined) {
    timeoutMs = checkNumber('initProcessGroup', 'options.timeoutMs', opts.timeoutMs);
    if (!(timeoutMs > 0)) fail('initProcessGroup', 'options.timeoutMs', 'a positive number of milliseconds (or Infinity)', opts.timeoutMs);
  }
  if (group !== null) throw new ArgumentError('initProcessGroup: the process group is already initialised (call destroyProcessGroup first)');
  const addon = loadMpiAddon('initProcessGroup');
  let info: { rank: number; size: number; threadLevel: string };
  try {
    info = addon.init(Number.isFinite(timeoutMs) ? Math.ceil(timeoutMs) : 0);
  } catch (error) {
    throw new TensorgradError(`initProcessGroup: ${(error as Error).message}`, 'ERR_DISTRIBUTED', { cause: error });
  }
  group = { addon, rank: info.rank, worldSize: info.size, timeoutMs, threadLevel: info.threadLevel };
  fitThreadsToBinding();
}

/**
 * mpirun binds each rank to a core by default (with -np 2 or less; --bind-to, --map-by ... PE=n
 * otherwise): a thread pool sized to the machine would then crowd every thread onto that
 * core. So the pool shrinks to the cores this process may run on, unless TENSORGRAD_NUM_THREADS
 * chose its size.
 */
function fitThreadsToBinding(): void {
  if (process.env.TENSORGRAD_NUM_THREADS !== undefined) return;
  const allowed = availableParallelism();
  if (getNumThreads() > allowed) setNumThreads(allowed);
}

export function isInitialized(): boolean {
  return group !== null;
}

/** The group, or a TensorgradError naming fn when there is none. */
export function requireGroup(fn: string): Group {
  if (group === null) {
    throw new TensorgradError(`${fn}: the process group is not initialised (call distributed.initProcessGroup() first, under mpirun)`, 'ERR_DISTRIBUTED');
  }
  return group;
}

export function getRank(): number {
  return requireGroup('getRank').rank;
}

export function getWorldSize(): number {
  return requireGroup('getWorldSize').worldSize;
}

export function getBackend(): 'mpi' {
  requireGroup('getBackend');
  return 'mpi';
}

/** The MPI thread level the communication thread runs at ('funneled'), and the timeout. */
export function groupInfo(): { rank: number; worldSize: number; timeoutMs: number; threadLevel: string; broken: string | null } {
  const g = requireGroup('groupInfo');
  return { rank: g.rank, worldSize: g.worldSize, timeoutMs: g.timeoutMs, threadLevel: g.threadLevel, broken: g.addon.state().broken };
}

/**
 * The communication thread's counters since the last reset (reset: true zeroes them after
 * reading): collectives run, milliseconds spent in them, and milliseconds DDP's end-of-backward
 * wait blocked -- the share of communication that backward did not hide.
 */
export function commStats(options: { reset?: boolean } = {}): { collectives: number; busyMs: number; waitedMs: number } {
  const { addon } = requireGroup('commStats');
  const stats = addon.stats();
  if (options.reset === true) addon.resetStats();
  return stats;
}

/**
 * Runs what is queued, finalises MPI and stops the communication thread. MPI cannot be
 * initialised again in the same process. After a collective failed (a timeout, a dead rank)
 * MPI is not finalised -- it could hang on the collective that never completed -- and the
 * process should exit (with a non-zero status, so that mpirun reports the failure).
 */
export function destroyProcessGroup(): void {
  const g = requireGroup('destroyProcessGroup');
  g.addon.shutdown();
  group = null;
}
