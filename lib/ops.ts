/**
 * Functional forms of the tensor methods, as in torch: add(a, b) is a.add(b). A number may
 * stand on either side of a binary op and is broadcast.
 */
import { ArgumentError } from './errors.js';
import { Activation, native } from './native.js';
import { binary, checkTensor, matmul as matmulImpl, Tensor, unary } from './tensor.js';
import { checkNumber, checkOptions, fail } from './validate.js';

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
  return new Tensor(native.linear(x._h, weight._h, bias ? bias._h : null, Activation[activation], slope));
}
