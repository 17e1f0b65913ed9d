/**
 * The embedding lookup as a function, shaped like torch.nn.functional.embedding: one native op
 * (an index_select of rows whose gradient is a deterministic index_add, no atomics), with
 * maxNorm's renormalisation of the looked-up rows done in place first, as torch does.
 */
import { DTypeError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import { checkTensor, requireFloat, Tensor } from '../tensor.js';
import { activeTracer } from '../trace_hook.js';
import { checkBool, checkInt, checkOptions, checkRange, describe } from '../validate.js';

export interface EmbeddingOptions {
  /** This row gets no gradient (a negative index counts from the end); default none. */
  paddingIdx?: number | null;
  /** Rows looked up whose normType-norm exceeds this are scaled down to it, in the weight itself (default none). */
  maxNorm?: number | null;
  /** The p of the p-norm for maxNorm (default 2; Infinity for the largest |value|). */
  normType?: number;
  /** Divide each row's gradient by how often its index occurs in the batch (default false). */
  scaleGradByFreq?: boolean;
}

export const EMBEDDING_OPTIONS = ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq'];

/** paddingIdx in [0, numEmbeddings), or -1 for none; negative values count from the end. */
export function paddingIndex(fn: string, paddingIdx: number | null | undefined, numEmbeddings: number): number {
  if (paddingIdx == null) return -1;
  const p = checkInt(fn, 'options.paddingIdx', paddingIdx, -numEmbeddings, numEmbeddings - 1);
  return p < 0 ? p + numEmbeddings : p;
}

/** The validated maxNorm / normType / scaleGradByFreq of an embedding's options. */
export function embeddingNorms(fn: string, opts: EmbeddingOptions): { maxNorm: number | null; normType: number; scaleGradByFreq: boolean } {
  const maxNorm = opts.maxNorm == null ? null : checkRange(fn, 'options.maxNorm', opts.maxNorm, { min: 0, minOpen: true });
  const p = opts.normType ?? 2;
  const normType = p === Infinity ? p : checkRange(fn, 'options.normType', p, { min: 0, minOpen: true, what: 'Infinity or a finite number' });
  const scaleGradByFreq = opts.scaleGradByFreq === undefined ? false : checkBool(fn, 'options.scaleGradByFreq', opts.scaleGradByFreq);
  return { maxNorm, normType, scaleGradByFreq };
}

/**
 * Rows of weight (numEmbeddings, embeddingDim) at the int32 indices in input (any shape):
 * the result has shape input.shape + [embeddingDim]. An index outside [0, numEmbeddings)
 * throws an ArgumentError (in deferred mode at the next wait, as every index op).
 */
export function embedding(input: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  const fn = 'embedding';
  const opts = checkOptions<EmbeddingOptions>(fn, options, EMBEDDING_OPTIONS);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'weight', weight);
  if (input.dtype !== 'int32') throw new DTypeError(`${fn}: input must hold int32 indices, got ${describe(input)} (convert with .int())`);
  requireFloat(fn, weight, 'weight');
  if (weight.ndim !== 2) throw new ShapeError(`${fn}: weight must be 2-D (numEmbeddings, embeddingDim), got shape [${weight.shape.join(', ')}]`);
  const padding = paddingIndex(fn, opts.paddingIdx, weight.shape[0]!);
  const { maxNorm, normType, scaleGradByFreq } = embeddingNorms(fn, opts);
  if (maxNorm !== null) native.embeddingRenorm_(weight._h, input._h, maxNorm, normType);
  const out = new Tensor(native.embedding(weight._h, input._h, padding, scaleGradByFreq));
  if (activeTracer !== null) activeTracer.op('embedding', [input, weight], out, { maxNorm });
  return out;
}
