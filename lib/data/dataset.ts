/**
 * Datasets (torch.utils.data): anything with a length and get(index). TensorDataset holds
 * tensors whose first dimension indexes the samples; Subset is a view through a list of
 * indices; randomSplit cuts a dataset into non-overlapping random Subsets.
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { checkTensor, type Tensor } from '../tensor.js';
import { checkInt, checkOptions, fail } from '../validate.js';
import { drawSeed, permutation, Xoshiro128 } from './random.js';

/** A map-style dataset: samples 0 .. length-1, each read with get(index). */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
}

/** Throws unless v looks like a Dataset: an object with a non-negative integer length and a get method. */
export function checkDataset<T>(fn: string, arg: string, v: unknown): Dataset<T> {
  const d = v as Partial<Dataset<T>> | null;
  const ok =
    d !== null &&
    typeof d === 'object' &&
    typeof d.get === 'function' &&
    typeof d.length === 'number' &&
    Number.isSafeInteger(d.length) &&
    d.length >= 0;
  if (!ok) fail(fn, arg, 'a Dataset (an object with an integer length >= 0 and a get(index) method)', v);
  return d as Dataset<T>;
}

/** Tensors of the same size(0): sample i is the i-th row of each, e.g. [x[i], y[i]]. */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new ArgumentError('TensorDataset: expects at least one tensor, got none');
    tensors.forEach((t, i) => {
      checkTensor('TensorDataset', `tensors[${i}]`, t);
      if (t.ndim === 0) throw new ShapeError(`TensorDataset: tensors[${i}] must have at least 1 dimension (the samples), got a 0-dimensional tensor`);
    });
    const n = tensors[0]!.size(0);
    tensors.forEach((t, i) => {
      if (t.size(0) !== n) {
        throw new ShapeError(
          `TensorDataset: every tensor must have the same size(0) (one row per sample); tensors[0] has ${n}, tensors[${i}] has ${t.size(0)} (shape [${t.shape.join(', ')}])`,
        );
      }
    });
    this.tensors = [...tensors];
  }

  get length(): number {
    return this.tensors[0]!.size(0);
  }

  /** Row index of every tensor (views sharing their memory). */
  get(index: number): Tensor[] {
    checkInt('TensorDataset.get', 'index', index, 0, this.length - 1);
    return this.tensors.map((t) => t.get(index));
  }
}

/** The samples of `dataset` at `indices`, in that order (torch.utils.data.Subset). */
export class Subset<T> implements Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: readonly number[] | Int32Array) {
    this.dataset = checkDataset<T>('Subset', 'dataset', dataset);
    if (!Array.isArray(indices) && !(indices instanceof Int32Array)) fail('Subset', 'indices', 'an array of integers or an Int32Array', indices);
    const n = dataset.length;
    const copy = Int32Array.from(indices, (v, i) => checkInt('Subset', `indices[${i}]`, v, 0, n - 1));
    this.indices = copy;
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    checkInt('Subset.get', 'index', index, 0, this.length - 1);
    return this.dataset.get(this.indices[index]!);
  }
}

export interface RandomSplitOptions {
  /** Seed of the shuffle; without it one is drawn from the generator that manualSeed seeds. */
  seed?: number;
}

/**
 * Splits dataset into non-overlapping random Subsets (torch.utils.data.random_split).
 * lengths are counts summing to dataset.length, or fractions summing to 1: each fraction gets
 * floor(fraction · length) samples and the remainder goes one at a time to the splits in
 * order (round-robin), as PyTorch does.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], options?: RandomSplitOptions): Subset<T>[] {
  checkDataset<T>('randomSplit', 'dataset', dataset);
  const opts = checkOptions<RandomSplitOptions>('randomSplit', options, ['seed']);
  const n = dataset.length;
  const counts = splitCounts(n, lengths);
  const seed = opts.seed === undefined ? drawSeed() : checkSeed('randomSplit', 'options.seed', opts.seed);
  const order = permutation(n, new Xoshiro128(seed));
  let start = 0;
  return counts.map((count) => {
    const subset = new Subset(dataset, order.subarray(start, start + count));
    start += count;
    return subset;
  });
}

/** The seeds the data module accepts: those manualSeed accepts. */
export function checkSeed(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(fn, arg, 'a non-negative safe integer', v);
  return v;
}

function splitCounts(n: number, lengths: readonly number[]): number[] {
  if (!Array.isArray(lengths) || lengths.length === 0) fail('randomSplit', 'lengths', 'a non-empty array of counts or fractions', lengths);
  lengths.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('randomSplit', `lengths[${i}]`, 'a non-negative number', v);
  });
  const total = lengths.reduce((a, b) => a + b, 0);
  // PyTorch's test: a sum close to 1 (and not above it) means fractions.
  const fractions = Math.abs(total - 1) <= 1e-9 && total <= 1;
  let counts: number[];
  if (fractions) {
    lengths.forEach((v, i) => {
      if (v > 1) fail('randomSplit', `lengths[${i}]`, 'a fraction in [0, 1]', v);
    });
    counts = lengths.map((f) => Math.floor(n * f));
    const remainder = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) counts[i % counts.length]! += 1;
  } else {
    lengths.forEach((v, i) => {
      if (!Number.isInteger(v)) {
        throw new ArgumentError(
          `randomSplit: lengths must be integer counts or fractions summing to 1; lengths[${i}] is ${v} and they sum to ${total}`,
        );
      }
    });
    counts = [...lengths];
  }
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum !== n) {
    throw new ArgumentError(
      `randomSplit: lengths must be counts summing to the dataset's length (${n}) or fractions summing to 1, got [${lengths.join(', ')}], which sum to ${total}`,
    );
  }
  return counts;
}
