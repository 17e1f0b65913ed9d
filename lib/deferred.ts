/**
 * Deferred execution: inside `deferred(fn)`, ops plan on the JS thread (checks, shapes,
 * allocation, the autograd graph) and queue their kernels on a native thread of this
 * environment; JS waits only to read values. Values are those of eager mode, bit for bit.
 *
 * - `data()` and `item()` work everywhere: they wait (blocking) for the work their tensor needs.
 *   `dataAsync()`, `itemAsync()` and `synchronize()` wait without blocking the event loop.
 * - A failure that a kernel finds while running (an index out of range, a non-finite gradient
 *   norm with errorIfNonfinite) rejects the next wait with the same TensorgradError eager mode
 *   throws at the op; the queued kernels after it are skipped, as eager mode would not have run them.
 * - The queue is bounded (setMaxQueuedOps): a loop that never waits blocks once it is that far
 *   ahead, so memory held by queued work stays bounded.
 * - Memory a queued kernel uses lives until it has run, whatever JS drops or disposes meanwhile.
 *   A tensor made by `Tensor.from(array)` without a copy reads `array` itself when its kernels
 *   run: writing into `array` while work on it is queued changes what they see. Await
 *   `t.dataAsync()` (or `synchronize()`) first, or pass `{ copy: true }`.
 * - Code outside `deferred` is eager, as before: an eager op first waits for queued work, so
 *   program order holds whichever way a tensor was made.
 */
import { ArgumentError } from './errors.js';
import { native } from './native.js';
import { checkInt, checkOptions, fail } from './validate.js';

export interface DeferredOptions {
  /** Aborting cancels the work of this call that has not run yet; the promise rejects with signal.reason. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` (synchronous) with deferred execution and resolves with its result once all the
 * work it queued has run. Rejects with fn's own error (after its earlier work ran), with a
 * kernel failure, or with signal.reason when aborted.
 */
export async function deferred<T>(fn: () => T, options?: DeferredOptions): Promise<T> {
  if (typeof fn !== 'function') fail('deferred', 'fn', 'a function', fn);
  const signal = checkOptions<DeferredOptions>('deferred', options, ['signal']).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) fail('deferred', 'options.signal', 'an AbortSignal', signal);
  signal?.throwIfAborted();
  const token = native.deferredEnter(signal !== undefined);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    native.deferredExit();
    await settleQuietly(native.synchronizeAsync());
    native.deferredRelease(token);
    throw error;
  }
  native.deferredExit();
  if (isThenable(result)) {
    await settleQuietly(native.synchronizeAsync());
    native.deferredRelease(token);
    throw new ArgumentError('deferred: fn must be synchronous, but it returned a Promise (await inside fn would leave deferred mode on for unrelated code); call deferred once per step instead');
  }
  const done = native.synchronizeAsync(native.lastTicket());
  if (signal === undefined) {
    await done;
    return result;
  }
  const onAbort = (): void => {
    native.deferredCancel(token);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await done;
  } finally {
    signal.removeEventListener('abort', onAbort);
    native.deferredRelease(token);
  }
  signal.throwIfAborted();
  return result;
}

/**
 * @internal fn's ops, queued rather than run: for fit/evaluate/predict, which plan a step and
 * wait for it themselves (await readyAsync / synchronizeAsync). Nothing here waits.
 */
export function planDeferred<T>(fn: () => T): T {
  native.deferredEnter(false);
  try {
    return fn();
  } finally {
    native.deferredExit();
  }
}

/** @internal The ticket of the last op queued so far; `waitForTicket` waits for it and everything before. */
export function lastTicket(): number {
  return native.lastTicket();
}
export function waitForTicket(ticket: number): Promise<void> {
  return native.synchronizeAsync(ticket);
}

/** Resolves once every op queued so far in this environment has run; rejects with a kernel failure. */
export function synchronize(): Promise<void> {
  return native.synchronizeAsync();
}

/** Blocks until every queued op has run (what data() does for one tensor); prefer `await synchronize()`. */
export function synchronizeSync(): void {
  native.synchronize();
}

/** True inside deferred(fn). */
export function isDeferred(): boolean {
  return native.isDeferring();
}

/** Most ops that may wait in the queue before planning blocks (default 2048). */
export function setMaxQueuedOps(n: number): void {
  checkInt('setMaxQueuedOps', 'n', n, 1, 1 << 24);
  native.setQueueCapacity(n);
}

export interface QueueStats {
  submitted: number;
  /** Run, skipped or cancelled. */
  completed: number;
  skipped: number;
  pending: number;
  capacity: number;
  threadRunning: boolean;
  /** A kernel failed and no wait covering it has rethrown it yet. */
  failed: boolean;
}

/** The queue's counters: ops submitted, completed (run, skipped or cancelled), skipped, pending. */
export function queueStats(): QueueStats {
  return native.queueInfo();
}

function isThenable(v: unknown): boolean {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

async function settleQuietly(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch {
    // fn's own error is the one to report; a kernel failure before it would repeat at the next wait otherwise.
  }
}
