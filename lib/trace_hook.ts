/**
 * The one switch between the eager ops and ONNX export's tracer (lib/io/onnx/trace.ts).
 * While a model is being exported, `activeTracer` is set and every op with a conversion tells
 * it what it computed (`activeTracer.op(...)`), and Module.call hands modules to it; the rest
 * of the time it is null, so an op pays one comparison with null. It lives in a file of its
 * own, importing nothing at run time, so that tensor.ts and module.ts can reach it without
 * an import cycle.
 */
import type { Tensor } from './tensor.js';

export interface Tracer {
  /** An op ran: `kind` names the conversion, `inputs` are its operands, `params` its resolved options. */
  op(kind: string, inputs: readonly (Tensor | number | null)[], output: Tensor, params?: Record<string, unknown>): void;
  /** A module is called: the tracer converts it as a whole, or runs `run` (its forward) and traces through it. */
  module(module: object, args: readonly unknown[], run: () => unknown): unknown;
}

export let activeTracer: Tracer | null = null;

/** Installs (or with null, removes) the tracer; returns the one it replaces. */
export function setActiveTracer(tracer: Tracer | null): Tracer | null {
  const previous = activeTracer;
  activeTracer = tracer;
  return previous;
}
