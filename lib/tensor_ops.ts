/**
 * The checks and native calls behind Tensor's methods and their functional forms in ops.ts:
 * activations, softmax, elementwise math, clamp, matmul, reductions and the views with
 * checks of their own, each telling an active ONNX
 * tracer (trace_hook.ts) what it computed. Kept apart from the class so tensor.ts stays the
 * Tensor's own surface.
 */
import { ArgumentError, ShapeError } from './errors.js';
import { Activation, BinaryOp, native, ReduceOp, UnaryOp } from './native.js';
import { checkTensor, requireFloat, Tensor } from './tensor.js';
import { activeTracer } from './trace_hook.js';
import { checkDim, checkNumber, checkShape, fail } from './validate.js';

export function shapeArgs(fn: string, args: number[] | [readonly number[]]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  return [...checkShape(fn, 'shape', list, { allowInfer: true })];
}

export function checkKeepdim(fn: string, keepdim: unknown): void {
  if (typeof keepdim !== 'boolean') fail(fn, 'keepdim', 'a boolean', keepdim);
}

export function dimList(fn: string, t: Tensor, dim: number | readonly number[] | undefined): number[] {
  if (dim === undefined) return [];
  const dims = typeof dim === 'number' ? [dim] : dim;
  if (!Array.isArray(dims) || dims.length === 0) fail(fn, 'dim', 'an integer or a non-empty list of integers', dim);
  const seen = new Set<number>();
  for (const d of dims) {
    checkDim(fn, 'dim', d, t.ndim);
    const k = d < 0 ? d + Math.max(t.ndim, 1) : d;
    if (seen.has(k)) throw new ArgumentError(`${fn}: dim must list each dimension once, got [${dims.join(', ')}]`);
    seen.add(k);
  }
  return [...dims];
}

export function activate(fn: 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu', x: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor(fn, 'input', x);
  requireFloat(fn, x);
  const out = new Tensor(native.activate(x._h, Activation[fn], negativeSlope));
  if (activeTracer !== null) activeTracer.op(fn, [x], out, { negativeSlope });
  return out;
}

export function softmax(fn: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  checkTensor(fn, 'input', x);
  requireFloat(fn, x);
  if (dim === undefined) throw new ArgumentError(`${fn}: dim is required (the dimension to normalise over, e.g. -1)`);
  checkDim(fn, 'dim', dim, x.ndim);
  const out = new Tensor(native.softmax(x._h, dim, fn === 'logSoftmax'));
  if (activeTracer !== null) activeTracer.op(fn, [x], out, { dim });
  return out;
}

export function unary(op: keyof typeof UnaryOp, x: Tensor): Tensor {
  checkTensor(op, 'input', x);
  requireFloat(op, x);
  const out = new Tensor(native.unary(UnaryOp[op], x._h));
  if (activeTracer !== null) activeTracer.op(op, [x], out);
  return out;
}

export function binary(op: keyof typeof BinaryOp, a: Tensor | number, b: Tensor | number): Tensor {
  const out = binaryUntraced(op, a, b);
  if (activeTracer !== null) activeTracer.op(op, [a, b], out);
  return out;
}

function binaryUntraced(op: keyof typeof BinaryOp, a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number') {
    checkTensor(op, 'other', b);
    requireFloat(op, b as Tensor, 'other');
    return new Tensor(native.binaryScalar(BinaryOp[op], (b as Tensor)._h, a, true));
  }
  checkTensor(op, 'input', a);
  requireFloat(op, a);
  if (typeof b === 'number') return new Tensor(native.binaryScalar(BinaryOp[op], a._h, b, false));
  checkTensor(op, 'other', b);
  requireFloat(op, b, 'other');
  return new Tensor(native.binary(BinaryOp[op], a._h, b._h));
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'input', a);
  checkTensor('matmul', 'other', b);
  requireFloat('matmul', a);
  requireFloat('matmul', b, 'other');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: both arguments need at least 1 dimension, got shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const out = new Tensor(native.matmul(a._h, b._h));
  if (activeTracer !== null) activeTracer.op('matmul', [a, b], out);
  return out;
}

export function reduce(op: keyof typeof ReduceOp, t: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const dims = dimList(op, t, dim);
  checkKeepdim(op, keepdim);
  requireFloat(op, t);
  if (op !== 'sum' && t.numel === 0 && dims.length === 0) {
    throw new ArgumentError(`${op}: the tensor is empty (shape [${t.shape.join(', ')}]), so it has no ${op}`);
  }
  const out = new Tensor(native.reduce(ReduceOp[op], t._h, dims, keepdim));
  if (activeTracer !== null) activeTracer.op(op, [t], out, { dims, keepdim });
  return out;
}

export function argExtreme(fn: 'argmax' | 'argmin', t: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (dim !== undefined) checkDim(fn, 'dim', dim, t.ndim);
  checkKeepdim(fn, keepdim);
  requireFloat(fn, t);
  if (t.numel === 0) throw new ArgumentError(`${fn}: the tensor is empty (shape [${t.shape.join(', ')}])`);
  return new Tensor(native.argExtreme(fn === 'argmax', t._h, dim ?? null, keepdim));
}

/** The perceptron's step: 1 where x > 0, else 0 (see Tensor.step). */
export function step(x: Tensor): Tensor {
  checkTensor('step', 'input', x);
  requireFloat('step', x);
  const out = new Tensor(native.step(x._h));
  if (activeTracer !== null) activeTracer.op('step', [x], out);
  return out;
}

export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  requireFloat('clamp', x);
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  checkNumber('clamp', 'min', lo);
  checkNumber('clamp', 'max', hi);
  if (min == null && max == null) throw new ArgumentError('clamp: at least one of min and max must be given');
  if (lo > hi) throw new ArgumentError(`clamp: min must be <= max, got min ${lo} and max ${hi}`);
  const out = new Tensor(native.clamp(x._h, lo, hi));
  if (activeTracer !== null) activeTracer.op('clamp', [x], out, { min: lo, max: hi });
  return out;
}

export function permute(x: Tensor, list: number[]): Tensor {
  if (!Array.isArray(list) || list.length !== x.ndim) fail('permute', 'dims', `a list of all ${x.ndim} dimensions`, list);
  list.forEach((d) => checkDim('permute', 'dims entry', d, x.ndim));
  const out = new Tensor(native.permute(x._h, [...list]));
  if (activeTracer !== null) activeTracer.op('permute', [x], out, { dims: list });
  return out;
}

/** A broadcast view (see Tensor.expand). */
export function expand(x: Tensor, list: number[]): Tensor {
  if (!Array.isArray(list) || list.some((d) => !Number.isInteger(d) || d < -1)) fail('expand', 'shape', 'a list of sizes (-1 keeps a size)', list);
  return new Tensor(native.expand(x._h, [...list]));
}
