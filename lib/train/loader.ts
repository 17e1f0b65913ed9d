/**
 * What fit(), evaluate() and predict() share: reading batches from a loader (sync or async),
 * checking the model and the loss, and putting a model back in the modes it was in.
 */
import { availableParallelism } from 'node:os';
import { planDeferred, synchronize, waitForTicket } from '../deferred.js';
import { ArgumentError } from '../errors.js';
import { Module } from '../nn/module.js';
import { native } from '../native.js';
import { getNumThreads } from '../runtime.js';
import { Tensor } from '../tensor.js';
import { describe, fail } from '../validate.js';
import type { Loader } from './types.js';

export type LossFn = (output: Tensor, target: Tensor) => Tensor;
export type LossSpec = Module<[Tensor, Tensor], Tensor> | LossFn;

export interface CheckedBatch {
  x: Tensor;
  y: Tensor;
  /** Samples in the batch: the input's first dimension. */
  size: number;
}

export function checkModel(fn: string, model: unknown): Module<[Tensor], Tensor> {
  if (!(model instanceof Module)) fail(fn, 'model', 'a Module', model);
  return model as Module<[Tensor], Tensor>;
}

export function checkLoader(fn: string, arg: string, loader: unknown): Loader {
  const ok = loader !== null && typeof loader === 'object' && (Symbol.iterator in loader || Symbol.asyncIterator in loader);
  if (!ok) fail(fn, arg, 'an iterable or async iterable of [input, target] batches (a DataLoader, an array)', loader);
  const length = (loader as { length?: unknown }).length;
  if (length !== undefined && !(typeof length === 'number' && Number.isInteger(length) && length >= 0)) {
    fail(fn, `${arg}.length`, 'a non-negative integer (batches per epoch) or undefined', length);
  }
  return loader as Loader;
}

/**
 * The iteration to use for one pass. A loader that offers both (a DataLoader) is read through
 * its async iterator, which gathers the next batch on a libuv thread while this one trains, only
 * when a core is left over from the native compute threads: otherwise that thread competes with
 * them, and the hand-off costs more than the gather it hides (measured: 12-20% slower fit on 2
 * cores with 2 compute threads).
 */
function passOf(loader: Loader): Iterable<unknown> | AsyncIterable<unknown> {
  const both = Symbol.iterator in loader && Symbol.asyncIterator in loader;
  if (!both) return loader as Iterable<unknown> | AsyncIterable<unknown>;
  const spareCore = getNumThreads() < availableParallelism();
  return spareCore ? { [Symbol.asyncIterator]: () => (loader as AsyncIterable<unknown>)[Symbol.asyncIterator]() } : { [Symbol.iterator]: () => (loader as Iterable<unknown>)[Symbol.iterator]() };
}

function describeLoader(loader: Loader): string {
  const l = loader as { dataset?: { length?: unknown }; batchSize?: unknown; dropLast?: unknown };
  return l.dataset !== undefined ? ` (dataset length ${String(l.dataset.length)}, batchSize ${String(l.batchSize)}, dropLast ${String(l.dropLast)})` : '';
}

/** Batches per pass when the loader says (its length), else undefined. */
export function lengthOf(loader: Loader): number | undefined {
  return (loader as { length?: number }).length;
}

export function checkBatch(fn: string, arg: string, index: number, batch: unknown): CheckedBatch {
  const [x, y] = Array.isArray(batch) ? batch : [];
  if (!Array.isArray(batch) || batch.length !== 2 || !(x instanceof Tensor) || !(y instanceof Tensor)) {
    fail(fn, `${arg} batch ${index}`, 'an [input, target] pair of Tensors', batch);
  }
  return { x, y, size: x.ndim === 0 ? 1 : x.shape[0]! };
}

/**
 * The checked batches of one pass over the loader. A pass with no batch at all is an error: it
 * is almost always a one-shot generator read a second time.
 */
export async function* batchesOf(fn: string, arg: string, loader: Loader): AsyncGenerator<CheckedBatch> {
  let index = 0;
  const pass = passOf(loader);
  if (Symbol.asyncIterator in pass) {
    for await (const batch of pass) yield planDeferred(() => ownedBatch(checkBatch(fn, arg, index++, batch)));
  } else {
    // A synchronous loader gathers its batch with ops (indexSelect, stack): those are queued
    // behind the batches still running instead of waiting for them.
    const it = pass[Symbol.iterator]();
    try {
      for (;;) {
        const batch = planDeferred(() => {
          const r = it.next();
          return r.done === true ? null : ownedBatch(checkBatch(fn, arg, index++, r.value));
        });
        if (batch === null) break;
        yield batch;
      }
    } finally {
      it.return?.();
    }
  }
  if (index === 0) {
    // A loader that says it has no batches is a dataset too small for batchSize with dropLast;
    // one that says nothing is most often a generator object read a second time.
    const why =
      lengthOf(loader) === 0
        ? `its length is 0: with dropLast, a dataset needs at least batchSize samples${describeLoader(loader)}`
        : 'a generator object can be read only once: pass something re-iterable, such as a DataLoader or an array';
    throw new ArgumentError(`${fn}: ${arg} produced no batches (${why})`);
  }
}

