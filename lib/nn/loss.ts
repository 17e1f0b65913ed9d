/**
 * Loss modules: `new CrossEntropyLoss().call(logits, target)`. Each keeps its options and
 * calls the fused function in nn.functional; a class weight is a buffer, so it moves with
 * stateDict() like PyTorch's.
 */
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../validate.js';
import {
  type BCEWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  type ClassLossOptions,
  crossEntropy,
  type CrossEntropyOptions,
  type LossOptions,
  l1Loss,
  mseLoss,
  nllLoss,
  type Reduction,
  type WeightedLossOptions,
} from './functional.js';
import { Module, type StateKeys } from './module.js';

abstract class Loss extends Module<[Tensor, Tensor], Tensor> {
  readonly reduction: Reduction;
  declare weight?: Tensor | null;

  protected constructor(fn: string, options: WeightedLossOptions | undefined, known: string[]) {
    super();
    const opts = checkOptions<WeightedLossOptions>(fn, options, known);
    this.reduction = opts.reduction ?? 'mean';
    if (known.includes('weight')) this.registerBuffer('weight', opts.weight ?? null);
  }
}

export class MSELoss extends Loss {
  constructor(options?: LossOptions) {
    super('MSELoss', options, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(options?: LossOptions) {
    super('L1Loss', options, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Softmax + cross-entropy on raw scores (logits), fused: see F.crossEntropy. */
export class CrossEntropyLoss extends Loss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options?: CrossEntropyOptions) {
    super('CrossEntropyLoss', options, ['reduction', 'weight', 'ignoreIndex', 'labelSmoothing']);
    this.ignoreIndex = options?.ignoreIndex ?? -100;
    this.labelSmoothing = options?.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    // ignoreIndex is passed only when set: it is an error with probability targets.
    const ignore = this.ignoreIndex === -100 ? {} : { ignoreIndex: this.ignoreIndex };
    return crossEntropy(input, target, { reduction: this.reduction, weight: this.weight, labelSmoothing: this.labelSmoothing, ...ignore });
  }
}

/** Negative log-likelihood of log-probabilities (after LogSoftmax). */
export class NLLLoss extends Loss {
  readonly ignoreIndex: number;
  constructor(options?: ClassLossOptions) {
    super('NLLLoss', options, ['reduction', 'weight', 'ignoreIndex']);
    this.ignoreIndex = options?.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

/** Binary cross-entropy of probabilities (after Sigmoid). */
export class BCELoss extends Loss {
  constructor(options?: WeightedLossOptions) {
    super('BCELoss', options, ['reduction', 'weight']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

/** Sigmoid + binary cross-entropy on raw scores, numerically stable. */
export class BCEWithLogitsLoss extends Loss {
  static override readonly stateKeys: StateKeys = { posWeight: 'pos_weight' };
  declare posWeight: Tensor | null;
  constructor(options?: BCEWithLogitsOptions) {
    super('BCEWithLogitsLoss', options, ['reduction', 'weight', 'posWeight']);
    this.registerBuffer('posWeight', options?.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight });
  }
}
