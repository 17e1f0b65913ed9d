/**
 * 2-D pooling as functions, shaped like torch.nn.functional.max_pool2d, avg_pool2d and
 * adaptive_avg_pool2d, over input (N, C, H, W) or (C, H, W). Each is one native op
 * (native/ops/pool.cc) whose gradient is recorded natively. Arguments are checked here, with
 * PyTorch's output-size rule, and reach the core as [height, width] pairs.
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import { checkTensor, requireFloat, Tensor } from '../tensor.js';
import { activeTracer } from '../trace_hook.js';
import { checkBool, checkInt, checkOptions, checkPair as pair, fail } from '../validate.js';

export type Pair = number | [number, number];

export interface MaxPool2dOptions {
  /** Step between windows, one number or [sH, sW] (default: the kernel size). */
  stride?: Pair | null;
  /** Implicit -inf added on each side, at most half the kernel size (default 0). */
  padding?: Pair;
  /** Spacing between a window's taps (default 1). */
  dilation?: Pair;
  /** Round the output size up rather than down, so a last partial window is kept (default false). */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  /** Step between windows, one number or [sH, sW] (default: the kernel size). */
  stride?: Pair | null;
  /** Implicit zeros added on each side, at most half the kernel size (default 0). */
  padding?: Pair;
  /** Round the output size up rather than down, so a last partial window is kept (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true, as torch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its size (default none). */
  divisorOverride?: number | null;
}


const show = (p: readonly number[]): string => `[${p.join(', ')}]`;

// The input's checks: a float32 tensor (N, C, H, W) or (C, H, W) with non-empty planes.
function checkInput(fn: string, input: Tensor): void {
  checkTensor(fn, 'input', input);
  requireFloat(fn, input);
  const s = input.shape;
  if (s.length !== 3 && s.length !== 4) {
    throw new ShapeError(`${fn}: input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape ${show(s)}`);
  }
  if (s.slice(-3).includes(0)) throw new ShapeError(`${fn}: input must have non-zero C, H and W, got shape ${show(s)}`);
}

// torch's pooling_output_shape: ⌊(n + 2p - d(k-1) - 1 + (ceil ? s-1 : 0)) / s⌋ + 1, less one
// when ceil mode would start the last window in the right padding.
function outputSize(n: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  let out = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && (out - 1) * s >= n + p) out--;
  return out;
}

interface Window {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
}

// kernelSize and the window options, checked against each other and the input's size.
function windowOf(fn: string, input: Tensor, kernelSize: unknown, o: MaxPool2dOptions): Window {
  const kernel = pair(fn, 'kernelSize', kernelSize, 1);
  const stride = o.stride == null ? kernel : pair(fn, 'options.stride', o.stride, 1);
  const padding = pair(fn, 'options.padding', o.padding ?? 0, 0);
  const dilation = pair(fn, 'options.dilation', o.dilation ?? 1, 1);
  const ceilMode = checkBool(fn, 'options.ceilMode', o.ceilMode ?? false);
  if (padding[0] > kernel[0] >> 1 || padding[1] > kernel[1] >> 1) {
    throw new ArgumentError(
      `${fn}: options.padding must be at most half the kernel size (${show([kernel[0] >> 1, kernel[1] >> 1])} for kernelSize ${show(kernel)}), got ${show(padding)}`,
    );
  }
  const [h, w] = input.shape.slice(-2) as [number, number];
  const out = [0, 1].map((i) => outputSize([h, w][i]!, kernel[i]!, stride[i]!, padding[i]!, dilation[i]!, ceilMode));
  if (out[0]! < 1 || out[1]! < 1) {
    throw new ShapeError(
      `${fn}: the output size is too small: input of shape ${show(input.shape)} with kernelSize ${show(kernel)}, stride ${show(stride)}, ` +
        `padding ${show(padding)} and dilation ${show(dilation)} gives an output of ${out[0]}x${out[1]}`,
    );
  }
  return { kernel, stride, padding, dilation, ceilMode };
}

/**
 * The maximum of each kernelSize window (padding counts as -inf; a NaN in the window wins, as
 * torch). Output (..., H_out, W_out) with H_out = ⌊(H + 2·pH - dH·(kH - 1) - 1) / sH⌋ + 1
 * (rounded up in ceilMode). The gradient flows to each window's maximum.
 */
export function maxPool2d(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor {
  const fn = 'maxPool2d';
  const o = checkOptions<MaxPool2dOptions>(fn, options, ['stride', 'padding', 'dilation', 'ceilMode']);
  checkInput(fn, input);
  const w = windowOf(fn, input, kernelSize, o);
  const out = new Tensor(native.maxPool2d(input._h, w.kernel, w.stride, w.padding, w.dilation, w.ceilMode));
  if (activeTracer !== null) activeTracer.op('maxPool2d', [input], out, { ...w });
  return out;
}

/**
 * The mean of each kernelSize window. The divisor is divisorOverride when given, else the
 * window's size clipped to the padded input (countIncludePad, the default) or the number of
 * real input elements in it; output size as maxPool2d's with dilation 1.
 */
export function avgPool2d(input: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  const fn = 'avgPool2d';
  const o = checkOptions<AvgPool2dOptions>(fn, options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  checkInput(fn, input);
  const w = windowOf(fn, input, kernelSize, o);
  const countIncludePad = checkBool(fn, 'options.countIncludePad', o.countIncludePad ?? true);
  const divisor = o.divisorOverride == null ? 0 : checkInt(fn, 'options.divisorOverride', o.divisorOverride, 1, 2 ** 31 - 1);
  const out = new Tensor(native.avgPool2d(input._h, w.kernel, w.stride, w.padding, w.ceilMode, countIncludePad, divisor));
  if (activeTracer !== null) activeTracer.op('avgPool2d', [input], out, { ...w, countIncludePad, divisor });
  return out;
}

/**
 * Averages input (..., H, W) down to outputSize [OH, OW]: output row i averages input rows
 * ⌊i·H/OH⌋ to ⌈(i+1)·H/OH⌉ - 1, columns alike. A null entry keeps that input dimension.
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | [number | null, number | null]): Tensor {
  const fn = 'adaptiveAvgPool2d';
  checkInput(fn, input);
  const [h, w] = input.shape.slice(-2) as [number, number];
  const size: [number | null, number | null] = Array.isArray(outputSize) ? outputSize : [outputSize, outputSize];
  if (!Array.isArray(outputSize) && typeof outputSize !== 'number') {
    fail(fn, 'outputSize', 'an integer >= 1 or a pair [height, width] of them (null: keep the input size)', outputSize);
  }
  if (size.length !== 2) fail(fn, 'outputSize', 'an integer >= 1 or a pair [height, width] of them (null: keep the input size)', outputSize);
  const arg = (i: number): string => (Array.isArray(outputSize) ? `outputSize[${i}]` : 'outputSize');
  const resolved: [number, number] = [
    size[0] === null ? h : checkInt(fn, arg(0), size[0], 1),
    size[1] === null ? w : checkInt(fn, arg(1), size[1], 1),
  ];
  const out = new Tensor(native.adaptiveAvgPool2d(input._h, resolved));
  if (activeTracer !== null) activeTracer.op('adaptiveAvgPool2d', [input], out, { outputSize: resolved });
  return out;
}
