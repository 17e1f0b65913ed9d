/**
 * Tensor: an n-dimensional array of float32 (or int32 for indices and labels) whose memory
 * and arithmetic live in the native core. Views (reshape, transpose, slice, ...) share memory.
 * Memory is freed when the Tensor is garbage-collected; dispose() frees it sooner.
 */
import { ArgumentError, DTypeError, ShapeError } from './errors.js';
import { runBackward } from './backward_observers.js';
import { formatTensor, nestedArray, type NestedArray } from './format.js';
import { type Handle, native } from './native.js';
import { activate, argExtreme, binary, checkKeepdim, clamp, dimList, expand, matmul, permute, reduce, shapeArgs, softmax, step, unary } from './tensor_ops.js';
import * as seq from './sequence.js';
import { activeTracer } from './trace_hook.js';
import { checkBool, checkDim, checkDType, checkInt, checkNumber, checkOptions, checkShape, describe, type DType, fail, TENSOR_BRAND } from './validate.js';

export type { DType } from './validate.js';
export type { NestedArray } from './format.js';

type Meta = [number[], number[], DType, number];

export class Tensor {
  /** @internal */
  readonly _h: Handle;
  #meta: Meta | undefined;
  #disposed = false;

  /** @internal Lets describe() recognise tensors from either build (ESM or CommonJS). */
  get [TENSOR_BRAND](): true {
    return true;
  }

  /** @internal Use tensor(), zeros(), Tensor.from() and friends to make tensors. */
  constructor(handle: Handle) {
    this._h = handle;
  }

