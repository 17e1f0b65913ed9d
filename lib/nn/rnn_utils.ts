/**
 * Variable-length sequences, as torch.nn.utils.rnn: PackedSequence, packPaddedSequence,
 * padPackedSequence, padSequence and packSequence. A packed sequence holds the time steps one
 * after another, step t being the batchSizes[t] sequences still running at t, longest first,
 * which is the layout the recurrent kernels run on (native/ops/rnn.h). Packing and padding
 * are each one indexSelect, so gradients flow through them.
 */
import { ShapeError } from '../errors.js';
import { cat, indexSelect } from '../ops.js';
import { full, tensor } from '../creation.js';
import { checkTensor, requireFloat, type Tensor } from '../tensor.js';
import { checkBool, checkInt, checkNumber, checkOptions, describe, fail } from '../validate.js';

/** A batch of sequences of different lengths, packed (see the module comment). */
export class PackedSequence {
  /** (sum of lengths, *features) */
  readonly data: Tensor;
  /** int32 (steps): how many sequences are still running at each step, non-increasing. */
  readonly batchSizes: Tensor;
  /** int32 (batch): sortedIndices[j] is the original batch index of the j-th longest sequence; null when the input was already sorted. */
  readonly sortedIndices: Tensor | null;
  /** int32 (batch): the inverse permutation of sortedIndices. */
  readonly unsortedIndices: Tensor | null;

  constructor(data: Tensor, batchSizes: Tensor, sortedIndices: Tensor | null = null, unsortedIndices: Tensor | null = null) {
    checkTensor('PackedSequence', 'data', data);
    checkTensor('PackedSequence', 'batchSizes', batchSizes);
    if (batchSizes.dtype !== 'int32' || batchSizes.ndim !== 1) fail('PackedSequence', 'batchSizes', 'a 1-D int32 tensor', batchSizes);
    if (data.ndim < 1) fail('PackedSequence', 'data', 'a tensor with at least 1 dimension', data);
    const sizes = batchSizes.data() as Int32Array;
    let total = 0;
    for (let t = 0; t < sizes.length; t++) {
      if (sizes[t]! < 1 || (t > 0 && sizes[t]! > sizes[t - 1]!)) fail('PackedSequence', 'batchSizes', 'positive, non-increasing sizes', Array.from(sizes));
      total += sizes[t]!;
    }
    if (total !== data.shape[0]) {
      throw new ShapeError(`PackedSequence: batchSizes sum to ${total} but data has ${data.shape[0]} rows`);
    }
    if ((sortedIndices === null) !== (unsortedIndices === null)) {
      fail('PackedSequence', 'unsortedIndices', 'given together with sortedIndices', unsortedIndices);
    }
    this.data = data;
    this.batchSizes = batchSizes;
    this.sortedIndices = sortedIndices;
    this.unsortedIndices = unsortedIndices;
  }

  /** The batch sizes as an Int32Array (what the native layers take). */
  sizes(): Int32Array {
    return this.batchSizes.data() as Int32Array;
  }

  /** The same batch with other data of as many rows (what a recurrent layer returns). */
  withData(data: Tensor): PackedSequence {
    return new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }
}

function lengthsOf(fn: string, lengths: unknown, batch: number, maxSteps: number): number[] {
  let list: number[];
  if (Array.isArray(lengths)) list = lengths;
  else if (lengths instanceof Int32Array) list = Array.from(lengths);
  else if (lengths !== null && typeof lengths === 'object' && 'data' in lengths && typeof (lengths as Tensor).data === 'function') {
    list = Array.from((lengths as Tensor).data());
  } else fail(fn, 'lengths', 'an array, Int32Array or 1-D tensor of lengths', lengths);
  if (list.length !== batch) throw new ShapeError(`${fn}: lengths has ${list.length} entries but the batch has ${batch} sequences`);
  list.forEach((v, i) => checkInt(fn, `lengths[${i}]`, v, 1, maxSteps));
  return list;
}

