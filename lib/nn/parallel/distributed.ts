/**
 * DistributedDataParallel (torch.nn.parallel.DistributedDataParallel): one replica of the
 * model per rank, each trained on its own share of every batch, kept identical by averaging
 * the gradients across ranks during backward.
 *
 * - At construction every rank all-gathers a hash of the parameter layout (names, shapes,
 *   dtypes) and fails alike when any rank differs; then parameters and buffers are broadcast
 *   from rank 0, so every replica starts from rank 0's weights.
 * - Gradients are averaged in buckets of about bucketCapMb, filled in reverse parameter order
 *   (the order backward produces them; the first bucket is capped at 1 MB so communication
 *   starts early, as torch does). The autograd engine reports each parameter the moment its
 *   gradient is complete (lib/backward_observers.ts); when a bucket's last one arrives its
 *   all-reduce is launched on the communication thread, while backward goes on with the layers
 *   below. Buckets launch in index order on every rank, so the ranks' collectives match.
 * - When backward ends, the remaining buckets are launched and a wait for all of them is put in
 *   the stream: in eager mode backward() returns with the averaged gradients in .grad; in
 *   deferred mode the wait runs on the executor's thread, before the optimizer step queued
 *   after it, and the JS thread stays free.
 * - A parameter that got no gradient in a pass is given a zero one (every rank must send the
 *   same layout); the model must use the same parameters on every rank.
 */
import { TensorgradError } from '../../errors.js';
import { observeGradients, type BackwardObserver } from '../../backward_observers.js';
import { tensor, zeros } from '../../creation.js';
import { broadcastTensors, launchCollective, waitInStream } from '../../distributed/collectives.js';
import { CollectiveKind, ReduceCode } from '../../distributed/mpi_addon.js';
import { requireGroup } from '../../distributed/process_group.js';
import type { Tensor } from '../../tensor.js';
import { checkBool, checkNumber, checkOptions, fail } from '../../validate.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';

export interface DistributedDataParallelOptions {
  /** Size of a gradient bucket in MiB (default 25, as torch). */
  bucketCapMb?: number;
  /** Broadcast buffers (batch norm's running statistics) from rank 0 before each training forward (default true). */
  broadcastBuffers?: boolean;
}

const FIRST_BUCKET_BYTES = 1024 * 1024;

interface Bucket {
  params: Parameter[];
  pending: number;
}

