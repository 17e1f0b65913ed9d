/**
 * Pooling layers: each is its functional form (functional_pool.ts) as a module, printed as
 * PyTorch prints it. The sizes are kept as given (a number or a pair), since that is what
 * torch's repr shows: MaxPool2d(2) prints kernel_size=2, MaxPool2d([2, 3]) kernel_size=(2, 3).
 */
import type { Tensor } from '../tensor.js';
import { checkBool, checkInt, checkOptions, checkPair as pair } from '../validate.js';
import { adaptiveAvgPool2d, avgPool2d, type AvgPool2dOptions, maxPool2d, type MaxPool2dOptions, type Pair } from './functional_pool.js';
import { Module, pyBool } from './module.js';

// A size as Python prints it: 2, or (2, 3); null as None.
function py(v: number | readonly (number | null)[]): string {
  return typeof v === 'number' ? String(v) : `(${v.map((x) => (x === null ? 'None' : String(x))).join(', ')})`;
}

// A pair argument checked and kept in the form given (a copy, for a pair).
function keep(fn: string, arg: string, v: Pair, min: number): Pair {
  const p = pair(fn, arg, v, min);
  return typeof v === 'number' ? p[0] : p;
}

/** The maximum over each window: MaxPool2d(kernelSize, { stride, padding, dilation, ceilMode }). */
export class MaxPool2d extends Module {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly ceilMode: boolean;
  constructor(kernelSize: Pair, options?: MaxPool2dOptions) {
    super();
    const fn = 'MaxPool2d';
    const o = checkOptions<MaxPool2dOptions>(fn, options, ['stride', 'padding', 'dilation', 'ceilMode']);
    this.kernelSize = keep(fn, 'kernelSize', kernelSize, 1);
    this.stride = o.stride == null ? this.kernelSize : keep(fn, 'options.stride', o.stride, 1);
    this.padding = keep(fn, 'options.padding', o.padding ?? 0, 0);
    this.dilation = keep(fn, 'options.dilation', o.dilation ?? 1, 1);
    this.ceilMode = checkBool(fn, 'options.ceilMode', o.ceilMode ?? false);
  }
  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
  override extraRepr(): string {
    return (
      `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}, ` +
      `dilation=${py(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`
    );
  }
}

/** The mean over each window: AvgPool2d(kernelSize, { stride, padding, ceilMode, countIncludePad, divisorOverride }). */
export class AvgPool2d extends Module {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(kernelSize: Pair, options?: AvgPool2dOptions) {
    super();
    const fn = 'AvgPool2d';
    const o = checkOptions<AvgPool2dOptions>(fn, options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
    this.kernelSize = keep(fn, 'kernelSize', kernelSize, 1);
    this.stride = o.stride == null ? this.kernelSize : keep(fn, 'options.stride', o.stride, 1);
    this.padding = keep(fn, 'options.padding', o.padding ?? 0, 0);
    this.ceilMode = checkBool(fn, 'options.ceilMode', o.ceilMode ?? false);
    this.countIncludePad = checkBool(fn, 'options.countIncludePad', o.countIncludePad ?? true);
    this.divisorOverride = o.divisorOverride == null ? null : checkInt(fn, 'options.divisorOverride', o.divisorOverride, 1, 2 ** 31 - 1);
  }
  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
  /** As torch's: only the window (ceil_mode and the divisor rules are not printed). */
  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

/** Averages down to a fixed output size: AdaptiveAvgPool2d(outputSize), null keeping that input dimension. */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: number | [number | null, number | null];
  constructor(outputSize: number | [number | null, number | null]) {
    super();
    const fn = 'AdaptiveAvgPool2d';
    if (Array.isArray(outputSize) && outputSize.length === 2) {
      const entry = (i: number): number | null => (outputSize[i] === null ? null : checkInt(fn, `outputSize[${i}]`, outputSize[i], 1));
      this.outputSize = [entry(0), entry(1)];
    } else {
      this.outputSize = keep(fn, 'outputSize', outputSize as Pair, 1) as number;
    }
  }
  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}
