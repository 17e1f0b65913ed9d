/**
 * Turning samples into batches. A TensorDataset (or Subsets of one, to any depth) is batched
 * with one native gather per tensor: index_select of the batch's rows, never a JS loop over
 * elements. Any other dataset is read sample by sample with get() and collated like PyTorch's
 * default_collate.
 */
import { noGrad } from '../autograd.js';
import { tensor } from '../creation.js';
import { ArgumentError } from '../errors.js';
import { native } from '../native.js';
import { indexSelect, stack } from '../ops.js';
import { checkTensor, Tensor } from '../tensor.js';
import { describe, fail } from '../validate.js';
import { type Dataset, Subset, TensorDataset } from './dataset.js';

/** The tensors a batch is gathered from, and the row of each dataset position (null: row = position). */
export interface TensorSource {
  tensors: Tensor[];
  rows: Int32Array | null;
}

/**
 * The TensorDataset under a chain of Subsets, with their indices composed into one map from
 * the outer dataset's positions to the tensors' rows. Null when the chain ends elsewhere, or a
 * class in it overrides get() (then get() is what defines a sample).
 */
export function tensorSource(dataset: Dataset<unknown>): TensorSource | null {
  let rows: Int32Array | null = null;
  let d = dataset;
  while (d instanceof Subset && d.get === Subset.prototype.get) {
    const inner = d.indices;
    rows = rows === null ? inner : rows.map((i) => inner[i]!);
    d = d.dataset;
  }
  if (!(d instanceof TensorDataset) || d.get !== TensorDataset.prototype.get) return null;
  d.tensors.forEach((t, i) => checkTensor('DataLoader', `dataset.tensors[${i}]`, t));
  return { tensors: d.tensors, rows };
}

/** Rows `rows` of every tensor, gathered on the JS thread. The batch is plain data (no autograd). */
export function gatherRows(tensors: readonly Tensor[], rows: Int32Array): Tensor[] {
  const index = Tensor.from(rows);
  return noGrad(() => tensors.map((t) => indexSelect(t, 0, index)));
}

/** The same gather on libuv's thread pool: the promise settles when every tensor's rows are copied. */
export async function gatherRowsAsync(tensors: readonly Tensor[], rows: Int32Array): Promise<Tensor[]> {
  const index = Tensor.from(rows);
  const handles = await Promise.all(tensors.map((t) => native.indexSelectAsync(t._h, 0, index._h)));
  return handles.map((h) => new Tensor(h));
}

/**
 * PyTorch's default_collate: Tensors are stacked along a new first dimension; numbers become
 * a float32 tensor (one dtype whatever the values, so a batch never changes type; convert
 * labels with .int() or a custom collate); arrays and plain objects are collated position by
 * position (key by key), so [x, y] samples give an [xs, ys] batch.
 */
export function defaultCollate(items: readonly unknown[]): unknown {
  if (!Array.isArray(items) || items.length === 0) fail('defaultCollate', 'items', 'a non-empty array of samples', items);
  return collateAt(items, 'sample');
}

// `path` names the part of the sample being collated, for error messages ("sample[1].label").
function collateAt(items: readonly unknown[], path: string): unknown {
  const first = items[0];
  const kind = kindOf(first);
  items.forEach((v, i) => {
    if (kindOf(v) !== kind) {
      throw new ArgumentError(
        `DataLoader: cannot collate ${path}: samples in a batch must be of the same kind, but the first is ${describe(first)} and number ${i} is ${describe(v)}`,
      );
    }
  });
  switch (kind) {
    case 'tensor':
      return stack(items as Tensor[]);
    case 'number':
      return tensor(items as number[]);
    case 'array': {
      const arrays = items as unknown[][];
      const n = arrays[0]!.length;
      arrays.forEach((a, i) => {
        if (a.length !== n) {
          throw new ArgumentError(`DataLoader: cannot collate ${path}: every sample must have ${n} entries, but number ${i} has ${a.length}`);
        }
      });
      return Array.from({ length: n }, (_, j) => collateAt(arrays.map((a) => a[j]), `${path}[${j}]`));
    }
    case 'object': {
      const objects = items as Record<string, unknown>[];
      const keys = Object.keys(objects[0]!);
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        out[key] = collateAt(
          objects.map((o, i) => {
            if (!Object.hasOwn(o, key)) throw new ArgumentError(`DataLoader: cannot collate ${path}: sample number ${i} has no key ${JSON.stringify(key)}`);
            return o[key];
          }),
          `${path}.${key}`,
        );
      }
      return out;
    }
    default:
      throw new ArgumentError(
        `DataLoader: cannot collate ${path}: expected Tensors, numbers, arrays or plain objects of them, got ${describe(first)}; pass options.collate to batch other values`,
      );
  }
}

function kindOf(v: unknown): 'tensor' | 'number' | 'array' | 'object' | 'other' {
  if (v instanceof Tensor) return 'tensor';
  if (typeof v === 'number') return 'number';
  if (Array.isArray(v)) return 'array';
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return 'object';
  }
  return 'other';
}
