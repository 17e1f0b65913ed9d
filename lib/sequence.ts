/**
 * The tensor ops sequence models and attention use: comparisons, where and maskedFill,
 * triu/tril, split/chunk, cumsum and repeat. Each is a Tensor method (tensor.ts calls in
 * here) and a function of the same name (exported from the package root).
 *
 * There is no bool dtype: comparisons return float32 tensors of 1 (true) and 0 (false), so a
 * mask multiplies into a tensor directly (`x.mul(x.gt(0))`), and every condition or mask
 * argument is true where it is nonzero (float32 or int32).
 */
import { ArgumentError, ShapeError } from './errors.js';
import { CompareOp, native } from './native.js';
import { activeTracer } from './trace_hook.js';
import { checkTensor, requireFloat, Tensor } from './tensor.js';
import { checkDim, checkInt, fail } from './validate.js';

export type Comparison = keyof typeof CompareOp;

/** input <op> other, elementwise with broadcasting; float32 1/0, never requires grad. */
export function compare(op: Comparison, input: Tensor, other: Tensor | number): Tensor {
  checkTensor(op, 'input', input);
  if (typeof other !== 'number') checkTensor(op, 'other', other);
  const out = new Tensor(typeof other === 'number' ? native.compareScalar(CompareOp[op], input._h, other) : native.compare(CompareOp[op], input._h, other._h));
  if (activeTracer !== null) activeTracer.op(op, [input, other], out);
  return out;
}

export const eq = (input: Tensor, other: Tensor | number): Tensor => compare('eq', input, other);
export const ne = (input: Tensor, other: Tensor | number): Tensor => compare('ne', input, other);
export const lt = (input: Tensor, other: Tensor | number): Tensor => compare('lt', input, other);
export const le = (input: Tensor, other: Tensor | number): Tensor => compare('le', input, other);
export const gt = (input: Tensor, other: Tensor | number): Tensor => compare('gt', input, other);
export const ge = (input: Tensor, other: Tensor | number): Tensor => compare('ge', input, other);

// A number as a 0-D tensor: int32 beside an int32 tensor when it is an integer, else float32.
function scalarLike(value: number, beside: Tensor | number): Tensor {
  const int = typeof beside !== 'number' && beside.dtype === 'int32' && Number.isInteger(value) && Math.abs(value) < 2 ** 31;
  return new Tensor(native.full([], value, int ? 'int32' : 'float32'));
}

/**
 * condition ? input : other, elementwise; the three broadcast together (torch.where).
 * condition is true where nonzero; input and other may be numbers. Gradients flow to input
 * and other (summed over broadcast dimensions), none to condition.
 */
export function where(condition: Tensor, input: Tensor | number, other: Tensor | number): Tensor {
  checkTensor('where', 'condition', condition);
  const a = typeof input === 'number' ? scalarLike(input, other) : checkTensor('where', 'input', input);
  const b = typeof other === 'number' ? scalarLike(other, a) : checkTensor('where', 'other', other);
  const out = new Tensor(native.where(condition._h, a._h, b._h));
  if (activeTracer !== null) activeTracer.op('where', [condition, a, b], out);
  return out;
}

function fillValue(fn: string, input: Tensor, value: Tensor | number): Tensor {
  if (typeof value === 'number') return new Tensor(native.full([], value, input.dtype));
  checkTensor(fn, 'value', value);
  if (value.ndim !== 0) throw new ShapeError(`${fn}: value must be a number or a 0-dimensional tensor, got shape [${value.shape.join(', ')}]`);
  return value;
}

/**
 * input with `value` wherever mask (broadcast to input's shape) is nonzero
 * (torch.masked_fill). The gradient reaches input where the mask is 0, and a 0-D tensor value
 * the sum of the gradient where it is set.
 */
export function maskedFill(input: Tensor, mask: Tensor, value: Tensor | number): Tensor {
  checkTensor('maskedFill', 'input', input);
  checkTensor('maskedFill', 'mask', mask);
  const fill = fillValue('maskedFill', input, value);
  const out = new Tensor(native.maskedFill(input._h, mask._h, fill._h));
  if (activeTracer !== null) activeTracer.op('where', [mask, fill, input], out);
  return out;
}

/** maskedFill written into input itself (refused on tensors autograd tracks, as fill_). */
export function maskedFill_(input: Tensor, mask: Tensor, value: Tensor | number): Tensor {
  checkTensor('maskedFill_', 'input', input);
  checkTensor('maskedFill_', 'mask', mask);
  native.maskedFill_(input._h, mask._h, fillValue('maskedFill_', input, value)._h);
  return input;
}

