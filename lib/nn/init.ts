/**
 * nn.init: fill a tensor in place from a distribution (torch.nn.init). Every function runs
 * without recording autograd, draws from the seeded generator (manualSeed), and returns the
 * tensor. Layers use these for their default initialisation, never zeros: with all-zero
 * weights every hidden unit computes, and learns, the same thing.
 */
import { noGrad } from '../autograd.js';
import { ArgumentError } from '../errors.js';
import { checkTensor, requireFloat, type Tensor } from '../tensor.js';
import { checkNumber, checkOptions, fail } from '../validate.js';

export type Nonlinearity =
  | 'linear' | 'identity' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'leakyRelu' | 'selu';

export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

export interface KaimingOptions {
  /** The negative slope of the leaky ReLU that follows (0 for ReLU). Default 0. */
  a?: number;
  /** 'fanIn' (default) keeps the forward pass's variance, 'fanOut' the backward pass's. */
  mode?: FanMode;
  /** Default 'leaky_relu' (with slope a), as PyTorch. */
  nonlinearity?: Nonlinearity;
}

const LINEAR_GAIN = new Set(['linear', 'identity', 'conv1d', 'conv2d', 'conv3d', 'sigmoid']);

/** The recommended scale for the standard deviation after a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_GAIN.has(nonlinearity)) return 1;
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
    case 'leakyRelu': {
      const slope = param === undefined ? 0.01 : checkNumber('calculateGain', 'param', param, { finite: true });
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      return fail('calculateGain', 'nonlinearity', `one of ${[...LINEAR_GAIN, 'tanh', 'relu', 'leaky_relu', 'selu'].join(', ')}`, nonlinearity);
  }
}

/** fan_in = size(1) x receptive field, fan_out = size(0) x receptive field (weights are (out, in, ...)). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  checkTensor('calculateFanInAndFanOut', 'tensor', t);
  if (t.ndim < 2) {
    throw new ArgumentError(`init: fan in and fan out need a tensor with at least 2 dimensions, got shape [${t.shape.join(', ')}]`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function target(fn: string, t: Tensor): Tensor {
  checkTensor(fn, 'tensor', t);
  requireFloat(fn, t, 'tensor');
  return t;
}

export function uniform(t: Tensor, a = 0, b = 1): Tensor {
  target('uniform', t);
  return noGrad(() => t.uniform_(a, b));
}

export function normal(t: Tensor, mean = 0, std = 1): Tensor {
  target('normal', t);
  return noGrad(() => t.normal_(mean, std));
}

export function constant(t: Tensor, value: number): Tensor {
  target('constant', t);
  checkNumber('constant', 'value', value);
  return noGrad(() => t.fill_(value));
}

export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform(t: Tensor, gain = 1): Tensor {
  const bound = Math.sqrt(3) * xavierStd('xavierUniform', t, gain);
  return noGrad(() => t.uniform_(-bound, bound));
}

/** Glorot: N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal(t: Tensor, gain = 1): Tensor {
  const std = xavierStd('xavierNormal', t, gain);
  return noGrad(() => t.normal_(0, std));
}

function xavierStd(fn: string, t: Tensor, gain: number): number {
  target(fn, t);
  checkNumber(fn, 'gain', gain, { finite: true });
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** He: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculateGain(nonlinearity, a). */
export function kaimingUniform(t: Tensor, options?: KaimingOptions): Tensor {
  const std = kaimingStd('kaimingUniform', t, options);
  const bound = Math.sqrt(3) * std;
  return std === 0 ? t : noGrad(() => t.uniform_(-bound, bound));
}

/** He: N(0, std²) with std = gain / sqrt(fan). */
export function kaimingNormal(t: Tensor, options?: KaimingOptions): Tensor {
  const std = kaimingStd('kaimingNormal', t, options);
  return std === 0 ? t : noGrad(() => t.normal_(0, std));
}

/**
 * PyTorch's default for Linear and Conv layers: weight from kaimingUniform with a = √5 (that is
 * U(±1/√fanIn)), bias from U(±1/√fanIn).
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform(weight, { a: Math.sqrt(5) });
  if (bias !== null) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound);
  }
}

// 0 for an empty tensor (nothing to fill; PyTorch warns and returns it).
function kaimingStd(fn: string, t: Tensor, options: KaimingOptions | undefined): number {
  target(fn, t);
  const opts = checkOptions<KaimingOptions>(fn, options, ['a', 'mode', 'nonlinearity']);
  const a = opts.a === undefined ? 0 : checkNumber(fn, 'options.a', opts.a, { finite: true });
  const mode = opts.mode ?? 'fanIn';
  if (!['fanIn', 'fanOut', 'fan_in', 'fan_out'].includes(mode)) fail(fn, 'options.mode', "'fanIn' or 'fanOut'", mode);
  if (t.numel === 0) return 0;
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const fan = mode === 'fanIn' || mode === 'fan_in' ? fanIn : fanOut;
  return calculateGain(opts.nonlinearity ?? 'leaky_relu', a) / Math.sqrt(fan);
}
