/**
 * Collectives, shaped like torch.distributed's: in place on the tensors' native memory, run by
 * the MPI addon's communication thread and reached through the main addon's stream
 * (native.callExternal), so they are ordered with the ops around them in eager and deferred
 * mode alike.
 *
 * Without asyncOp a collective returns once it has completed (eager mode; in deferred mode once
 * it is queued, like any op: its result is there when the tensor is read). With
 * { asyncOp: true } it returns a Work at once; `await work.wait()` resolves when it has
 * completed, without blocking the JS thread. Until then the tensor must not be read or
 * written, and every Work must be waited for.
 */
import { DTypeError, ShapeError, TensorgradError } from '../errors.js';
import { native } from '../native.js';
import { checkTensor, type Tensor } from '../tensor.js';
import { checkBool, checkInt, checkOptions, fail } from '../validate.js';
import { CollectiveKind, ReduceCode } from './mpi_addon.js';
import { requireGroup } from './process_group.js';

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';

export interface CollectiveOptions {
  /** Return a Work at once instead of waiting (default false). */
  asyncOp?: boolean;
}

export interface AllReduceOptions extends CollectiveOptions {
  /** How the ranks' values combine (default 'sum'); 'avg' needs float32. */
  op?: ReduceOp;
}

// Tensors of works not yet waited for: their memory is the communication thread's until then.
const inFlight = new Map<number, readonly Tensor[]>();

/** A collective in flight (torch's Work). */
export class Work {
  readonly #id: number;
  #waited: Promise<void> | null = null;
  #completed = false;

  constructor(id: number) {
    this.#id = id;
  }

  /** Resolves when the collective has completed; rejects with its TensorgradError (ERR_DISTRIBUTED). */
  wait(): Promise<void> {
    this.#waited ??= waitForWork(this.#id).finally(() => {
      this.#completed = true;
    });
    return this.#waited;
  }

  /** Whether the collective has finished (successfully or not), without waiting. */
  isCompleted(): boolean {
    if (this.#completed) return true;
    // Once wait() took the work from the addon, only its promise knows.
    return this.#waited === null && requireGroup('Work.isCompleted').addon.isCompleted(this.#id);
  }
}

async function waitForWork(id: number): Promise<void> {
  const { addon } = requireGroup('Work.wait');
  try {
    await addon.waitAsync(id);
  } catch (error) {
    throw asDistributedError(error);
  } finally {
    inFlight.delete(id);
  }
}

function asDistributedError(error: unknown): TensorgradError {
  if (error instanceof TensorgradError) return error;
  return new TensorgradError((error as Error).message, 'ERR_DISTRIBUTED', { cause: error });
}

interface Launch {
  kind: number;
  reduce?: number;
  root?: number;
  async: boolean;
  waitFor?: number[];
}

/**
 * Prepares a collective in the MPI addon and runs it at this point of the stream. Returns the
 * id of its Work when async. Internal: DistributedDataParallel's buckets use it too.
 */
export function launchCollective(fn: string, tensors: readonly Tensor[], launch: Launch): number {
  const { addon } = requireGroup(fn);
  const id = addon.prepare(launch.kind, launch.reduce ?? 0, launch.root ?? 0, launch.async, launch.waitFor);
  if (launch.async) inFlight.set(id, tensors);
  try {
    native.callExternal(addon.runPrepared, id, tensors.map((t) => t._h));
  } catch (error) {
    inFlight.delete(id);
    const e = asDistributedError(error);
    throw e.message.startsWith(fn) ? e : new TensorgradError(`${fn}: ${e.message}`, e.code, { cause: error });
  }
  return id;
}

/** Works launched async, waited for in the stream (the ids' tensors stay reserved until then). */
export function waitInStream(fn: string, workIds: readonly number[], tensors: readonly Tensor[]): void {
  try {
    launchCollective(fn, tensors, { kind: CollectiveKind.wait, async: false, waitFor: [...workIds] });
  } finally {
    for (const id of workIds) inFlight.delete(id);
  }
}

function checkCollectiveTensor(fn: string, arg: string, t: unknown): Tensor {
  const tensor = checkTensor(fn, arg, t);
  if (!tensor.isContiguous()) fail(fn, arg, 'a contiguous tensor (the collective works on its memory in place; call contiguous() first)', 'a non-contiguous view');
  return tensor;
}

function asyncOf(fn: string, options: CollectiveOptions): boolean {
  return options.asyncOp === undefined ? false : checkBool(fn, 'options.asyncOp', options.asyncOp);
}

function finish(id: number, async: boolean): Work | undefined {
  return async ? new Work(id) : undefined;
}

