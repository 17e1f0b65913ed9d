// tg.distributed, DistributedDataParallel and DistributedSampler. The parts that need no MPI
// run here; the rest spawn `mpirun -np 2` over the scripts in test/distributed/ (which import
// dist/, built by `npm test`'s ensure-built step). Without mpirun or the MPI addon
// (`npx tensorgrad build-mpi`) those are skipped with a message -- and fail when CI is set.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DistributedSampler, TensorDataset, DataLoader } from '../lib/data/index.js';
import * as dist from '../lib/distributed/index.js';
import { arange, ArgumentError, nn, TensorgradError, tensor } from '../lib/index.js';
// @ts-expect-error -- a plain .mjs helper, without types
import { mpirunFlags } from '../scripts/mpirun.mjs';

const root = join(import.meta.dirname, '..');
const scripts = join(import.meta.dirname, 'distributed');

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('DistributedSampler (no MPI needed)', () => {
  const dataset = (n: number) => new TensorDataset(arange(n));
  const shares = (n: number, replicas: number, opts: { shuffle?: boolean; seed?: number; dropLast?: boolean } = {}, epoch = 0) =>
    Array.from({ length: replicas }, (_, rank) => {
      const s = new DistributedSampler(dataset(n), { numReplicas: replicas, rank, ...opts });
      s.setEpoch(epoch);
      return [...s];
    });

  it('gives disjoint shares that cover the dataset when it divides evenly', () => {
    const parts = shares(12, 3, { shuffle: true, seed: 7 });
    expect(parts.map((p) => p.length)).toEqual([4, 4, 4]);
    expect(parts.flat().sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
  });

  it('pads by repeating the start of the order, so every rank gets the same count', () => {
    const parts = shares(10, 4, { shuffle: false });
    expect(parts).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 0],
      [3, 7, 1],
    ]);
    expect(new Set(parts.flat()).size).toBe(10);
  });

  it('pads a dataset smaller than numReplicas by repeating it', () => {
    expect(shares(2, 5, { shuffle: false })).toEqual([[0], [1], [0], [1], [0]]);
  });

  it('cuts the tail with dropLast, as torch', () => {
    const parts = shares(10, 4, { shuffle: false, dropLast: true });
    expect(parts).toEqual([[0, 4], [1, 5], [2, 6], [3, 7]]);
    const s = new DistributedSampler(dataset(10), { numReplicas: 4, rank: 0, dropLast: true });
    expect([s.length, s.numSamples, s.totalSize]).toEqual([2, 2, 8]);
  });

  it('shuffles the same way on every rank, differently per epoch, and reproducibly', () => {
    const e0 = shares(20, 2, { seed: 3 }, 0);
    const e1 = shares(20, 2, { seed: 3 }, 1);
    expect(e0.flat().sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(e1.flat().sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(e0).not.toEqual(e1);
    expect(shares(20, 2, { seed: 3 }, 1)).toEqual(e1);
    expect(shares(20, 2, { seed: 4 }, 1)).not.toEqual(e1);
    expect(e0[0]).not.toEqual([...Array(10).keys()].map((i) => 2 * i));
  });

  it('drives a DataLoader, whose length follows the sampler', () => {
    const s = new DistributedSampler(dataset(10), { numReplicas: 2, rank: 1, shuffle: false });
    const loader = new DataLoader(new TensorDataset(arange(10)), { batchSize: 2, sampler: s });
    expect(loader.length).toBe(3);
    expect([...loader].map((b) => Array.from((b as ReturnType<typeof arange>[])[0]!.data()))).toEqual([[1, 3], [5, 7], [9]]);
  });

  it('rejects bad arguments, naming them', () => {
    const d = dataset(4);
    expect(thrown(() => new DistributedSampler(d, { numReplicas: 0, rank: 0 })).message).toContain('options.numReplicas');
    expect(thrown(() => new DistributedSampler(d, { numReplicas: 2, rank: 2 })).message).toContain('options.rank');
    expect(thrown(() => new DistributedSampler(d, { numReplicas: 2, rank: 0, seed: -1 })).message).toContain('options.seed');
    expect(thrown(() => new DistributedSampler(d, { numReplicas: 2, rank: 0, shuffle: 1 as never })).message).toContain('options.shuffle');
    expect(thrown(() => new DistributedSampler({} as never, { numReplicas: 2, rank: 0 }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => new DistributedSampler(d, { numReplicas: 2, rank: 0, bogus: 1 } as never))).toBeInstanceOf(ArgumentError);
    const s = new DistributedSampler(d, { numReplicas: 2, rank: 0 });
    expect(thrown(() => s.setEpoch(-1)).message).toContain('epoch');
    const e = thrown(() => new DistributedSampler(d));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toContain('initProcessGroup');
    expect(thrown(() => new DataLoader(d, { sampler: s, shuffle: true })).message).toContain('options.shuffle');
    expect(thrown(() => new DataLoader(d, { sampler: 5 as never })).message).toContain('options.sampler');
    expect(thrown(() => [...new DataLoader(d, { sampler: [0, 9] })]).message).toContain('options.sampler');
  });
});

describe('tg.distributed without a process group', () => {
  it('fails every call before initProcessGroup with a TensorgradError naming it', () => {
    expect(dist.isInitialized()).toBe(false);
    for (const [name, call] of [
      ['getRank', () => dist.getRank()],
      ['getWorldSize', () => dist.getWorldSize()],
      ['allReduce', () => dist.allReduce(tensor([1]))],
      ['broadcast', () => dist.broadcast(tensor([1]), 0)],
      ['allGather', () => dist.allGather([tensor([1])], tensor([1]))],
      ['barrier', () => dist.barrier()],
      ['destroyProcessGroup', () => dist.destroyProcessGroup()],
      ['DistributedDataParallel', () => new nn.parallel.DistributedDataParallel(new nn.Linear(2, 2))],
    ] as const) {
      const e = thrown(call);
      expect(e).toBeInstanceOf(TensorgradError);
      expect((e as TensorgradError).code).toBe('ERR_DISTRIBUTED');
      expect(e.message).toContain(name);
      expect(e.message).toContain('initProcessGroup');
    }
  });

  it('checks initProcessGroup and collective arguments first', () => {
    expect(thrown(() => dist.initProcessGroup({ backend: 'nccl' as never })).message).toContain('options.backend');
    expect(thrown(() => dist.initProcessGroup({ timeoutMs: 0 })).message).toContain('options.timeoutMs');
    expect(thrown(() => dist.initProcessGroup({ timeoutMs: 'soon' as never }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => dist.initProcessGroup({ bogus: 1 } as never))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => dist.allReduce('x' as never)).message).toContain('tensor');
    expect(thrown(() => dist.allReduce(tensor([1]), { op: 'prod' as never })).message).toContain('options.op');
    expect(thrown(() => dist.allReduce(tensor([1]).expand([3]))).message).toContain('contiguous');
    const DDP = nn.parallel.DistributedDataParallel;
    expect(thrown(() => new DDP({} as never)).message).toContain('model');
    expect(thrown(() => new DDP(new nn.Linear(2, 2), { bucketCapMb: 0 })).message).toContain('options.bucketCapMb');
    expect(thrown(() => new DDP(new nn.Linear(2, 2), { broadcastBuffers: 'yes' as never })).message).toContain('options.broadcastBuffers');
    expect(thrown(() => new DDP(new nn.Linear(2, 2), { findUnusedParameters: true } as never))).toBeInstanceOf(ArgumentError);
  });

  it('says the same when the addon does not load (no libmpi)', () => {
    const saved = process.env.TENSORGRAD_MPI_ADDON;
    const dir = mkdtempSync(join(tmpdir(), 'tg-mpi-'));
    const bogus = join(dir, 'tensorgrad_mpi.node');
    writeFileSync(bogus, 'not a shared object');
    process.env.TENSORGRAD_MPI_ADDON = bogus;
    try {
      const e = thrown(() => dist.initProcessGroup()) as TensorgradError;
      expect(e.code).toBe('ERR_NATIVE_LOAD_FAILED');
      expect(e.message).toContain('does not load');
      expect(e.message).toContain('apt-get install openmpi-bin libopenmpi-dev');
      expect(e.message).toContain('npx tensorgrad build-mpi');
    } finally {
      if (saved === undefined) delete process.env.TENSORGRAD_MPI_ADDON;
      else process.env.TENSORGRAD_MPI_ADDON = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how to install MPI and build the addon when the addon is missing', () => {
    const saved = process.env.TENSORGRAD_MPI_ADDON;
    process.env.TENSORGRAD_MPI_ADDON = join(tmpdir(), 'no-such-dir', 'tensorgrad_mpi.node');
    try {
      const e = thrown(() => dist.initProcessGroup()) as TensorgradError;
      expect(e).toBeInstanceOf(TensorgradError);
      expect(e.code).toBe('ERR_NATIVE_NOT_BUILT');
      expect(e.message).toContain('initProcessGroup');
      expect(e.message).toContain('apt-get install openmpi-bin libopenmpi-dev');
      expect(e.message).toContain('npx tensorgrad build-mpi');
      expect(dist.isInitialized()).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.TENSORGRAD_MPI_ADDON;
      else process.env.TENSORGRAD_MPI_ADDON = saved;
    }
  });
});

// ---- under mpirun -----------------------------------------------------------------------

function hasMpirun(): boolean {
  try {
    execFileSync('mpirun', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const missing = [
  !hasMpirun() && 'mpirun (apt-get install openmpi-bin libopenmpi-dev)',
  !existsSync(dist.mpiAddonPath()) && `the MPI addon at ${dist.mpiAddonPath()} (npx tensorgrad build-mpi)`,
  !existsSync(join(root, 'dist', 'index.js')) && 'dist/ (npm run build:ts)',
].filter(Boolean);
if (missing.length > 0 && !process.env.CI) console.warn(`test/distributed.test.ts: skipping the mpirun suites, missing ${missing.join(' and ')}`);
const mpiSuite = missing.length > 0 && !process.env.CI ? describe.skip : describe;


function mpirun(np: number, script: string, args: string[] = [], extra: string[] = [], timeout = 120_000) {
  const r = spawnSync('mpirun', [...mpirunFlags(), ...extra, '-np', String(np), 'node', join(scripts, script), ...args], {
    encoding: 'utf8',
    timeout,
    env: { ...process.env, TENSORGRAD_NUM_THREADS: '1' },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, lines: (tag: string) => r.stdout.split('\n').filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1)) };
}

mpiSuite('tg.distributed under mpirun -np 2', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tg-dist-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each([['with a timeout (polled)', '30000'], ['without one (blocking MPI calls)', 'Infinity']])('runs every collective, eager, async and deferred, %s', (_, timeout) => {
    if (missing.length > 0) throw new Error(`CI is set but ${missing.join(' and ')} is missing`);
    const r = mpirun(2, 'collectives.mjs', ['--timeout', timeout]);
    const checks = r.lines('CHECK');
    expect(checks.length, r.out).toBe(22);
    expect(checks.filter((l) => !l.endsWith(' ok')), r.out).toEqual([]);
    expect(r.status, r.out).toBe(0);
  });

  describe.each([
    ['SGD with momentum', 'sgd', '0'],
    ['Adam', 'adam', '0'],
    ['SGD with momentum, deferred', 'sgd', '1'],
  ])('2 ranks x batch B/2 train like 1 process x batch B (%s)', (_, optim, deferred) => {
    it('gives the same parameters after 50 steps, to float tolerance', () => {
      const single = join(tmp, `single-${optim}.json`);
      const ddp = join(tmp, `ddp-${optim}-${deferred}.json`);
      const alone = spawnSync('node', [join(scripts, 'equivalence.mjs'), '--mode', 'single', '--optim', optim, '--out', single], { encoding: 'utf8' });
      expect(alone.status, alone.stderr).toBe(0);
      const r = mpirun(2, 'equivalence.mjs', ['--optim', optim, '--deferred', deferred, '--out', ddp]);
      expect(r.status, r.out).toBe(0);
      const a = JSON.parse(readFileSync(single, 'utf8'));
      const b = JSON.parse(readFileSync(ddp, 'utf8'));
      expect(b.world).toBe(2);
      expect(b.buckets.length).toBeGreaterThan(1); // several buckets, so overlap is exercised
      for (const [name, values] of Object.entries(a.params as Record<string, number[]>)) {
        const other = b.params[name] as number[];
        expect(other.length).toBe(values.length);
        const worst = Math.max(...values.map((v, i) => Math.abs(v - other[i]!) / (1 + Math.abs(v))));
        expect(worst, name).toBeLessThan(1e-5);
      }
    });
  });

  it('fit with a DDP model: one history on every rank, progress and checkpoints from rank 0 only', () => {
    const r = mpirun(2, 'fit.mjs');
    expect(r.status, r.out).toBe(0);
    const reports = r.lines('FIT').map((l) => JSON.parse(l)).sort((a, b) => a.rank - b.rank);
    expect(reports.length, r.out).toBe(2);
    const [zero, one] = reports;
    expect(one.history).toEqual(zero.history);
    expect(zero.history.loss.length).toBe(3);
    expect(zero.history.valLoss.length).toBe(3);
    expect(zero.printed).toBeGreaterThan(0);
    expect(one.printed).toBe(0);
    expect(zero.saves.length).toBe(3);
    expect(one.saves).toEqual([]);
    // The checkpoint holds the wrapped model's keys; the DDP module's own are prefixed, as torch's.
    expect(zero.saves[0]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    expect(zero.stateKeys[0]).toBe('module.0.weight');
  });

  it("broadcasts batch norm's buffers from rank 0 at construction and before each training forward", () => {
    const r = mpirun(2, 'buffers.mjs');
    expect(r.status, r.out).toBe(0);
    const reports = r.lines('BUFFERS').map((l) => JSON.parse(l));
    expect(reports.length, r.out).toBe(2);
    for (const report of reports) {
      expect(report.afterConstruction).toEqual([0, 0, 0, 0]);
      // Started from rank 0's 0, not rank 1's drifted 7 (which would leave about 6.3).
      for (const v of report.afterForward) expect(Math.abs(v)).toBeLessThan(1);
    }
  });

  it('shrinks the thread pool to the cores mpirun bound the rank to', () => {
    const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
    const r = spawnSync('mpirun', [...root, '--bind-to', 'core', '--map-by', 'core', '-np', '2', 'node', join(scripts, 'threads.mjs')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, TENSORGRAD_NUM_THREADS: undefined },
    });
    const reports = r.stdout.split('\n').filter((l) => l.startsWith('THREADS ')).map((l) => JSON.parse(l.slice(8)));
    expect(reports.length, `${r.stdout}\n${r.stderr}`).toBe(2);
    for (const report of reports) expect(report.threads).toBeLessThanOrEqual(report.cores);
  });

  it('fails on every rank, with no hang, when the ranks build different models', () => {
    const r = mpirun(2, 'layout.mjs');
    const reports = r.lines('LAYOUT').map((l) => JSON.parse(l));
    expect(reports.length, r.out).toBe(2);
    for (const report of reports) {
      expect(report.threw).toBe(true);
      expect(report.code).toBe('ERR_DISTRIBUTED');
      expect(report.message).toContain('parameter layout');
      expect(report.message).toContain(`rank ${1 - report.rank}`);
    }
  });

  it.each([
    ['stops taking part', 'stall', []],
    // mpirun's default aborts the whole job when a rank exits non-zero (so nothing hangs
    // either); with this flag the survivor stays up and must fail by itself.
    ['exits mid-training', 'exit', ['--mca', 'orte_abort_on_non_zero_status', '0']],
  ])('makes rank 0 throw within timeoutMs when rank 1 %s', (_, fault, extra) => {
    const timeoutMs = 1500;
    const started = Date.now();
    const r = mpirun(2, 'fault.mjs', ['--fault', fault, '--timeout', String(timeoutMs), '--at', '4'], extra as string[], 60_000);
    const reports = r.lines('FAULT').map((l) => JSON.parse(l));
    expect(reports.length, r.out).toBe(1);
    const [report] = reports;
    expect(report.rank).toBe(0);
    expect(report.step).toBe(4);
    expect(report.name).toBe('TensorgradError');
    expect(report.code).toBe('ERR_DISTRIBUTED');
    expect(report.elapsedMs).toBeLessThan(timeoutMs + 1000);
    // After a failure the group is broken: later calls fail at once.
    expect(report.later.code).toBe('ERR_DISTRIBUTED');
    expect(report.later.message).toContain('broken');
    expect(report.later.ms).toBeLessThan(100);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

// Two "hosts" as network namespaces joined by a veth pair (scripts/mpi-two-hosts.sh). Needs
// root and a kernel that lets it make namespaces: skipped, with a message, where it cannot.
const canMakeNamespaces = process.getuid?.() === 0 && spawnSync('unshare', ['--net', 'true']).status === 0 && spawnSync('ip', ['-V']).status === 0;
if (!canMakeNamespaces && missing.length === 0) console.warn('test/distributed.test.ts: skipping the two-host run (needs root, unshare --net and ip)');
(canMakeNamespaces && missing.length === 0 ? describe : describe.skip)('two hosts (network namespaces and a veth pair)', () => {
  it('trains across them over TCP like one process', () => {
    const r = spawnSync(join(root, 'scripts', 'mpi-two-hosts.sh'), { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('two hosts: ok');
    expect(r.stdout).toContain('tg-host-a, tg-host-b');
  });
});