/** 32-bit FNV-1a of a string, from a given basis (two bases give a 64-bit check). */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export class DistributedDataParallel<Args extends unknown[] = [Tensor], Out = Tensor> extends Module<Args, Out> implements BackwardObserver {
  declare readonly module: Module<Args, Out>;
  readonly bucketCapMb: number;
  readonly broadcastBuffers: boolean;
  readonly #buckets: Bucket[] = [];
  // Ready id -> index of the bucket that holds that parameter.
  readonly #bucketOfId = new Map<number, number>();
  #nextBucket = 0;
  #works: number[] = [];
  #reducing: Tensor[] = [];
  #touched = false;

  constructor(model: Module<Args, Out>, options?: DistributedDataParallelOptions) {
    super();
    const fn = 'DistributedDataParallel';
    if (!(model instanceof Module)) fail(fn, 'model', 'a Module', model);
    const opts = checkOptions<DistributedDataParallelOptions>(fn, options, ['bucketCapMb', 'broadcastBuffers']);
    this.bucketCapMb = opts.bucketCapMb === undefined ? 25 : checkNumber(fn, 'options.bucketCapMb', opts.bucketCapMb, { finite: true });
    if (!(this.bucketCapMb > 0)) fail(fn, 'options.bucketCapMb', 'a positive number of MiB', opts.bucketCapMb);
    this.broadcastBuffers = opts.broadcastBuffers === undefined ? true : checkBool(fn, 'options.broadcastBuffers', opts.broadcastBuffers);
    requireGroup(fn);
    this.registerModule('module', model as unknown as Module<never[], unknown>);

    checkLayout(model as unknown as Module<never[], unknown>);
    // In place: parameters and buffers are contiguous (callExternal refuses a view).
    const state = [...model.parameters(), ...model.buffers()];
    broadcastTensors(`${fn}: broadcasting the parameters and buffers from rank 0`, state, 0);

    const trainable = model.parameters().filter((p) => p.requiresGrad);
    this.#buildBuckets(trainable);
    const ids = observeGradients(trainable.map((p) => p._h), this);
    const indexOf = new Map(trainable.map((p, i) => [p, i] as const));
    this.#buckets.forEach((bucket, b) => {
      for (const p of bucket.params) this.#bucketOfId.set(ids[indexOf.get(p)!]!, b);
    });
  }

  /** The buckets' parameter counts, in the order they are reduced (for tests and tuning). */
  get bucketSizes(): number[] {
    return this.#buckets.map((b) => b.params.length);
  }

  #buildBuckets(params: Parameter[]): void {
    const cap = this.bucketCapMb * 1024 * 1024;
    let current: Parameter[] = [];
    let bytes = 0;
    for (let i = params.length - 1; i >= 0; i--) {
      const p = params[i]!;
      current.push(p);
      bytes += p.numel * 4;
      if (bytes >= (this.#buckets.length === 0 ? Math.min(cap, FIRST_BUCKET_BYTES) : cap)) {
        this.#buckets.push({ params: current, pending: current.length });
        current = [];
        bytes = 0;
      }
    }
    if (current.length > 0) this.#buckets.push({ params: current, pending: current.length });
  }

  forward(...args: Args): Out {
    if (this.training && this.broadcastBuffers) {
      const buffers = this.module.buffers();
      if (buffers.length > 0) broadcastTensors('DistributedDataParallel.forward: broadcasting the buffers from rank 0', buffers, 0);
    }
    return this.module.call(...args);
  }

  /** Called by the engine as a parameter's gradient becomes final in a backward pass. */
  onGradReady(readyId: number): void {
    const b = this.#bucketOfId.get(readyId);
    if (b === undefined) return;
    this.#touched = true;
    this.#buckets[b]!.pending--;
    while (this.#nextBucket < this.#buckets.length && this.#buckets[this.#nextBucket]!.pending <= 0) this.#launch(this.#nextBucket++);
  }

  afterBackward(failed: boolean): void {
    if (!this.#touched) return;
    try {
      if (failed) return;
      while (this.#nextBucket < this.#buckets.length) this.#launch(this.#nextBucket++);
      waitInStream('DistributedDataParallel: averaging gradients', this.#works, this.#reducing);
    } finally {
      this.#touched = false;
      this.#nextBucket = 0;
      this.#works = [];
      this.#reducing = [];
      for (const bucket of this.#buckets) bucket.pending = bucket.params.length;
    }
  }

  #launch(b: number): void {
    const grads = this.#buckets[b]!.params.map((p) => {
      let g = p.grad;
      if (g === null) {
        p.grad = zeros(p.shape);
        g = p.grad!;
      }
      return g;
    });
    const id = launchCollective(`DistributedDataParallel: averaging gradient bucket ${b}`, grads, {
      kind: CollectiveKind.allReduce,
      reduce: ReduceCode.avg,
      async: true,
    });
    this.#works.push(id);
    this.#reducing.push(...grads);
  }
}

/** Every rank's hash of the parameter and buffer layout; a TensorgradError on every rank when any differs. */
function checkLayout(model: Module<never[], unknown>): void {
  const { rank, worldSize } = requireGroup('DistributedDataParallel');
  const entries = [
    ...model.namedParameters().map(([name, p]) => `p:${name}:${p.shape.join('x')}:${p.dtype}:${p.requiresGrad}`),
    ...model.namedBuffers().map(([name, t]) => `b:${name}:${t.shape.join('x')}:${t.dtype}`),
  ];
  const text = entries.join(';');
  const numel = model.parameters().reduce((a, p) => a + p.numel, 0);
  const mine = [fnv1a(text, 0x811c9dc5), fnv1a(text, 0x01000193 ^ 0x5bd1e995), entries.length, numel % 2 ** 31];
  const local = tensor(mine, { dtype: 'int32' });
  const gathered = Array.from({ length: worldSize }, () => zeros([mine.length], { dtype: 'int32' }));
  launchCollective('DistributedDataParallel: checking the parameter layout', [local, ...gathered], { kind: CollectiveKind.allGather, async: false });
  const differing: string[] = [];
  gathered.forEach((t, r) => {
    const theirs = Array.from(t.data());
    if (theirs.some((v, i) => v !== mine[i])) differing.push(`rank ${r} (${theirs[2]} tensors, ${theirs[3]} parameter elements)`);
  });
  if (differing.length > 0) {
    throw new TensorgradError(
      `DistributedDataParallel: the model's parameter layout (names, shapes, dtypes) differs between ranks: rank ${rank} has ` +
        `${mine[2]} tensors and ${mine[3]} parameter elements, and these ranks differ from it: ${differing.join(', ')}. ` +
        'Every rank must build the same model.',
      'ERR_DISTRIBUTED',
    );
  }
}