/** Combines tensor across ranks, in place: every rank ends with the sum (avg, max, min). */
export function allReduce(tensor: Tensor, options?: AllReduceOptions & { asyncOp?: false }): undefined;
export function allReduce(tensor: Tensor, options: AllReduceOptions & { asyncOp: true }): Work;
export function allReduce(tensor: Tensor, options?: AllReduceOptions): Work | undefined;
export function allReduce(tensor: Tensor, options: AllReduceOptions = {}): Work | undefined {
  const fn = 'allReduce';
  const opts = checkOptions<AllReduceOptions>(fn, options, ['op', 'asyncOp']);
  const t = checkCollectiveTensor(fn, 'tensor', tensor);
  const op = opts.op ?? 'sum';
  if (!Object.hasOwn(ReduceCode, op)) fail(fn, 'options.op', "'sum', 'avg', 'max' or 'min'", op);
  if (op === 'avg' && t.dtype !== 'float32') throw new DTypeError(`allReduce: op 'avg' needs a float32 tensor, got ${t.dtype}`);
  const async = asyncOf(fn, opts);
  requireGroup(fn);
  return finish(launchCollective(fn, [t], { kind: CollectiveKind.allReduce, reduce: ReduceCode[op], async }), async);
}

/** Copies src's tensor into tensor on every other rank, in place. */
export function broadcast(tensor: Tensor, src: number, options?: CollectiveOptions & { asyncOp?: false }): undefined;
export function broadcast(tensor: Tensor, src: number, options: CollectiveOptions & { asyncOp: true }): Work;
export function broadcast(tensor: Tensor, src: number, options: CollectiveOptions = {}): Work | undefined {
  return broadcastTensors('broadcast', [checkCollectiveTensor('broadcast', 'tensor', tensor)], src, options);
}

/** broadcast over several tensors as one message per dtype (DDP's parameters and buffers). */
export function broadcastTensors(fn: string, tensors: readonly Tensor[], src: number, options: CollectiveOptions = {}): Work | undefined {
  const opts = checkOptions<CollectiveOptions>(fn, options, ['asyncOp']);
  const group = requireGroup(fn);
  const root = checkInt(fn, 'src', src, 0, group.worldSize - 1);
  const async = asyncOf(fn, opts);
  return finish(launchCollective(fn, tensors, { kind: CollectiveKind.broadcast, root, async }), async);
}

/**
 * Gathers every rank's tensor into tensorList (torch's all_gather): tensorList[r] receives
 * rank r's. tensorList holds worldSize contiguous tensors of tensor's shape and dtype.
 */
export function allGather(tensorList: Tensor[], tensor: Tensor, options?: CollectiveOptions & { asyncOp?: false }): undefined;
export function allGather(tensorList: Tensor[], tensor: Tensor, options: CollectiveOptions & { asyncOp: true }): Work;
export function allGather(tensorList: Tensor[], tensor: Tensor, options: CollectiveOptions = {}): Work | undefined {
  const fn = 'allGather';
  const opts = checkOptions<CollectiveOptions>(fn, options, ['asyncOp']);
  const group = requireGroup(fn);
  const input = checkCollectiveTensor(fn, 'tensor', tensor);
  if (!Array.isArray(tensorList) || tensorList.length !== group.worldSize) {
    fail(fn, 'tensorList', `an array of ${group.worldSize} tensors (one per rank)`, tensorList);
  }
  const outputs = tensorList.map((t, r) => checkCollectiveTensor(fn, `tensorList[${r}]`, t));
  outputs.forEach((t, r) => {
    if (t.dtype !== input.dtype) throw new DTypeError(`allGather: tensorList[${r}] must have tensor's dtype ${input.dtype}, got ${t.dtype}`);
    if (t.numel !== input.numel || t.shape.join() !== input.shape.join()) {
      throw new ShapeError(`allGather: tensorList[${r}] must have tensor's shape [${input.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
  });
  const async = asyncOf(fn, opts);
  return finish(launchCollective(fn, [input, ...outputs], { kind: CollectiveKind.allGather, async }), async);
}

/** Waits until every rank has reached the barrier. */
export function barrier(options?: CollectiveOptions & { asyncOp?: false }): undefined;
export function barrier(options: CollectiveOptions & { asyncOp: true }): Work;
export function barrier(options: CollectiveOptions = {}): Work | undefined {
  const opts = checkOptions<CollectiveOptions>('barrier', options, ['asyncOp']);
  const async = asyncOf('barrier', opts);
  requireGroup('barrier');
  return finish(launchCollective('barrier', [], { kind: CollectiveKind.barrier, async }), async);
}
