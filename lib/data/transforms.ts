/**
 * Transforms for the data a loader serves: normalisation with statistics of the TRAINING split
 * only (so nothing about the validation or test split leaks into training), flattening images
 * to vectors, and one-hot targets. All of it runs as native tensor ops.
 */
import { noGrad } from '../autograd.js';
import { arange, tensor } from '../creation.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { indexSelect } from '../ops.js';
import { checkTensor, requireFloat, Tensor, valueRange } from '../tensor.js';
import { checkBool, checkInt, checkOptions, checkRange, describe } from '../validate.js';
import { tensorSource } from './collate.js';
import type { Dataset } from './dataset.js';

export interface NormalizeFitOptions {
  /** Which tensor of a dataset's samples to measure (default 0: the inputs). */
  column?: number;
  /** One mean and std per feature (over dimension 0) instead of one for all values (default false). */
  perFeature?: boolean;
  /** A std at or below this counts as 1, so constant features (an image's empty border) stay finite. Default 1e-8; > 0. */
  eps?: number;
}

/** (x - mean) / std, with the statistics fitted once (on the training split) and applied to every split. */
export class Normalize {
  readonly mean: Tensor;
  readonly std: Tensor;

  constructor(mean: Tensor | number, std: Tensor | number) {
    this.mean = typeof mean === 'number' ? tensor(checkRange('Normalize', 'mean', mean, {})) : checkTensor('Normalize', 'mean', mean);
    this.std = typeof std === 'number' ? tensor(checkRange('Normalize', 'std', std, { min: 0, minOpen: true })) : checkTensor('Normalize', 'std', std);
  }

  /**
   * Measures a tensor, or one column of a dataset's samples (a TensorDataset or Subsets of one:
   * pass the TRAINING split). Standard deviations are the population ones, as torchvision's.
   */
  static fit(source: Tensor | Dataset<Tensor[]>, options?: NormalizeFitOptions): Normalize {
    const opts = checkOptions<NormalizeFitOptions>('Normalize.fit', options, ['column', 'perFeature', 'eps']);
    const perFeature = opts.perFeature === undefined ? false : checkBool('Normalize.fit', 'options.perFeature', opts.perFeature);
    const eps = checkRange('Normalize.fit', 'options.eps', opts.eps ?? 1e-8, { min: 0, minOpen: true });
    const x = source instanceof Tensor ? source : rowsOf(source, opts.column ?? 0);
    requireFloat('Normalize.fit', x, 'source');
    if (x.numel === 0) throw new ShapeError('Normalize.fit: source is empty: there is nothing to measure');
    return noGrad(() => {
      const mean = perFeature ? x.mean(0) : x.mean();
      const std = x.sub(mean).pow(2).mean(perFeature ? 0 : undefined).sqrt();
      // Where std < eps: std + 1·(1 - std) = 1.
      const tiny = std.neg().add(eps).step();
      return new Normalize(mean, std.add(tiny.mul(std.neg().add(1))));
    });
  }

  apply(x: Tensor): Tensor {
    checkTensor('Normalize.apply', 'input', x);
    return x.sub(this.mean).div(this.std);
  }
}

// The rows of one column of a TensorDataset seen through its Subsets, gathered natively.
function rowsOf(dataset: Dataset<Tensor[]>, column: number): Tensor {
  const source = tensorSource(dataset);
  if (source === null) {
    throw new ArgumentError(`Normalize.fit: source must be a Tensor, a TensorDataset or a Subset of one, got ${describe(dataset)}`);
  }
  checkInt('Normalize.fit', 'options.column', column, 0, source.tensors.length - 1);
  const t = source.tensors[column]!;
  return source.rows === null ? t : noGrad(() => indexSelect(t, 0, Tensor.from(source.rows!)));
}

/** Merges dimensions startDim.. into one: images (N, 28, 28) → vectors (N, 784). */
export function flatten(x: Tensor, startDim = 1): Tensor {
  checkTensor('flatten', 'input', x);
  checkInt('flatten', 'startDim', startDim, 0, Math.max(x.ndim - 1, 0));
  const shape = x.shape;
  return x.reshape([...shape.slice(0, startDim), shape.slice(startDim).reduce((a, b) => a * b, 1)]);
}

/** int32 class indices (any shape) → float32 one-hot vectors along a new last dimension of size numClasses. */
export function oneHot(labels: Tensor, numClasses: number): Tensor {
  checkTensor('oneHot', 'labels', labels);
  if (labels.dtype !== 'int32') throw new DTypeError(`oneHot: labels must be int32 class indices, got ${describe(labels)}`);
  checkInt('oneHot', 'numClasses', numClasses, 1);
  const [lo, hi] = valueRange(labels) ?? [0, 0];
  if (lo < 0 || hi >= numClasses) throw new ArgumentError(`oneHot: labels must lie in [0, ${numClasses - 1}], got values from ${lo} to ${hi}`);
  // 1 where |label - class| < 0.5, i.e. label == class; computed for every class at once.
  return noGrad(() => labels.float().reshape([...labels.shape, 1]).sub(arange(0, numClasses)).abs().neg().add(0.5).step());
}
