/** Conv2d: a 2-D convolution over (N, C, H, W) input, with PyTorch's options and default initialisation. */
import { zeros } from '../creation.js';
import { ArgumentError } from '../errors.js';
import type { LinearOptions } from '../ops.js';
import type { Tensor } from '../tensor.js';
import { checkBool, checkInt, checkOptions, checkPair as pair } from '../validate.js';
import { conv2d } from './functional_conv.js';
import { defaultLayerInit } from './init.js';
import { Module, pyBool } from './module.js';
import { Parameter } from './parameter.js';

export type Pair = number | [number, number];
export type Padding = Pair | 'same' | 'valid';

export interface Conv2dOptions {
  stride?: Pair;
  /** Zeros added on each side: a number, [height, width], 'valid' (none) or 'same' (output size = input size; stride 1). */
  padding?: Padding;
  dilation?: Pair;
  /** Split the channels into this many independent groups (groups = inChannels: depthwise). */
  groups?: number;
  bias?: boolean;
}

const tuple = (p: [number, number]): string => `(${p[0]}, ${p[1]})`;

/** weight (outChannels, inChannels / groups, kH, kW); bias (outChannels). Output (N, outChannels, H', W'). */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options?: Conv2dOptions) {
    super();
    const fn = 'Conv2d';
    this.inChannels = checkInt(fn, 'inChannels', inChannels, 1);
    this.outChannels = checkInt(fn, 'outChannels', outChannels, 1);
    this.kernelSize = pair(fn, 'kernelSize', kernelSize, 1);
    const o = checkOptions<Conv2dOptions>(fn, options, ['stride', 'padding', 'dilation', 'groups', 'bias']);
    this.stride = pair(fn, 'options.stride', o.stride ?? 1, 1);
    this.padding = o.padding === 'same' || o.padding === 'valid' ? o.padding : pair(fn, 'options.padding', o.padding ?? 0, 0);
    this.dilation = pair(fn, 'options.dilation', o.dilation ?? 1, 1);
    this.groups = checkInt(fn, 'options.groups', o.groups ?? 1, 1);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ArgumentError(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must both be divisible by groups (${this.groups})`);
    }
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new ArgumentError(`Conv2d: padding 'same' needs stride 1, got stride ${tuple(this.stride)}`);
    }
    const withBias = o.bias === undefined ? true : checkBool(fn, 'options.bias', o.bias);
    this.weight = new Parameter(zeros([outChannels, inChannels / this.groups, ...this.kernelSize]));
    this.bias = withBias ? new Parameter(zeros([outChannels])) : null;
    this.resetParameters();
  }

  /** PyTorch's default: kaiming_uniform with a = √5 for the weight, U(±1/√fanIn) for the bias. */
  resetParameters(): void {
    defaultLayerInit(this.weight, this.bias);
  }

  forward(input: Tensor): Tensor {
    return this.forwardFused(input, {});
  }

  /** The convolution with an activation applied in the same native pass (what Sequential uses). */
  forwardFused(input: Tensor, epilogue: LinearOptions): Tensor {
    return conv2d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      ...epilogue,
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += `, bias=${pyBool(false)}`;
    return s;
  }
}