  /** Wraps a typed array without copying: the tensor and the array share memory. */
  static from(data: Float32Array | Int32Array, shape?: readonly number[]): Tensor {
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
      fail('Tensor.from', 'data', 'a Float32Array or Int32Array', data);
    }
    const dims = shape === undefined ? [data.length] : checkShape('Tensor.from', 'shape', shape);
    const numel = dims.reduce((a, b) => a * b, 1);
    if (numel !== data.length) {
      throw new ShapeError(`Tensor.from: shape [${dims.join(', ')}] needs ${numel} elements, but data has ${data.length}`);
    }
    return new Tensor(native.fromTypedArray(data, [...dims], false));
  }

  get #m(): Meta {
    if (this.#meta === undefined) this.#meta = native.meta(this._h);
    return this.#meta;
  }

  /** The size of each dimension (a fresh copy). */
  get shape(): number[] {
    return [...this.#m[0]];
  }
  /** Element strides of each dimension. */
  get strides(): number[] {
    return [...this.#m[1]];
  }
  get dtype(): DType {
    return this.#m[2];
  }
  get ndim(): number {
    return this.#m[0].length;
  }
  /** Number of elements. */
  get numel(): number {
    return this.#m[0].reduce((a, b) => a * b, 1);
  }
  /** size() is the shape; size(dim) one dimension (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return this.shape;
    const d = checkDim('size', 'dim', dim, this.ndim);
    return this.#m[0][d < 0 ? d + this.ndim : d]!;
  }
  isContiguous(): boolean {
    const [shape, strides] = this.#m;
    let expected = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (shape[i] !== 1 && strides[i] !== expected) return false;
      expected *= shape[i]!;
    }
    return true;
  }
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * The elements in row-major order as a typed array. For a contiguous tensor this is a view
   * of the tensor's own memory (writes show up in the tensor); otherwise it is a copy.
   */
  data(): Float32Array | Int32Array {
    return native.data(this._h);
  }
  /** data() once the deferred work this tensor needs has run, without blocking the event loop. */
  async dataAsync(): Promise<Float32Array | Int32Array> {
    await native.readyAsync(this._h);
    return this.data();
  }
  /** The elements as nested arrays of numbers. */
  toArray(): NestedArray {
    return nestedArray(this.data(), this.#m[0]);
  }
  /** The value of a one-element tensor. */
  item(): number {
    return native.item(this._h);
  }
  /** item() once the deferred work this tensor needs has run, without blocking the event loop. */
  async itemAsync(): Promise<number> {
    await native.readyAsync(this._h);
    return this.item();
  }
  /** Prints like PyTorch: `tensor([[1., 2.], [3., 4.]])`. */
  toString(): string {
    const gradFn = this.gradFn;
    const autograd = gradFn !== null ? `, grad_fn=<${gradFn}>` : this.requiresGrad ? ', requires_grad=True' : '';
    return formatTensor(this.#m[0], this.#m[2], this.#m[0].some((d) => d === 0) ? new Float32Array(0) : this.data(), autograd);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
  /** Frees the native memory now (views keep theirs alive). Using the tensor afterwards throws. */
  dispose(): void {
    if (this.#disposed) return;
    native.dispose(this._h);
    this.#disposed = true;
  }

  // ---- autograd ------------------------------------------------------------------------
  /** Whether gradients flow to this tensor: set on leaves, inherited by results of ops on them. */
  get requiresGrad(): boolean {
    return native.requiresGrad(this._h);
  }
  set requiresGrad(flag: boolean) {
    this.requiresGrad_(flag);
  }
  /** Marks a leaf tensor as needing gradients (float32 only); returns this tensor. */
  requiresGrad_(flag = true): this {
    checkBool('requiresGrad_', 'flag', flag);
    native.setRequiresGrad(this._h, flag);
    return this;
  }
  /**
   * The gradient accumulated into this leaf by backward() (null before the first one, and for
   * tensors computed from others). Assign null to clear it (what zeroGrad does).
   */
  get grad(): Tensor | null {
    const h = native.grad(this._h);
    return h === null ? null : new Tensor(h);
  }
  set grad(value: Tensor | null) {
    if (value !== null) checkTensor('grad', 'value', value);
    native.setGrad(this._h, value === null ? null : value._h);
  }
  /** The name of the backward node that made this tensor ('MulBackward0'), null for a leaf. */
  get gradFn(): string | null {
    return native.gradFn(this._h);
  }
  /** True unless this tensor was computed by a recorded op (it then has a gradFn). */
  get isLeaf(): boolean {
    return native.isLeaf(this._h);
  }
  /**
   * Backpropagates from this tensor, adding d(this)/d(leaf) into every leaf's .grad. A
   * one-element tensor (a loss) needs no gradient; otherwise pass d(something)/d(this), of this
   * tensor's shape. The graph's saved values are freed afterwards unless retainGraph is true.
   */
  backward(gradient?: Tensor | null, options?: { retainGraph?: boolean }): void {
    if (gradient != null) checkTensor('backward', 'gradient', gradient);
    const opts = checkOptions<{ retainGraph?: boolean }>('backward', options, ['retainGraph']);
    const retain = opts.retainGraph === undefined ? false : checkBool('backward', 'options.retainGraph', opts.retainGraph);
    runBackward(this._h, gradient == null ? null : gradient._h, retain);
  }
  /** The same data (shared memory) as a leaf outside the graph. */
  detach(): Tensor {
    const out = new Tensor(native.detach(this._h));
    if (activeTracer !== null) activeTracer.op('alias', [this], out);
    return out;
  }

  // ---- in-place writes (bump the version autograd checks; refused on tensors it tracks) --
  /** Sets every element to value; returns this tensor. */
  fill_(value: number): this {
    native.fill_(this._h, checkNumber('fill_', 'value', value));
    return this;
  }
  zero_(): this {
    return this.fill_(0);
  }
  /** Copies src (broadcast to this shape, converted to this dtype) into this tensor. */
  copy_(src: Tensor): this {
    native.copy_(this._h, checkTensor('copy_', 'src', src)._h);
    return this;
  }
  /** Fills with draws from U[a, b) of the seeded generator (manualSeed). */
  uniform_(a = 0, b = 1): this {
    native.uniform_(this._h, checkNumber('uniform_', 'a', a, { finite: true }), checkNumber('uniform_', 'b', b, { finite: true }));
    return this;
  }
  /** Fills with draws from N(mean, std²) of the seeded generator (manualSeed). */
  normal_(mean = 0, std = 1): this {
    native.normal_(this._h, checkNumber('normal_', 'mean', mean, { finite: true }), checkNumber('normal_', 'std', std, { finite: true }));
    return this;
  }

  // ---- activations --------------------------------------------------------------------
  sigmoid(): Tensor {
    return activate('sigmoid', this);
  }
  tanh(): Tensor {
    return activate('tanh', this);
  }
  /** max(x, 0); NaN stays NaN. */
  relu(): Tensor {
    return activate('relu', this);
  }
  /** x > 0 ? x : negativeSlope · x. */
  leakyRelu(negativeSlope = 0.01): Tensor {
    checkNumber('leakyRelu', 'negativeSlope', negativeSlope, { finite: true });
    return activate('leakyRelu', this, negativeSlope);
  }
  /** exp(x) / Σ exp(x) along dim, computed stably (the row maximum is subtracted first). */
  softmax(dim: number): Tensor {
    return softmax('softmax', this, dim);
  }
  /** log(softmax(x)) along dim, without the overflow or underflow of taking log of softmax. */
  logSoftmax(dim: number): Tensor {
    return softmax('logSoftmax', this, dim);
  }
  /**
   * The perceptron's step function: 1 where x > 0, else 0. It has no useful gradient (zero
   * almost everywhere), so its result never requires grad: train perceptrons with the
   * perceptron rule, or use sigmoid when you need backpropagation.
   */
  step(): Tensor {
    return step(this);
  }

  // ---- views and copies -------------------------------------------------------------
  /** Same data, new shape (one entry may be -1). A view when possible, else a copy. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    const target = shapeArgs('reshape', shape);
    const out = new Tensor(native.reshape(this._h, target));
    if (activeTracer !== null) activeTracer.op('reshape', [this], out, { shape: target });
    return out;
  }
  /** Like reshape, but never copies: throws ShapeError when the memory layout does not allow a view. */
  view(...shape: number[] | [readonly number[]]): Tensor {
    const target = shapeArgs('view', shape);
    const out = new Tensor(native.view(this._h, target));
    if (activeTracer !== null) activeTracer.op('reshape', [this], out, { shape: target });
    return out;
  }
  /** All elements in one dimension. */
  flatten(): Tensor {
    return this.reshape(-1);
  }
  /** Swaps two dimensions (a view). */
  transpose(dim0: number, dim1: number): Tensor {
    checkDim('transpose', 'dim0', dim0, this.ndim);
    checkDim('transpose', 'dim1', dim1, this.ndim);
    const out = new Tensor(native.transpose(this._h, dim0, dim1));
    if (activeTracer !== null) activeTracer.op('transpose', [this], out, { dim0, dim1 });
    return out;
  }
  /** The transpose of a 2-D tensor (a 0-D or 1-D tensor is returned as is). */
  get T(): Tensor {
    if (this.ndim > 2) throw new ArgumentError(`T: expects a tensor with at most 2 dimensions, got ${this.ndim} (use permute)`);
    return this.ndim < 2 ? this : this.transpose(0, 1);
  }
  /** Reorders the dimensions (a view): permute(1, 0, 2). */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return permute(this, (dims.length === 1 && Array.isArray(dims[0]) ? dims[0] : dims) as number[]);
  }
  /** Rows start..end (exclusive) of the first dimension, every `step`-th; negative indices count from the end. A view. */
  slice(start: number, end?: number, step = 1): Tensor {
    if (this.ndim === 0) throw new ArgumentError('slice: cannot slice a 0-dimensional tensor');
    checkInt('slice', 'start', start);
    const n = this.#m[0][0]!;
    if (end !== undefined) checkInt('slice', 'end', end);
    checkInt('slice', 'step', step, 1);
    return new Tensor(native.slice(this._h, start, end ?? n, step));
  }
  /** Row i of the first dimension, without that dimension (a view). Negative i counts from the end. */
  get(index: number): Tensor {
    if (this.ndim === 0) throw new ArgumentError('get: cannot index a 0-dimensional tensor');
    const n = this.#m[0][0]!;
    checkInt('get', 'index', index, -n, n - 1);
    const out = new Tensor(native.select(this._h, index));
    if (activeTracer !== null) activeTracer.op('select', [this], out, { index });
    return out;
  }
  /** `length` entries from `start` along dim (a view; negative dim and start count from the end). */
  narrow(dim: number, start: number, length: number): Tensor {
    checkDim('narrow', 'dim', dim, this.ndim);
    checkInt('narrow', 'start', start);
    checkInt('narrow', 'length', length, 0);
    const out = new Tensor(native.narrow(this._h, dim, start, length));
    if (activeTracer !== null) activeTracer.op('narrow', [this], out, { dim, start, length });
    return out;
  }
  /** A broadcast view of `shape` (size-1 dimensions repeat without copying; -1 keeps a size), as torch.expand. */
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return expand(this, (shape.length === 1 && Array.isArray(shape[0]) ? shape[0] : shape) as number[]);
  }
  /** This tensor if its memory is contiguous, else a contiguous copy. */
  contiguous(): Tensor {
    if (this.isContiguous()) return this;
    const out = new Tensor(native.contiguous(this._h));
    if (activeTracer !== null) activeTracer.op('alias', [this], out);
    return out;
  }
  /** A contiguous copy that shares nothing with this tensor. */
  clone(): Tensor {
    const out = new Tensor(native.clone(this._h));
    if (activeTracer !== null) activeTracer.op('alias', [this], out);
    return out;
  }
  /** Converts the element type (float -> int truncates toward zero). Returns this tensor if already of that type. */
  to(dtype: DType): Tensor {
    checkDType('to', 'dtype', dtype);
    return dtype === this.dtype ? this : new Tensor(native.toDType(this._h, dtype));
  }
  float(): Tensor {
    return this.to('float32');
  }
  int(): Tensor {
    return this.to('int32');
  }

  // ---- elementwise --------------------------------------------------------------------
  add(other: Tensor | number): Tensor {
    return binary('add', this, other);
  }
  sub(other: Tensor | number): Tensor {
    return binary('sub', this, other);
  }
  mul(other: Tensor | number): Tensor {
    return binary('mul', this, other);
  }
  div(other: Tensor | number): Tensor {
    return binary('div', this, other);
  }
  pow(exponent: Tensor | number): Tensor {
    return binary('pow', this, exponent);
  }
  maximum(other: Tensor | number): Tensor {
    return binary('maximum', this, other);
  }
  minimum(other: Tensor | number): Tensor {
    return binary('minimum', this, other);
  }
  neg(): Tensor {
    return unary('neg', this);
  }
  exp(): Tensor {
    return unary('exp', this);
  }
  /** Natural logarithm: log(0) = -Infinity, log(x < 0) = NaN, as in PyTorch. */
  log(): Tensor {
    return unary('log', this);
  }
  sqrt(): Tensor {
    return unary('sqrt', this);
  }
  abs(): Tensor {
    return unary('abs', this);
  }
  /** Limits every element to [min, max]; either bound may be left out. NaN stays NaN. */
  clamp(min?: number | null, max?: number | null): Tensor {
    return clamp(this, min, max);
  }

  // ---- comparisons and masks (lib/sequence.ts) ------------------------------------------
  // Comparisons return float32 1/0 (there is no bool dtype) and never require grad.
  eq(other: Tensor | number): Tensor {
    return seq.compare('eq', this, other);
  }
  ne(other: Tensor | number): Tensor {
    return seq.compare('ne', this, other);
  }
  lt(other: Tensor | number): Tensor {
    return seq.compare('lt', this, other);
  }
  le(other: Tensor | number): Tensor {
    return seq.compare('le', this, other);
  }
  gt(other: Tensor | number): Tensor {
    return seq.compare('gt', this, other);
  }
  ge(other: Tensor | number): Tensor {
    return seq.compare('ge', this, other);
  }
  /** condition ? this : other (torch.Tensor.where). */
  where(condition: Tensor, other: Tensor | number): Tensor {
    return seq.where(condition, this, other);
  }
  /** This tensor with value where mask (broadcast to this shape) is nonzero. */
  maskedFill(mask: Tensor, value: Tensor | number): Tensor {
    return seq.maskedFill(this, mask, value);
  }
  /** maskedFill in place; returns this tensor. */
  maskedFill_(mask: Tensor, value: Tensor | number): this {
    seq.maskedFill_(this, mask, value);
    return this;
  }
  /** Upper triangle of the last two dimensions (j - i >= diagonal), the rest 0. */
  triu(diagonal = 0): Tensor {
    return seq.triu(this, diagonal);
  }
  /** Lower triangle of the last two dimensions (j - i <= diagonal), the rest 0. */
  tril(diagonal = 0): Tensor {
    return seq.tril(this, diagonal);
  }

  // ---- splits, scans and tiling (lib/sequence.ts) ---------------------------------------
  /** Views of consecutive parts along dim: of splitSize each, or of the listed sizes (torch.split). */
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return seq.split(this, splitSizeOrSections, dim);
  }
  /** `chunks` views along dim, of ceil(size / chunks) each (torch.chunk). */
  chunk(chunks: number, dim = 0): Tensor[] {
    return seq.chunk(this, chunks, dim);
  }
  /** Running sums along dim. */
  cumsum(dim: number): Tensor {
    return seq.cumsum(this, dim);
  }
  /** Tiles the tensor sizes[i] times along dimension i (torch.Tensor.repeat): repeat(2, 1) or repeat([2, 1]). */
  repeat(...sizes: number[] | [readonly number[]]): Tensor {
    return seq.repeat(this, (sizes.length === 1 && Array.isArray(sizes[0]) ? sizes[0] : sizes) as number[]);
  }

  // ---- linear algebra -----------------------------------------------------------------
  /**
   * Matrix product with torch.matmul's rules: 2-D · 2-D is a matrix product; a 1-D operand
   * is a row (left) or column (right) whose dimension is dropped; leading dimensions are
   * batch dimensions and broadcast. Transposed views are read in place, not copied.
   */
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }

  // ---- reductions ---------------------------------------------------------------------
  /** Sum over dim (a number or a list), or over everything when dim is left out. */
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    return reduce('sum', this, dim, keepdim);
  }
  /** Mean over dim, or over everything. The mean of no elements is NaN. */
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    const dims = dimList('mean', this, dim);
    checkKeepdim('mean', keepdim);
    requireFloat('mean', this);
    const out = new Tensor(native.mean(this._h, dims, keepdim));
    if (activeTracer !== null) activeTracer.op('mean', [this], out, { dims, keepdim });
    return out;
  }
  /** Largest value over dim, or overall; NaN if any element is NaN. For the index use argmax. */
  max(dim?: number, keepdim = false): Tensor {
    return reduce('max', this, dim, keepdim);
  }
  min(dim?: number, keepdim = false): Tensor {
    return reduce('min', this, dim, keepdim);
  }
  /** Index (int32) of the first largest value along dim, or in the flattened tensor. */
  argmax(dim?: number, keepdim = false): Tensor {
    return argExtreme('argmax', this, dim, keepdim);
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return argExtreme('argmin', this, dim, keepdim);
  }
}