function triangle(fn: 'triu' | 'tril', input: Tensor, diagonal: number): Tensor {
  checkTensor(fn, 'input', input);
  checkInt(fn, 'diagonal', diagonal);
  if (input.ndim < 2) throw new ShapeError(`${fn}: input must have at least 2 dimensions (it works on the last two), got shape [${input.shape.join(', ')}]`);
  const out = new Tensor(native.triangle(input._h, diagonal, fn === 'triu'));
  if (activeTracer !== null) activeTracer.op(fn, [input], out, { diagonal });
  return out;
}

/** The upper triangle (j - i >= diagonal) of the last two dimensions, the rest 0 (torch.triu). */
export const triu = (input: Tensor, diagonal = 0): Tensor => triangle('triu', input, diagonal);
/** The lower triangle (j - i <= diagonal) of the last two dimensions, the rest 0 (torch.tril). */
export const tril = (input: Tensor, diagonal = 0): Tensor => triangle('tril', input, diagonal);

/** Running sums along dim (torch.cumsum), summed in order in double: deterministic. float32. */
export function cumsum(input: Tensor, dim: number): Tensor {
  checkTensor('cumsum', 'input', input);
  requireFloat('cumsum', input);
  if (dim === undefined) throw new ArgumentError('cumsum: dim is required');
  checkDim('cumsum', 'dim', dim, input.ndim);
  return new Tensor(native.cumsum(input._h, dim));
}

/**
 * torch.Tensor.repeat: the tensor tiled sizes[i] times along dimension i. sizes may be longer
 * than the shape (the tensor is then seen with leading dimensions of 1). A copy; the gradient
 * sums over the repeats.
 */
export function repeat(input: Tensor, sizes: readonly number[]): Tensor {
  checkTensor('repeat', 'input', input);
  if (!Array.isArray(sizes) || sizes.some((s) => !Number.isInteger(s) || s < 0)) fail('repeat', 'sizes', 'a list of integers >= 0', sizes);
  if (sizes.length < input.ndim) {
    throw new ArgumentError(`repeat: sizes must have at least one entry per dimension of the input (${input.ndim}), got [${sizes.join(', ')}]`);
  }
  return new Tensor(native.repeat(input._h, [...sizes]));
}

function pieces(input: Tensor, sizes: readonly number[], dim: number): Tensor[] {
  const out: Tensor[] = [];
  let start = 0;
  for (const size of sizes) {
    out.push(input.narrow(dim, start, size));
    start += size;
  }
  return out;
}

/**
 * torch.split: views (narrow) of consecutive parts along dim, each of size splitSize (the
 * last one smaller if it does not divide), or of the listed sizes, which must add up to the
 * dimension's size.
 */
export function split(input: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split', 'input', input);
  if (input.ndim === 0) throw new ShapeError('split: input must have at least 1 dimension, got a 0-D tensor');
  checkDim('split', 'dim', dim, input.ndim);
  const n = input.size(dim);
  if (Array.isArray(splitSizeOrSections)) {
    const sizes = splitSizeOrSections as readonly number[];
    if (sizes.some((s) => !Number.isInteger(s) || s < 0)) fail('split', 'splitSizeOrSections', 'an integer or a list of integers >= 0', sizes);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) {
      throw new ArgumentError(`split: splitSizeOrSections must add up to the size of dimension ${dim} (${n}), got [${sizes.join(', ')}] (sum ${total})`);
    }
    return pieces(input, sizes, dim);
  }
  const size = checkInt('split', 'splitSizeOrSections', splitSizeOrSections, 0);
  if (size === 0 && n > 0) throw new ArgumentError(`split: splitSizeOrSections must be > 0 for a dimension of size ${n}, got 0`);
  const count = Math.max(1, Math.ceil(n / Math.max(size, 1)));
  return pieces(input, Array.from({ length: count }, (_, i) => Math.min(size, n - i * size)), dim);
}

/**
 * torch.chunk: `chunks` parts along dim of size ceil(n / chunks) each (the last smaller), so
 * there may be fewer than `chunks` of them; a dimension of size 0 gives `chunks` empty parts.
 */
export function chunk(input: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'input', input);
  checkInt('chunk', 'chunks', chunks, 1);
  if (input.ndim === 0) throw new ShapeError('chunk: input must have at least 1 dimension, got a 0-D tensor');
  checkDim('chunk', 'dim', dim, input.ndim);
  const n = input.size(dim);
  if (n === 0) return pieces(input, new Array<number>(chunks).fill(0), dim);
  return split(input, Math.ceil(n / chunks), dim);
}
