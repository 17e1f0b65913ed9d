/**
 * Batch normalisation and dropout as functions, shaped like torch.nn.functional.batch_norm,
 * dropout and dropout2d. Each is one native op (native/ops/batch_norm.cc, dropout.cc) with its
 * gradient recorded natively; the nn.BatchNorm1d and nn.Dropout modules call these.
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import { checkTensor, requireFloat, Tensor } from '../tensor.js';
import { activeTracer } from '../trace_hook.js';
import { checkBool, checkNumber, checkOptions, checkRange, describe, fail } from '../validate.js';

export interface BatchNormOptions {
  /** Per-channel scale γ, shape [C] (default none: 1). */
  weight?: Tensor | null;
  /** Per-channel shift β, shape [C] (default none: 0). */
  bias?: Tensor | null;
  /** Normalise with the batch's statistics (and update the running ones) rather than the running ones (default false, as torch). */
  training?: boolean;
  /** Weight of the batch's statistics in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

export interface DropoutOptions {
  /** Probability of zeroing each element (each channel for dropout2d), in [0, 1] (default 0.5). */
  p?: number;
  /** Dropout acts only in training; otherwise the input is returned as is (default true). */
  training?: boolean;
}

// A per-channel tensor: float32 of shape [C], or null.
function channelTensor(fn: string, arg: string, t: Tensor | null | undefined, channels: number): Tensor | null {
  if (t == null) return null;
  checkTensor(fn, arg, t);
  requireFloat(fn, t, arg);
  if (t.ndim !== 1 || t.shape[0] !== channels) {
    throw new ShapeError(`${fn}: ${arg} must have one entry per channel, shape [${channels}], got [${t.shape.join(', ')}]`);
  }
  return t;
}

/**
 * Batch normalisation over input (N, C) or (N, C, *): each channel is normalised by the mean
 * and biased variance over N and the trailing dimensions, then scaled by weight and shifted by
 * bias. In training the batch's statistics are used and, when runningMean and runningVar are
 * given, they are updated in place: running = (1 - momentum)·running + momentum·batch (the
 * variance unbiased). In evaluation the running statistics are used, and are required.
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  const fn = 'batchNorm';
  const opts = checkOptions<BatchNormOptions>(fn, options, ['weight', 'bias', 'training', 'momentum', 'eps']);
  checkTensor(fn, 'input', input);
  requireFloat(fn, input);
  const shape = input.shape;
  if (shape.length < 2) {
    throw new ShapeError(`${fn}: input must have at least 2 dimensions (N, C, ...), got shape [${shape.join(', ')}]`);
  }
  const channels = shape[1]!;
  const weight = channelTensor(fn, 'options.weight', opts.weight, channels);
  const bias = channelTensor(fn, 'options.bias', opts.bias, channels);
  const mean = channelTensor(fn, 'runningMean', runningMean, channels);
  const variance = channelTensor(fn, 'runningVar', runningVar, channels);
  if ((mean === null) !== (variance === null)) {
    throw new ArgumentError(
      `${fn}: runningMean and runningVar must be given together, got runningMean ${describe(runningMean)} and runningVar ${describe(runningVar)}`,
    );
  }
  for (const [arg, t] of [['runningMean', mean], ['runningVar', variance]] as const) {
    if (t?.requiresGrad) throw new ArgumentError(`${fn}: ${arg} must not require grad (it is a buffer updated in place), got a tensor that requires grad`);
  }
  const training = checkBool(fn, 'options.training', opts.training ?? false);
  const momentum = checkNumber(fn, 'options.momentum', opts.momentum ?? 0.1, { finite: true });
  const eps = checkNumber(fn, 'options.eps', opts.eps ?? 1e-5, { finite: true });
  if (eps < 0) fail(fn, 'options.eps', 'a finite number >= 0', eps);
  if (!training && mean === null) {
    throw new ArgumentError(
      `${fn}: runningMean and runningVar are required in evaluation mode (options.training false), got null; ` +
        "pass training: true to normalise with the batch's own statistics",
    );
  }
  const perChannel = shape.reduce((a, d, i) => (i === 1 ? a : a * d), 1);
  if (training && perChannel === 1) {
    throw new ShapeError(`${fn}: Expected more than 1 value per channel when training, got input size [${shape.join(', ')}]`);
  }
  const out = new Tensor(
    native.batchNorm(input._h, weight?._h ?? null, bias?._h ?? null, mean?._h ?? null, variance?._h ?? null, training, momentum, eps),
  );
  if (activeTracer !== null) activeTracer.op('batchNorm', [input, weight, bias, mean, variance], out, { training, eps });
  return out;
}

function dropoutOf(fn: 'dropout' | 'dropout2d', input: Tensor, options: DropoutOptions, channelwise: boolean): Tensor {
  const opts = checkOptions<DropoutOptions>(fn, options, ['p', 'training']);
  checkTensor(fn, 'input', input);
  requireFloat(fn, input);
  const p = checkRange(fn, 'options.p', opts.p ?? 0.5, { min: 0, max: 1, what: 'a probability' });
  const training = checkBool(fn, 'options.training', opts.training ?? true);
  if (channelwise && input.ndim < 2) {
    throw new ShapeError(`${fn}: input must have at least 2 dimensions (N, C, ...), got shape [${input.shape.join(', ')}]`);
  }
  // As torch: outside training, or with nothing to drop, the input itself.
  if (!training || p === 0) return input;
  return new Tensor(native.dropout(input._h, p, channelwise));
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p), so the expectation
 * is unchanged; the mask comes from the generator seeded by manualSeed(). Gradients flow
 * through the same scaled mask.
 */
export function dropout(input: Tensor, options: DropoutOptions = {}): Tensor {
  return dropoutOf('dropout', input, options, false);
}

/**
 * Channel-wise dropout for input (N, C, *): zeroes whole channels (all of input[n][c]) with
 * probability p and scales the rest by 1/(1-p).
 */
export function dropout2d(input: Tensor, options: DropoutOptions = {}): Tensor {
  return dropoutOf('dropout2d', input, options, true);
}
