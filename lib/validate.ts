/**
 * Argument checks for every public function, with one message format:
 *   `<fn>: <argument> must be <expectation>, got <what was received>`.
 */
import { ArgumentError, DTypeError } from './errors.js';

/** Marks Tensor instances (a registered symbol, so the ESM and CommonJS builds agree). */
export const TENSOR_BRAND: unique symbol = Symbol.for('tensorgrad.Tensor') as never;

/** A short description of any value, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    return `the number ${value}`;
  }
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol') return `a symbol`;
  if (Array.isArray(value)) {
    const preview = value.length <= 6 ? ` [${value.map(shortValue).join(', ')}]` : '';
    return `an array of length ${value.length}${preview}`;
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength}`;
  const ctor = (value as object).constructor;
  if ((value as { [TENSOR_BRAND]?: boolean })[TENSOR_BRAND] === true) {
    const t = value as { shape: number[]; dtype: string; isDisposed: boolean };
    return t.isDisposed ? 'a disposed Tensor' : `a ${t.dtype} Tensor of shape [${t.shape.join(', ')}]`;
  }
  return ctor && ctor !== Object ? `an instance of ${ctor.name}` : 'an object';
}

function shortValue(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 10 ? `${v.slice(0, 10)}…` : v);
  if (Array.isArray(v)) return `[…${v.length}]`;
  return v === null ? 'null' : typeof v;
}

export function fail(fn: string, arg: string, expectation: string, received: unknown): never {
  throw new ArgumentError(`${fn}: ${arg} must be ${expectation}, got ${describe(received)}`);
}

export function checkInt(fn: string, arg: string, v: unknown, min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range =
      min === -Number.MAX_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER
        ? 'an integer'
        : max === Number.MAX_SAFE_INTEGER
          ? `an integer >= ${min}`
          : `an integer from ${min} to ${max}`;
    fail(fn, arg, range, v);
  }
  return v;
}

export function checkNumber(fn: string, arg: string, v: unknown, { finite = false } = {}): number {
  if (typeof v !== 'number' || (finite && !Number.isFinite(v)) || (!finite && Number.isNaN(v))) {
    fail(fn, arg, finite ? 'a finite number' : 'a number (not NaN)', v);
  }
  return v;
}

export interface RangeOptions {
  min?: number;
  max?: number;
  /** Exclude min (or max) itself. */
  minOpen?: boolean;
  maxOpen?: boolean;
  /** What the value is, for the message (default 'a number'; 'a finite number' without max). */
  what?: string;
}

/** A finite number within bounds; the message states them: "a number in [0, 1)", "a finite number > 0". */
export function checkRange(fn: string, arg: string, v: unknown, range: RangeOptions): number {
  const { min = -Infinity, max = Infinity, minOpen = false, maxOpen = false } = range;
  const ok =
    typeof v === 'number' && Number.isFinite(v) && (minOpen ? v > min : v >= min) && (maxOpen ? v < max : v <= max);
  if (!ok) {
    const bounded = Number.isFinite(min) && Number.isFinite(max);
    const what = range.what ?? (bounded ? 'a number' : 'a finite number');
    const expectation = bounded
      ? `${what} in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`
      : Number.isFinite(min)
        ? `${what} ${minOpen ? '>' : '>='} ${min}`
        : Number.isFinite(max)
          ? `${what} ${maxOpen ? '<' : '<='} ${max}`
          : what;
    fail(fn, arg, expectation, v);
  }
  return v as number;
}

/** An integer >= min, or a pair [height, width] of them (kernel sizes, strides, paddings). */
export function checkPair(fn: string, arg: string, v: unknown, min: number): [number, number] {
  if (typeof v === 'number') {
    checkInt(fn, arg, v, min);
    return [v, v];
  }
  if (!Array.isArray(v) || v.length !== 2) fail(fn, arg, `an integer >= ${min} or a pair of them`, v);
  return [checkInt(fn, `${arg}[0]`, v[0], min), checkInt(fn, `${arg}[1]`, v[1], min)];
}

export function checkBool(fn: string, arg: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(fn, arg, 'a boolean', v);
  return v;
}

/** Largest element count of a tensor; mirrors kMaxNumel in native/ops/shape.h. */
export const MAX_NUMEL = 2 ** 48;
export const MAX_DIMS = 64;

/** A shape: an array of non-negative integers whose product stays below 2^48. */
export function checkShape(fn: string, arg: string, v: unknown, { allowInfer = false } = {}): number[] {
  const expectation = allowInfer
    ? 'an array of non-negative integers (one entry may be -1)'
    : 'an array of non-negative integers';
  if (!Array.isArray(v) || v.length > MAX_DIMS) fail(fn, arg, `${expectation} with at most ${MAX_DIMS} entries`, v);
  let inferred = 0;
  let numel = 1;
  for (const d of v) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < (allowInfer ? -1 : 0)) fail(fn, arg, expectation, v);
    if (d === -1 && ++inferred > 1) fail(fn, arg, `${expectation}, with at most one -1`, v);
    if (d >= 0) numel *= d;
  }
  if (numel > MAX_NUMEL) fail(fn, arg, 'a shape with at most 2^48 elements in all', v);
  return v as number[];
}

export type DType = 'float32' | 'int32';

export function checkDType(fn: string, arg: string, v: unknown): DType {
  if (v !== 'float32' && v !== 'int32') {
    throw new DTypeError(`${fn}: ${arg} must be 'float32' or 'int32', got ${describe(v)}`);
  }
  return v;
}

/** A dimension index in [-ndim, ndim), returned as given (the native side normalises). */
export function checkDim(fn: string, arg: string, v: unknown, ndim: number): number {
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    fail(fn, arg, `an integer in [${lo}, ${hi}] for a tensor with ${ndim} dimension(s)`, v);
  }
  return v;
}

/** An options object (or undefined), rejecting keys the function does not know. */
export function checkOptions<T extends object>(fn: string, v: unknown, known: readonly string[]): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(fn, 'options', 'an object', v);
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) {
      throw new ArgumentError(`${fn}: unknown option ${JSON.stringify(key)}; known options are ${known.join(', ')}`);
    }
  }
  return v as Partial<T>;
}
