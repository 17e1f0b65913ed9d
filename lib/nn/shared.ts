/**
 * Weights shared across worker_threads, as PyTorch's Module.share_memory(): parameters and
 * buffers move into SharedArrayBuffer storage, a plain object that postMessage can send
 * describes them, and a model in another thread aliases the same memory.
 *
 * What a reader sees: a model that aliases the shared weights (loadSharedStateDict) reads them
 * live. While another thread's step is writing, a forward pass may mix values from before and
 * after that step (each value is one or the other). For a consistent copy, take a snapshot:
 * `await model.loadSharedSnapshot(state)` copies into the model's own weights while holding
 * the lock that every step of a shared model holds (fit takes it for each step; a hand-written
 * loop wraps its step in `model.sharedStep(() => ...)`). A worker terminated in mid-step gives
 * the lock back; the weights then hold whatever that step had written.
 */
import { deferred } from '../deferred.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import { type DType, Tensor } from '../tensor.js';
import { fail } from '../validate.js';

export interface SharedTensor {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  shape: number[];
  dtype: DType;
}

/** What sharedStateDict() returns: structured-clonable, so postMessage sends it (the memory is shared, not copied). */
export interface SharedStateDict {
  format: 'tensorgrad.shared/2';
  /** The lock held for a step or a snapshot: three int32 (holder's id or 0, waiters, last holder). */
  lock: SharedArrayBuffer;
  tensors: Record<string, SharedTensor>;
}

interface Owner {
  namedParameters(): [string, Tensor][];
  namedBuffers(): [string, Tensor][];
}

const FORMAT = 'tensorgrad.shared/2';
const LOCK_WORDS = 3; // native/binding/shared_exports.cc: LockWords
// The lock tensor of each shared model, and of each lock buffer seen (one tensor per buffer).
const modelLocks = new WeakMap<object, Tensor>();
const bufferLocks = new WeakMap<SharedArrayBuffer, Tensor>();

function lockTensor(buffer: SharedArrayBuffer): Tensor {
  let t = bufferLocks.get(buffer);
  if (t === undefined) {
    t = Tensor.from(new Int32Array(buffer, 0, LOCK_WORDS));
    bufferLocks.set(buffer, t);
  }
  return t;
}

function entries(model: Owner): [string, Tensor][] {
  return [...model.namedParameters(), ...model.namedBuffers()];
}

/** t's memory as [array over a SharedArrayBuffer, element offset], or null when it is not shared. */
function sharedView(t: Tensor): [Float32Array | Int32Array, number] | null {
  const view = native.sharedArrayOf(t._h);
  return view !== null && view[0].buffer instanceof SharedArrayBuffer ? view : null;
}

export function shareMemory(model: Owner): void {
  for (const [, t] of entries(model)) {
    if (sharedView(t) !== null) continue;
    const [bytes] = native.storageInfo(t._h);
    const buffer = new SharedArrayBuffer(bytes);
    native.rebindStorage(t._h, t.dtype === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer), true);
  }
  if (!modelLocks.has(model)) modelLocks.set(model, lockTensor(new SharedArrayBuffer(LOCK_WORDS * 4)));
}

export function isShared(model: Owner): boolean {
  return modelLocks.has(model);
}

export function sharedStateDict(model: Owner): SharedStateDict {
  const lock = modelLocks.get(model);
  if (lock === undefined) throw new ArgumentError('sharedStateDict: call shareMemory() (or loadSharedStateDict()) first');
  const tensors: Record<string, SharedTensor> = {};
  for (const [name, t] of entries(model)) {
    const view = sharedView(t);
    if (view === null || !t.isContiguous()) throw new ArgumentError(`sharedStateDict: ${name} is not in shared memory (was it replaced after shareMemory()? call shareMemory() again)`);
    const [array, offset] = view;
    tensors[name] = { buffer: array.buffer as SharedArrayBuffer, byteOffset: array.byteOffset + offset * 4, shape: [...t.shape], dtype: t.dtype };
  }
  return { format: FORMAT, lock: (native.sharedArrayOf(lock._h)![0].buffer as SharedArrayBuffer), tensors };
}

