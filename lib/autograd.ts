/**
 * Grad mode: noGrad(fn) runs fn without recording the graph (inference, parameter updates),
 * enableGrad(fn) switches recording back on inside it. Each worker_thread has its own mode.
 */
import { ArgumentError } from './errors.js';
import { native } from './native.js';
import { fail } from './validate.js';

function withGradMode<T>(name: string, enabled: boolean, fn: () => T): T {
  if (typeof fn !== 'function') fail(name, 'fn', 'a function', fn);
  // The mode is restored when fn returns: the awaited part of an async function would run
  // in whatever mode is current then, which is never what the caller meant.
  if (fn.constructor?.name === 'AsyncFunction') {
    throw new ArgumentError(`${name}: fn must be synchronous (grad mode cannot follow an async function across await); wrap each synchronous step instead`);
  }
  const previous = native.setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs fn with graph recording off: results of ops inside do not require grad. Returns fn's result. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode('noGrad', false, fn);
}

/** Runs fn with graph recording on (inside a noGrad block, for example). Returns fn's result. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode('enableGrad', true, fn);
}

/** Whether ops record the graph on this thread right now. */
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}
