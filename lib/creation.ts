/** Making tensors: from data, filled with a value, ranges, and seeded random numbers. */
import { ArgumentError, DTypeError } from './errors.js';
import { native } from './native.js';
import { type NestedArray, Tensor } from './tensor.js';
import { checkBool, checkDType, checkNumber, checkOptions, checkShape, describe, type DType, fail } from './validate.js';

export interface TensorOptions {
  dtype?: DType;
  /** Track gradients for this (leaf) tensor: backward() fills its .grad. float32 only. */
  requiresGrad?: boolean;
}

// Applies options.requiresGrad to a freshly made tensor.
function withGrad(fn: string, t: Tensor, opts: Partial<TensorOptions>): Tensor {
  if (opts.requiresGrad === undefined) return t;
  checkBool(fn, 'options.requiresGrad', opts.requiresGrad);
  if (opts.requiresGrad && t.dtype !== 'float32') {
    throw new DTypeError(`${fn}: only float32 tensors can require gradients, got dtype ${t.dtype}`);
  }
  return t.requiresGrad_(opts.requiresGrad);
}

/**
 * A tensor from a number, nested arrays of numbers, or a typed array (copied; use
 * Tensor.from to share memory). dtype defaults to float32, or int32 for an Int32Array.
 */
export function tensor(data: NestedArray | Float32Array | Int32Array | readonly number[], options?: TensorOptions): Tensor {
  const opts = checkOptions<TensorOptions>('tensor', options, ['dtype', 'requiresGrad']);
  if (data instanceof Float32Array || data instanceof Int32Array) {
    const dtype = opts.dtype === undefined ? (data instanceof Int32Array ? 'int32' : 'float32') : checkDType('tensor', 'options.dtype', opts.dtype);
    const copy = new Tensor(native.fromTypedArray(data, [data.length], true));
    return withGrad('tensor', copy.to(dtype), opts);
  }
  const dtype = opts.dtype === undefined ? 'float32' : checkDType('tensor', 'options.dtype', opts.dtype);
  const shape = inferShape(data);
  const numel = shape.reduce((a, b) => a * b, 1);
  const flat = dtype === 'int32' ? new Int32Array(numel) : new Float32Array(numel);
  let pos = 0;
  const fill = (v: NestedArray, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') fail('tensor', `data${indexPath(path)}`, 'a number', v);
      if (dtype === 'int32' && (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)) {
        fail('tensor', `data${indexPath(path)}`, 'an integer in the int32 range for dtype int32', v);
      }
      flat[pos++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ArgumentError(
        `tensor: data${indexPath(path)} must be an array of length ${shape[dim]} (nested arrays must be rectangular), got ${describe(v)}`,
      );
    }
    for (let i = 0; i < v.length; i++) fill(v[i]!, dim + 1, [...path, i]);
  };
  fill(data as NestedArray, 0, []);
  return withGrad('tensor', new Tensor(native.fromTypedArray(flat, shape, false)), opts);
}

function indexPath(path: number[]): string {
  return path.map((i) => `[${i}]`).join('');
}

function inferShape(data: unknown): number[] {
  const shape: number[] = [];
  let v = data;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  if (shape.length === 0 && typeof data !== 'number') {
    fail('tensor', 'data', 'a number, nested arrays of numbers, a Float32Array or an Int32Array', data);
  }
  return checkShape('tensor', 'data shape', shape);
}

function sizeArgs(fn: string, args: readonly unknown[]): { shape: number[]; options: unknown } {
  let options: unknown;
  let dims = args;
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last)) {
    options = last;
    dims = args.slice(0, -1);
  }
  const shape = dims.length === 1 && Array.isArray(dims[0]) ? dims[0] : dims;
  return { shape: [...checkShape(fn, 'shape', shape)], options };
}

type SizeArgs = number[] | [readonly number[]] | [...number[], TensorOptions] | [readonly number[], TensorOptions];

/** zeros(2, 3) or zeros([2, 3], { dtype }). */
export function zeros(...args: SizeArgs): Tensor {
  return filled('zeros', args, 0);
}
export function ones(...args: SizeArgs): Tensor {
  return filled('ones', args, 1);
}

function filled(fn: string, args: readonly unknown[], value: number): Tensor {
  const { shape, options } = sizeArgs(fn, args);
  const opts = checkOptions<TensorOptions>(fn, options, ['dtype', 'requiresGrad']);
  const dtype = opts.dtype === undefined ? 'float32' : checkDType(fn, 'options.dtype', opts.dtype);
  return withGrad(fn, new Tensor(native.full(shape, value, dtype)), opts);
}

/** A tensor of `shape` with every element `value`. */
export function full(shape: readonly number[], value: number, options?: TensorOptions): Tensor {
  checkShape('full', 'shape', shape);
  const opts = checkOptions<TensorOptions>('full', options, ['dtype', 'requiresGrad']);
  const dtype = opts.dtype === undefined ? 'float32' : checkDType('full', 'options.dtype', opts.dtype);
  if (dtype === 'int32') {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) fail('full', 'value', 'an integer in the int32 range for dtype int32', value);
  } else if (typeof value !== 'number') {
    fail('full', 'value', 'a number', value);
  }
  return withGrad('full', new Tensor(native.full([...shape], value, dtype)), opts);
}

/** arange(end), arange(start, end) or arange(start, end, step): like torch.arange, end excluded. */
export function arange(a: number, b?: number, step = 1, options?: TensorOptions): Tensor {
  const [start, end] = b === undefined ? [0, a] : [a, b];
  checkNumber('arange', 'start', start, { finite: true });
  checkNumber('arange', 'end', end, { finite: true });
  checkNumber('arange', 'step', step, { finite: true });
  if (step === 0) throw new ArgumentError('arange: step must be non-zero, got 0');
  if ((end - start) / step > 2 ** 48) throw new ArgumentError(`arange: (${start}, ${end}, ${step}) would have more than 2^48 elements`);
  const opts = checkOptions<TensorOptions>('arange', options, ['dtype']);
  const dtype = opts.dtype === undefined ? 'float32' : checkDType('arange', 'options.dtype', opts.dtype);
  if (dtype === 'int32' && ![start, end, step].every(Number.isInteger)) {
    fail('arange', 'start, end and step', 'integers for dtype int32', [start, end, step]);
  }
  return new Tensor(native.arange(start, end, step, dtype));
}

/** Uniform random numbers in [0, 1), from the generator seeded by manualSeed. */
export function rand(...args: SizeArgs): Tensor {
  return random('rand', args);
}

/** Standard normal random numbers, from the generator seeded by manualSeed. */
export function randn(...args: SizeArgs): Tensor {
  return random('randn', args);
}

function random(fn: 'rand' | 'randn', args: readonly unknown[]): Tensor {
  const { shape, options } = sizeArgs(fn, args);
  const opts = checkOptions<TensorOptions>(fn, options, ['dtype', 'requiresGrad']);
  if (opts.dtype !== undefined && checkDType(fn, 'options.dtype', opts.dtype) !== 'float32') {
    throw new DTypeError(`${fn}: random tensors are float32, got options.dtype '${opts.dtype}'`);
  }
  return withGrad(fn, new Tensor(native[fn](shape)), opts);
}

/**
 * Seeds the random generator of this thread (each worker_thread has its own). The same seed
 * gives the same sequence of rand/randn results, whatever the thread count.
 */
export function manualSeed(seed: number): void {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) fail('manualSeed', 'seed', 'a non-negative safe integer', seed);
  native.manualSeed(seed);
}
