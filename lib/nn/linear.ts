/** Linear (a fully connected layer, y = x·Wᵀ + b) and Identity. */
import { zeros } from '../creation.js';
import { linear, type LinearOptions } from '../ops.js';
import type { Tensor } from '../tensor.js';
import { checkBool, checkInt, checkOptions } from '../validate.js';
import { defaultLayerInit } from './init.js';
import { Module, pyBool } from './module.js';
import { Parameter } from './parameter.js';

export interface LinearLayerOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** y = x·Wᵀ + b over the last dimension: input (..., inFeatures) → (..., outFeatures). */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** (outFeatures, inFeatures) */
  weight: Parameter;
  /** (outFeatures), or null without bias */
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options?: LinearLayerOptions) {
    super();
    this.inFeatures = checkInt('Linear', 'inFeatures', inFeatures, 0);
    this.outFeatures = checkInt('Linear', 'outFeatures', outFeatures, 0);
    const opts = checkOptions<LinearLayerOptions>('Linear', options, ['bias']);
    const withBias = opts.bias === undefined ? true : checkBool('Linear', 'options.bias', opts.bias);
    this.weight = new Parameter(zeros([outFeatures, inFeatures]));
    this.bias = withBias ? new Parameter(zeros([outFeatures])) : null;
    this.resetParameters();
  }

  /**
   * PyTorch's default: W ~ U(-1/√in, 1/√in) (kaiming_uniform with a = √5) and the same bound
   * for b. Seeded by manualSeed.
   */
  resetParameters(): void {
    defaultLayerInit(this.weight, this.bias);
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  /** The layer with an activation applied in the same native pass (what Sequential uses). */
  forwardFused(input: Tensor, epilogue: LinearOptions): Tensor {
    return linear(input, this.weight, this.bias, epilogue);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** Returns its input (a placeholder layer). */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}