// ---- helpers shared by the methods above and the functional forms in ops.ts -------------

export function checkTensor(fn: string, arg: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) fail(fn, arg, 'a Tensor', v);
  if (v.isDisposed) throw new ArgumentError(`${fn}: ${arg} was disposed and can no longer be used`);
  return v;
}

/** The smallest and largest value of t (class labels, to check their range), null when empty. */
export function valueRange(t: Tensor): [number, number] | null {
  if (t.numel === 0) return null;
  const f = t.dtype === 'float32' ? t : t.float();
  return [f.min().item(), f.max().item()];
}

/** What Module.zeroGrad and Optimizer.zeroGrad do: each .grad to null, or to zeros in place. */
export function clearGrads(fn: string, tensors: Iterable<Tensor>, setToNone: boolean): void {
  checkBool(fn, 'setToNone', setToNone);
  for (const t of tensors) {
    if (setToNone) t.grad = null;
    else t.grad?.zero_();
  }
}

export function requireFloat(fn: string, t: Tensor, arg = 'input'): void {
  if (t.dtype !== 'float32') {
    throw new DTypeError(`${fn}: ${arg} must be a float32 tensor, got ${describe(t)} (convert with .float())`);
  }
}

export { activate, binary, matmul, softmax, unary } from './tensor_ops.js';