/**
 * t, or a copy when t borrows memory from JS (Tensor.from, a shared buffer): the batch's kernels
 * are still queued when the loader is asked for the next batch, and a loader that refills one
 * buffer per batch would overwrite what they are to read. One memcpy, made at once unless
 * queued kernels write that memory. A tensor that requires grad is kept (its .grad is wanted).
 */
export function ownedTensor(t: Tensor): Tensor {
  if (t.requiresGrad) return t;
  const h = native.ownedBatch(t._h);
  return h === t._h ? t : new Tensor(h);
}

function ownedBatch(b: CheckedBatch): CheckedBatch {
  return { x: ownedTensor(b.x), y: ownedTensor(b.y), size: b.size };
}

/**
 * One pass over `batches` with up to depth() of them in flight: each batch's work is planned
 * (queued in deferred mode) while the one before still runs, and finish() reads a batch once
 * its work has run, after which the event loop gets a turn. After an abort of the signal, the
 * batches already planned are finished all the same (their work has been applied) and no new
 * one is planned; the result says whether the pass completed. On an error, the queued work
 * runs to its end before the error reaches the caller, who may then touch the model again.
 */
export async function pipelinedPass<P extends { ticket: number }>(
  batches: AsyncIterable<CheckedBatch>,
  plan: (batch: CheckedBatch) => P,
  depth: () => number,
  finish: (planned: P) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<boolean> {
  const inFlight: P[] = [];
  let aborted = false;
  const finishOldest = async (): Promise<void> => {
    const p = inFlight.shift()!;
    await waitForTicket(p.ticket);
    await finish(p);
    await tick();
    if (signal?.aborted === true) aborted = true;
  };
  try {
    for await (const batch of batches) {
      inFlight.push(plan(batch));
      while (inFlight.length >= depth()) await finishOldest();
      if (aborted) break;
    }
    while (inFlight.length > 0) await finishOldest();
  } finally {
    if (inFlight.length > 0) await synchronize().catch(() => undefined);
  }
  return !aborted;
}

/**
 * The batch's contribution to a sum over samples: a mean-reduced loss times the batch size, or
 * a sum-reduced one (a loss module with reduction 'sum') as it is. A loss function is taken
 * to be a mean, as PyTorch's defaults are.
 */
export function lossTotal(lossFn: LossFn, value: number, size: number): number {
  return (lossFn as { summed?: boolean }).summed === true ? value : value * size;
}

export function toLossFn(fn: string, loss: unknown): LossFn {
  let call: LossFn;
  if (loss instanceof Module) call = (o, t) => (loss as Module<[Tensor, Tensor], Tensor>).call(o, t);
  else if (typeof loss === 'function') call = loss as LossFn;
  else fail(fn, 'options.loss', 'a loss Module (nn.CrossEntropyLoss) or a function (output, target) => Tensor', loss);
  const checked: LossFn = (output, target) => {
    const value = call(output, target);
    if (!(value instanceof Tensor) || value.numel !== 1) {
      throw new ArgumentError(`${fn}: options.loss must return a one-element Tensor (a mean or sum reduction), got ${describe(value)}`);
    }
    return value;
  };
  return Object.assign(checked, { summed: loss instanceof Module && (loss as { reduction?: unknown }).reduction === 'sum' });
}

/** The model's output for x, checked to be a Tensor (the metrics and cat need one). */
export function forward(fn: string, model: Module<[Tensor], Tensor>, x: Tensor): Tensor {
  const out = model.call(x);
  if (!(out instanceof Tensor)) throw new ArgumentError(`${fn}: the model must return a Tensor, got ${describe(out)}`);
  return out;
}

/**
 * Records the training flag of the model and of every submodule, and returns what puts them
 * back: model.train(flag) would lose a submodule that was deliberately frozen in eval mode.
 */
export function saveModes(model: Module<[Tensor], Tensor>): () => void {
  const modes = model.modules().map((m) => [m, m.training] as const);
  return () => {
    for (const [m, training] of modes) m.training = training;
  };
}

/** Lets the event loop run (timers, I/O, an abort) before the next batch. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