// A stable sort of the batch, longest first: [order, inverse].
function sortByLength(lengths: readonly number[]): [number[], number[]] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const inverse = new Array<number>(order.length);
  order.forEach((b, j) => (inverse[b] = j));
  return [order, inverse];
}

function batchSizesOf(sortedLengths: readonly number[]): Int32Array {
  const sizes = new Int32Array(sortedLengths[0] ?? 0);
  for (const len of sortedLengths) for (let t = 0; t < len; t++) sizes[t]!++;
  return sizes;
}

export interface PackPaddedOptions {
  /** input is (batch, steps, *) rather than (steps, batch, *) (default false). */
  batchFirst?: boolean;
  /** lengths must already be in decreasing order (default true); false sorts them and records the permutation. */
  enforceSorted?: boolean;
}

/** Packs a padded batch (steps, batch, *), or (batch, steps, *) with batchFirst, given each sequence's length. */
export function packPaddedSequence(input: Tensor, lengths: readonly number[] | Int32Array | Tensor, options?: PackPaddedOptions): PackedSequence {
  const fn = 'packPaddedSequence';
  checkTensor(fn, 'input', input);
  const opts = checkOptions<PackPaddedOptions>(fn, options, ['batchFirst', 'enforceSorted']);
  const batchFirst = checkBool(fn, 'options.batchFirst', opts.batchFirst ?? false);
  const enforceSorted = checkBool(fn, 'options.enforceSorted', opts.enforceSorted ?? true);
  if (input.ndim < 2) fail(fn, 'input', 'a tensor with at least 2 dimensions (steps, batch, *)', input);
  const [steps, batch] = (batchFirst ? [input.shape[1], input.shape[0]] : [input.shape[0], input.shape[1]]) as [number, number];
  const lens = lengthsOf(fn, lengths, batch, steps);
  let order = lens.map((_, i) => i);
  let inverse = order;
  if (enforceSorted) {
    for (let b = 1; b < batch; b++) {
      if (lens[b]! > lens[b - 1]!) {
        fail(fn, 'lengths', 'lengths sorted in decreasing order (or options.enforceSorted false)', lens);
      }
    }
  } else {
    [order, inverse] = sortByLength(lens);
  }
  const sorted = order.map((b) => lens[b]!);
  const sizes = batchSizesOf(sorted);
  // Row t·batch + b of the (steps·batch, *) view, or b·steps + t with batchFirst.
  const rows = new Int32Array(sorted.reduce((a, b) => a + b, 0));
  let k = 0;
  for (let t = 0; t < sizes.length; t++) {
    for (let j = 0; j < sizes[t]!; j++) rows[k++] = batchFirst ? order[j]! * steps + t : t * batch + order[j]!;
  }
  const flat = input.reshape([steps * batch, ...input.shape.slice(2)]);
  const data = indexSelect(flat, 0, tensor(rows));
  return enforceSorted
    ? new PackedSequence(data, tensor(sizes))
    : new PackedSequence(data, tensor(sizes), tensor(Int32Array.from(order)), tensor(Int32Array.from(inverse)));
}

export interface PadPackedOptions {
  /** Return (batch, steps, *) rather than (steps, batch, *) (default false). */
  batchFirst?: boolean;
  /** The value of the padding (default 0). */
  paddingValue?: number;
  /** Pad to this many steps (at least the longest sequence's length). */
  totalLength?: number;
}

