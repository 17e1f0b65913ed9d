/**
 * 2-D convolution as a function, shaped like torch.nn.functional.conv2d, with an optional fused
 * activation (as linear's). One native op (native/ops/conv.cc: im2col + GEMM) whose gradient,
 * node ConvolutionBackward0, is recorded natively. Arguments are checked here and handed to the
 * core as fixed-length lists; 'same' padding is resolved into (top, bottom, left, right).
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { Activation, native } from '../native.js';
import { checkTensor, requireFloat, Tensor } from '../tensor.js';
import { activeTracer } from '../trace_hook.js';
import { checkInt, checkNumber, checkOptions, checkPair as pair, fail } from '../validate.js';

export interface Conv2dOptions {
  /** Step between kernel applications, one number or [sH, sW] (default 1). */
  stride?: number | [number, number];
  /** Zeros added on each side, one number or [pH, pW], or 'valid' (0) or 'same' (output size = input size; stride 1 only). Default 0. */
  padding?: number | [number, number] | 'same' | 'valid';
  /** Spacing between kernel taps, one number or [dH, dW] (default 1). */
  dilation?: number | [number, number];
  /** Channels split into this many independent groups; C_in and C_out must divide by it (default 1). */
  groups?: number;
  /** Applied to the output inside the same native op (default 'identity'). */
  activation?: keyof typeof Activation;
  /** The slope for x < 0 of activation 'leakyRelu' (default 0.01). */
  negativeSlope?: number;
}

/**
 * Convolves input (N, C_in, H, W) with weight (C_out, C_in/groups, kH, kW), adds bias (C_out)
 * when given and applies the activation: output (N, C_out, H_out, W_out) with
 * H_out = ⌊(H + 2·pH - dH·(kH - 1) - 1) / sH⌋ + 1 (likewise W_out).
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const fn = 'conv2d';
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'weight', weight);
  if (bias != null) checkTensor(fn, 'bias', bias);
  const opts = checkOptions<Conv2dOptions>(fn, options, ['stride', 'padding', 'dilation', 'groups', 'activation', 'negativeSlope']);
  requireFloat(fn, input);
  requireFloat(fn, weight, 'weight');
  if (bias != null) requireFloat(fn, bias, 'bias');
  if (input.ndim !== 4) throw new ShapeError(`${fn}: input must be 4-D (N, C_in, H, W), got shape [${input.shape.join(', ')}]`);
  if (weight.ndim !== 4) {
    throw new ShapeError(`${fn}: weight must be 4-D (C_out, C_in/groups, kH, kW), got shape [${weight.shape.join(', ')}]`);
  }
  const stride = pair(fn, 'options.stride', opts.stride ?? 1, 1);
  const dilation = pair(fn, 'options.dilation', opts.dilation ?? 1, 1);
  const groups = checkInt(fn, 'options.groups', opts.groups ?? 1, 1);
  const [cOut, cInPerGroup, kH, kW] = weight.shape as [number, number, number, number];
  const [, cIn, h, w] = input.shape as [number, number, number, number];
  if (cIn % groups !== 0) throw new ShapeError(`${fn}: input channels (${cIn}) must be divisible by options.groups (${groups})`);
  if (cOut % groups !== 0) throw new ShapeError(`${fn}: weight's output channels (${cOut}) must be divisible by options.groups (${groups})`);
  if (cInPerGroup * groups !== cIn) {
    throw new ShapeError(
      `${fn}: weight of shape [${weight.shape.join(', ')}] with groups = ${groups} expects ${cInPerGroup * groups} input channels, got input of shape [${input.shape.join(', ')}]`,
    );
  }
  if (bias != null && (bias.ndim !== 1 || bias.shape[0] !== cOut)) {
    throw new ShapeError(`${fn}: bias must have shape [${cOut}], got [${bias.shape.join(', ')}]`);
  }
  let padding: [number, number, number, number];
  const pad = opts.padding ?? 0;
  if (pad === 'valid') {
    padding = [0, 0, 0, 0];
  } else if (pad === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new ArgumentError(`${fn}: options.padding 'same' needs stride 1 (as torch), got stride [${stride.join(', ')}]`);
    }
    // The total padding keeps the size; an odd total puts the extra zero at the bottom/right (torch's rule).
    const totalH = dilation[0] * (kH - 1), totalW = dilation[1] * (kW - 1);
    padding = [totalH >> 1, totalH - (totalH >> 1), totalW >> 1, totalW - (totalW >> 1)];
  } else if (typeof pad === 'string') {
    fail(fn, 'options.padding', "an integer >= 0, a pair of them, 'same' or 'valid'", pad);
  } else {
    const [pH, pW] = pair(fn, 'options.padding', pad, 0);
    padding = [pH, pH, pW, pW];
  }
  const spanH = dilation[0] * (kH - 1) + 1, spanW = dilation[1] * (kW - 1) + 1;
  const paddedH = h + padding[0] + padding[1], paddedW = w + padding[2] + padding[3];
  if (paddedH < spanH || paddedW < spanW) {
    throw new ShapeError(
      `${fn}: the padded input (${paddedH}x${paddedW}) is smaller than the dilated kernel (${spanH}x${spanW}): the output would be empty`,
    );
  }
  const activation = opts.activation ?? 'identity';
  if (typeof activation !== 'string' || !Object.hasOwn(Activation, activation)) {
    fail(fn, 'options.activation', `one of ${Object.keys(Activation).join(', ')}`, activation);
  }
  const slope = checkNumber(fn, 'options.negativeSlope', opts.negativeSlope ?? 0.01, { finite: true });
  if (opts.negativeSlope !== undefined && activation !== 'leakyRelu') {
    throw new ArgumentError(`${fn}: options.negativeSlope only applies to activation 'leakyRelu', got activation '${activation}'`);
  }
  const out = new Tensor(
    native.conv2d(input._h, weight._h, bias != null ? bias._h : null, stride, padding, dilation, groups, Activation[activation], slope),
  );
  if (activeTracer !== null) activeTracer.op('conv2d', [input, weight, bias ?? null], out, { stride, padding, dilation, groups, activation, negativeSlope: slope });
  return out;
}
