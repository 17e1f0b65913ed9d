/**
 * Observers of backward() (DistributedDataParallel's bucket trigger). A leaf given a ready id
 * is reported to its observer as soon as a backward pass has accumulated the last gradient it
 * sends that leaf (native/autograd/engine.h: Backward's on_ready), while the rest of the pass
 * is still to run; afterBackward runs once the walk ends. Reports come in the walk's order,
 * which the graph fixes, so every process running the same model sees the same sequence.
 */
import { type Handle, native } from './native.js';

export interface BackwardObserver {
  onGradReady(readyId: number): void;
  /** failed: the walk threw (the observer should drop what it started). */
  afterBackward(failed: boolean): void;
}

const observerOf = new Map<number, BackwardObserver>();
const observers = new Set<BackwardObserver>();
let nextReadyId = 0;

function dispatch(readyId: number): void {
  observerOf.get(readyId)?.onGradReady(readyId);
}

/** Gives each leaf a ready id reported to observer; returns the ids, in the leaves' order. */
export function observeGradients(leaves: readonly Handle[], observer: BackwardObserver): number[] {
  observers.add(observer);
  return leaves.map((h) => {
    const id = nextReadyId++;
    native.setGradReadyId(h, id);
    observerOf.set(id, observer);
    return id;
  });
}

export function unobserveGradients(leaves: readonly Handle[], ids: readonly number[], observer: BackwardObserver): void {
  leaves.forEach((h) => native.setGradReadyId(h, -1));
  ids.forEach((id) => observerOf.delete(id));
  observers.delete(observer);
}

/** Tensor.backward's native call, with the observers attached when there are any. */
export function runBackward(h: Handle, gradient: Handle | null, retainGraph: boolean): void {
  if (observers.size === 0) return native.backward(h, gradient, retainGraph);
  let failed = true;
  try {
    native.backward(h, gradient, retainGraph, dispatch);
    failed = false;
  } finally {
    for (const observer of [...observers]) observer.afterBackward(failed);
  }
}