/** Unpacks to a padded batch: [padded, lengths (int32, in the original batch order)]. */
export function padPackedSequence(sequence: PackedSequence, options?: PadPackedOptions): [Tensor, Tensor] {
  const fn = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence)) fail(fn, 'sequence', 'a PackedSequence', sequence);
  const opts = checkOptions<PadPackedOptions>(fn, options, ['batchFirst', 'paddingValue', 'totalLength']);
  const batchFirst = checkBool(fn, 'options.batchFirst', opts.batchFirst ?? false);
  const paddingValue = checkNumber(fn, 'options.paddingValue', opts.paddingValue ?? 0);
  const sizes = sequence.sizes();
  const longest = sizes.length;
  const steps = opts.totalLength === undefined ? longest : checkInt(fn, 'options.totalLength', opts.totalLength, longest);
  const batch = sizes[0]!;
  const inverse = sequence.unsortedIndices === null ? null : (sequence.unsortedIndices.data() as Int32Array);
  const data = sequence.data;
  requireFloat(fn, data, 'sequence.data');
  const total = data.shape[0]!;
  const offsets = new Int32Array(longest);
  for (let t = 1; t < longest; t++) offsets[t] = offsets[t - 1]! + sizes[t - 1]!;
  // Each padded position takes its packed row, or row `total`: one extra row of padding.
  const rows = new Int32Array(steps * batch);
  const lengths = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const j = inverse === null ? b : inverse[b]!;
    let len = 0;
    while (len < longest && sizes[len]! > j) len++;
    lengths[b] = len;
    for (let t = 0; t < steps; t++) {
      rows[batchFirst ? b * steps + t : t * batch + b] = t < len ? offsets[t]! + j : total;
    }
  }
  const features = data.shape.slice(1);
  const padRow = full([1, ...features], paddingValue);
  const padded = indexSelect(cat([data, padRow], 0), 0, tensor(rows));
  return [padded.reshape(batchFirst ? [batch, steps, ...features] : [steps, batch, ...features]), tensor(lengths)];
}

export interface PadSequenceOptions {
  batchFirst?: boolean;
  paddingValue?: number;
}

/** Stacks sequences (length_i, *) into one padded batch (longest, batch, *), or (batch, longest, *). */
export function padSequence(sequences: readonly Tensor[], options?: PadSequenceOptions): Tensor {
  const fn = 'padSequence';
  if (!Array.isArray(sequences) || sequences.length === 0) fail(fn, 'sequences', 'a non-empty array of tensors', sequences);
  const opts = checkOptions<PadSequenceOptions>(fn, options, ['batchFirst', 'paddingValue']);
  const batchFirst = checkBool(fn, 'options.batchFirst', opts.batchFirst ?? false);
  const paddingValue = checkNumber(fn, 'options.paddingValue', opts.paddingValue ?? 0);
  sequences.forEach((s, i) => checkTensor(fn, `sequences[${i}]`, s));
  const features = sequences[0]!.shape.slice(1);
  sequences.forEach((s, i) => {
    if (s.ndim < 1 || s.shape.slice(1).join() !== features.join()) {
      throw new ShapeError(`${fn}: sequences[${i}] has shape ${describe(s.shape)}; every sequence must be (length, ${features.join(', ')})`);
    }
  });
  const batch = sequences.length;
  const longest = Math.max(...sequences.map((s) => s.shape[0]!));
  const starts: number[] = [];
  let total = 0;
  for (const s of sequences) {
    starts.push(total);
    total += s.shape[0]!;
  }
  const rows = new Int32Array(longest * batch);
  sequences.forEach((s, b) => {
    for (let t = 0; t < longest; t++) rows[batchFirst ? b * longest + t : t * batch + b] = t < s.shape[0]! ? starts[b]! + t : total;
  });
  const padRow = full([1, ...features], paddingValue);
  const padded = indexSelect(cat([...sequences, padRow], 0), 0, tensor(rows));
  return padded.reshape(batchFirst ? [batch, longest, ...features] : [longest, batch, ...features]);
}

/** Packs a list of sequences (length_i, *): padSequence, then packPaddedSequence. */
export function packSequence(sequences: readonly Tensor[], options?: { enforceSorted?: boolean }): PackedSequence {
  const opts = checkOptions<{ enforceSorted?: boolean }>('packSequence', options, ['enforceSorted']);
  const padded = padSequence(sequences);
  return packPaddedSequence(padded, sequences.map((s) => s.shape[0]!), { enforceSorted: opts.enforceSorted ?? true });
}
