/**
 * Functional forms of the tensor methods, as in torch: add(a, b) is a.add(b). A number may
 * stand on either side of a binary op and is broadcast.
 */
import { ArgumentError } from './errors.js';
import { Activation, native } from './native.js';
import { activate, binary, checkTensor, matmul as matmulImpl, softmax as softmaxImpl, Tensor, unary } from './tensor.js';
import { activeTracer } from './trace_hook.js';
import { checkInt, checkNumber, checkOptions, fail } from './validate.js';

type Operand = Tensor | number;

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
export const pow = (base: Operand, exponent: Operand): Tensor => binary('pow', base, exponent);
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);

export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  return checkTensor('clamp', 'input', x).clamp(min, max);
}
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return checkTensor('sum', 'input', x).sum(dim, keepdim);
}
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return checkTensor('mean', 'input', x).mean(dim, keepdim);
}
export function max(x: Tensor, dim?: number, keepdim = false): Tensor {
  return checkTensor('max', 'input', x).max(dim, keepdim);
}
export function min(x: Tensor, dim?: number, keepdim = false): Tensor {
  return checkTensor('min', 'input', x).min(dim, keepdim);
}
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return checkTensor('argmax', 'input', x).argmax(dim, keepdim);
}
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return checkTensor('argmin', 'input', x).argmin(dim, keepdim);
}
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return checkTensor('reshape', 'input', x).reshape(shape);
}
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  return checkTensor('transpose', 'input', x).transpose(dim0, dim1);
}
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  return checkTensor('permute', 'input', x).permute(dims);
}

/** Matrix product (see Tensor.matmul). */
export const matmul = (a: Tensor, b: Tensor): Tensor => matmulImpl(a, b);

export type LinearActivation = keyof typeof Activation;

export interface LinearOptions {
  /** Applied in the same pass as the matrix product and bias (default 'identity'). */
  activation?: LinearActivation;
  /** Slope for x < 0 with 'leakyRelu' (default 0.01, as torch). */
  negativeSlope?: number;
}

/**
 * x · weightᵀ + bias, then the activation, fused into one GEMM pass: what a Linear layer's
 * forward computes. x is (..., in), weight (out, in), bias (out).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: LinearOptions): Tensor {
  checkTensor('linear', 'input', x);
  checkTensor('linear', 'weight', weight);
  if (bias != null) checkTensor('linear', 'bias', bias);
  const opts = checkOptions<LinearOptions>('linear', options, ['activation', 'negativeSlope']);
  const activation = opts.activation ?? 'identity';
  if (!Object.hasOwn(Activation, activation)) fail('linear', 'options.activation', `one of ${Object.keys(Activation).join(', ')}`, activation);
  const slope = opts.negativeSlope ?? 0.01;
  checkNumber('linear', 'options.negativeSlope', slope, { finite: true });
  if (opts.negativeSlope !== undefined && activation !== 'leakyRelu') {
    throw new ArgumentError(`linear: options.negativeSlope only applies to activation 'leakyRelu', got activation '${activation}'`);
  }
  const out = new Tensor(native.linear(x._h, weight._h, bias ? bias._h : null, Activation[activation], slope));
  if (activeTracer !== null) activeTracer.op('linear', [x, weight, bias ?? null], out, { activation, negativeSlope: slope });
  return out;
}

// ---- joins and lookups ----------------------------------------------------------------

function tensorList(fn: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) fail(fn, 'tensors', 'a non-empty array of Tensors', tensors);
  return tensors.map((t, i) => checkTensor(fn, `tensors[${i}]`, t));
}

/** Joins tensors along an existing dimension (all other sizes must match), as torch.cat. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const list = tensorList('cat', tensors);
  checkInt('cat', 'dim', dim);
  const out = new Tensor(native.cat(list.map((t) => t._h), dim));
  if (activeTracer !== null) activeTracer.op('cat', list, out, { dim });
  return out;
}

/** Joins equal-shaped tensors along a new dimension, as torch.stack. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const list = tensorList('stack', tensors);
  checkInt('stack', 'dim', dim);
  const out = new Tensor(native.stack(list.map((t) => t._h), dim));
  if (activeTracer !== null) activeTracer.op('stack', list, out, { dim });
  return out;
}

/** out[i][j] = input[index[i][j]][j] for dim 0 (and likewise for other dims), as torch.gather. index is int32. */
export function gather(input: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', 'input', input);
  checkTensor('gather', 'index', index);
  checkInt('gather', 'dim', dim);
  return new Tensor(native.gather(input._h, dim, index._h));
}

/** The entries of input at the int32 positions in index (1-D) along dim: an embedding lookup for dim 0. */
export function indexSelect(input: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'input', input);
  checkTensor('indexSelect', 'index', index);
  checkInt('indexSelect', 'dim', dim);
  return new Tensor(native.indexSelect(input._h, dim, index._h));
}

/** `length` entries from `start` along dim, as a view (torch.narrow). */
export function narrow(input: Tensor, dim: number, start: number, length: number): Tensor {
  return checkTensor('narrow', 'input', input).narrow(dim, start, length);
}

// ---- activations (also in nn.functional) ----------------------------------------------

export const sigmoid = (x: Tensor): Tensor => activate('sigmoid', x);
export const tanh = (x: Tensor): Tensor => activate('tanh', x);
export const relu = (x: Tensor): Tensor => activate('relu', x);
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkNumber('leakyRelu', 'negativeSlope', negativeSlope, { finite: true });
  return activate('leakyRelu', x, negativeSlope);
}
export const softmax = (x: Tensor, dim: number): Tensor => softmaxImpl('softmax', x, dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => softmaxImpl('logSoftmax', x, dim);
/** The input itself (nn.Identity's function). */
export const identity = (x: Tensor): Tensor => checkTensor('identity', 'input', x);
/** 1 where x > 0, else 0; no gradient (see Tensor.step). */
export const step = (x: Tensor): Tensor => checkTensor('step', 'input', x).step();
