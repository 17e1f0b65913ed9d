/**
 * nn.functional (also exported as F): activations and losses as functions, shaped like
 * torch.nn.functional. Every loss takes `reduction: 'mean' | 'sum' | 'none'` (default 'mean')
 * and is one native op with its reduction folded in.
 */
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { native, PointwiseLoss, Reduction as ReductionCode } from '../native.js';
import { checkTensor, requireFloat, Tensor } from '../tensor.js';
import { checkInt, checkNumber, checkOptions, describe, fail } from '../validate.js';

export { identity, leakyRelu, linear, logSoftmax, relu, sigmoid, softmax, step, tanh } from '../ops.js';
export { batchNorm, type BatchNormOptions, dropout, dropout2d, type DropoutOptions } from './functional_norm.js';
export { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions } from './functional_pool.js';
export { conv2d, type Conv2dOptions } from './functional_conv.js';
export { embedding, type EmbeddingOptions } from './functional_sparse.js';

export type Reduction = keyof typeof ReductionCode;

export interface LossOptions {
  reduction?: Reduction;
}
export interface WeightedLossOptions extends LossOptions {
  /** A rescaling weight: per class for crossEntropy and nllLoss, broadcast over the elements for binaryCrossEntropy. */
  weight?: Tensor | null;
}
export interface ClassLossOptions extends WeightedLossOptions {
  /** Targets equal to this class index contribute nothing (default -100, as torch). */
  ignoreIndex?: number;
}
export interface CrossEntropyOptions extends ClassLossOptions {
  /** Mixes the target with the uniform distribution: (1 - ε)·target + ε / classes (default 0). */
  labelSmoothing?: number;
}
export interface BCEWithLogitsOptions extends WeightedLossOptions {
  /** Weight of the positive class, broadcast along the last dimension (one per class). */
  posWeight?: Tensor | null;
}

function reductionOf(fn: string, opts: LossOptions): number {
  const r = opts.reduction ?? 'mean';
  if (!Object.hasOwn(ReductionCode, r)) fail(fn, 'options.reduction', "'mean', 'sum' or 'none'", r);
  return ReductionCode[r];
}

function optionalTensor(fn: string, arg: string, t: Tensor | null | undefined): Tensor | null {
  if (t == null) return null;
  checkTensor(fn, arg, t);
  requireFloat(fn, t, arg);
  return t;
}

// mse, l1 and the two binary cross-entropies: input and target of one shape.
function pointwise(fn: string, kind: keyof typeof PointwiseLoss, input: Tensor, target: Tensor, opts: BCEWithLogitsOptions, known: string[]): Tensor {
  checkOptions(fn, opts, known);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  requireFloat(fn, input);
  requireFloat(fn, target, 'target');
  const a = input.shape;
  const b = target.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new ShapeError(
      `${fn}: target must have the input's shape [${a.join(', ')}], got [${b.join(', ')}]` +
        ' (a [N] target against a [N, 1] output is the usual cause: reshape one of them)',
    );
  }
  const weight = optionalTensor(fn, 'options.weight', opts.weight);
  const posWeight = optionalTensor(fn, 'options.posWeight', opts.posWeight);
  return new Tensor(native.pointwiseLoss(PointwiseLoss[kind], input._h, target._h, weight?._h ?? null, posWeight?._h ?? null, reductionOf(fn, opts)));
}

/** Mean squared error: (input - target)². */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return pointwise('mseLoss', 'mse', input, target, options, ['reduction']);
}

/** Mean absolute error: |input - target|. */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return pointwise('l1Loss', 'l1', input, target, options, ['reduction']);
}

/**
 * Binary cross-entropy of probabilities in [0, 1] (after a sigmoid): -w·(y·log p + (1-y)·log(1-p)),
 * with each log clamped at -100 as torch does. Prefer binaryCrossEntropyWithLogits on raw scores.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: WeightedLossOptions = {}): Tensor {
  return pointwise('binaryCrossEntropy', 'bce', input, target, options, ['reduction', 'weight']);
}

/** Sigmoid + binary cross-entropy in one numerically stable op, on raw scores (logits). */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  return pointwise('binaryCrossEntropyWithLogits', 'bceWithLogits', input, target, options, ['reduction', 'weight', 'posWeight']);
}

function classOptions(fn: string, input: Tensor, opts: ClassLossOptions): { weight: Tensor | null; ignoreIndex: number } {
  checkTensor(fn, 'input', input);
  requireFloat(fn, input);
  if (input.ndim === 0) throw new ShapeError(`${fn}: input must be (C), (N, C) or (N, C, d1, ...), got a 0-D tensor`);
  const classes = input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
  const weight = optionalTensor(fn, 'options.weight', opts.weight);
  if (weight !== null && (weight.ndim !== 1 || weight.shape[0] !== classes)) {
    throw new ShapeError(`${fn}: options.weight must have one entry per class, shape [${classes}], got [${weight.shape.join(', ')}]`);
  }
  const ignoreIndex = checkInt(fn, 'options.ignoreIndex', opts.ignoreIndex ?? -100, -(2 ** 31), 2 ** 31 - 1);
  return { weight, ignoreIndex };
}

/**
 * Softmax + cross-entropy in one fused native op, on raw scores: input (C), (N, C) or
 * (N, C, d1, ...). target is int32 class indices (shape (), (N) or (N, d1, ...)) or float
 * class probabilities of the input's shape. 'mean' divides by the summed weights of the
 * non-ignored targets (by N for probability targets), as torch.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const opts = checkOptions<CrossEntropyOptions>('crossEntropy', options, ['reduction', 'weight', 'ignoreIndex', 'labelSmoothing']);
  const { weight, ignoreIndex } = classOptions('crossEntropy', input, opts);
  checkTensor('crossEntropy', 'target', target);
  const smoothing = checkNumber('crossEntropy', 'options.labelSmoothing', opts.labelSmoothing ?? 0, { finite: true });
  if (smoothing < 0 || smoothing > 1) fail('crossEntropy', 'options.labelSmoothing', 'a number in [0, 1]', smoothing);
  if (target.dtype === 'float32' && opts.ignoreIndex !== undefined) {
    throw new ArgumentError('crossEntropy: options.ignoreIndex applies to class-index targets only, but target holds probabilities (float32)');
  }
  return new Tensor(native.crossEntropy(input._h, target._h, weight?._h ?? null, ignoreIndex, smoothing, reductionOf('crossEntropy', opts)));
}

/** Negative log-likelihood of log-probabilities (after logSoftmax): -w[t]·input[t]. target is int32 class indices. */
export function nllLoss(input: Tensor, target: Tensor, options: ClassLossOptions = {}): Tensor {
  const opts = checkOptions<ClassLossOptions>('nllLoss', options, ['reduction', 'weight', 'ignoreIndex']);
  const { weight, ignoreIndex } = classOptions('nllLoss', input, opts);
  checkTensor('nllLoss', 'target', target);
  if (target.dtype !== 'int32') throw new DTypeError(`nllLoss: target must be int32 class indices, got ${describe(target)}`);
  return new Tensor(native.nllLoss(input._h, target._h, weight?._h ?? null, ignoreIndex, reductionOf('nllLoss', opts)));
}