function checkState(fn: string, state: unknown): SharedStateDict {
  const s = state as Partial<SharedStateDict> | null;
  if (s === null || typeof s !== 'object' || s.format !== FORMAT || !(s.lock instanceof SharedArrayBuffer) || s.lock.byteLength !== LOCK_WORDS * 4 || s.tensors === null || typeof s.tensors !== 'object') {
    fail(fn, 'state', `what sharedStateDict() returns (format '${FORMAT}')`, state);
  }
  return s as SharedStateDict;
}

// The state's entry for each of the model's tensors, as an array over its memory.
function matchState(fn: string, model: Owner, state: SharedStateDict): { t: Tensor; array: Float32Array | Int32Array; name: string }[] {
  const own = entries(model);
  const names = new Set(own.map(([n]) => n));
  const missing = own.filter(([n]) => !(n in state.tensors)).map(([n]) => n);
  const unexpected = Object.keys(state.tensors).filter((n) => !names.has(n));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ArgumentError(`${fn}: the shared state does not fit this model: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(unexpected)}`);
  }
  return own.map(([name, t]) => {
    const e = state.tensors[name]!;
    if (e.dtype !== t.dtype || e.shape.join() !== t.shape.join()) {
      throw new ShapeError(`${fn}: ${name} is ${e.dtype} [${e.shape.join(', ')}] in the shared state but ${t.dtype} [${t.shape.join(', ')}] in this model`);
    }
    if (!(e.buffer instanceof SharedArrayBuffer) || !Number.isInteger(e.byteOffset) || e.byteOffset < 0 || e.byteOffset % 4 !== 0 || e.byteOffset + t.numel * 4 > e.buffer.byteLength) {
      fail(fn, `state.tensors.${name}`, `a SharedArrayBuffer holding ${t.numel} elements at byteOffset`, e);
    }
    const array = t.dtype === 'int32' ? new Int32Array(e.buffer, e.byteOffset, t.numel) : new Float32Array(e.buffer, e.byteOffset, t.numel);
    return { t, array, name };
  });
}

export function loadSharedStateDict(model: Owner, state: unknown): void {
  const fn = 'loadSharedStateDict';
  const s = checkState(fn, state);
  const matched = matchState(fn, model, s);
  for (const { t, name } of matched) {
    const [bytes, offset] = native.storageInfo(t._h);
    if (offset !== 0 || bytes !== t.numel * 4 || !t.isContiguous()) throw new ArgumentError(`${fn}: ${name} is a view into a larger tensor; only whole tensors can alias shared memory`);
  }
  for (const { t, array } of matched) native.rebindStorage(t._h, array, false);
  modelLocks.set(model, lockTensor(s.lock));
}

export function sharedStep<T>(model: Owner, fn: () => T): T {
  const lock = modelLocks.get(model);
  if (lock === undefined) throw new ArgumentError('sharedStep: call shareMemory() or loadSharedStateDict() first');
  native.sharedLock(lock._h);
  try {
    return fn();
  } finally {
    native.sharedUnlock(lock._h);
  }
}

/** The step's work under the model's lock when the model is shared, as it is otherwise. */
export function maybeSharedStep<T>(model: Owner, fn: () => T): T {
  return modelLocks.has(model) ? sharedStep(model, fn) : fn();
}

export async function loadSharedSnapshot(model: Owner, state: unknown): Promise<void> {
  const fn = 'loadSharedSnapshot';
  const s = checkState(fn, state);
  const matched = matchState(fn, model, s);
  for (const { t, array, name } of matched) {
    const view = sharedView(t);
    if (view !== null && view[0].buffer === array.buffer) throw new ArgumentError(`${fn}: ${name} already aliases the shared memory (this model read it with loadSharedStateDict); a snapshot goes into a model with weights of its own`);
  }
  const sources = matched.map(({ t, array }) => Tensor.from(array, t.shape));
  await deferred(() => native.copyShared(lockTensor(s.lock)._h, sources.map((x) => x._h), matched.map(({ t }) => t._h)));
}
