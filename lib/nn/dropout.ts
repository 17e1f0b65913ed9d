/** Dropout layers: active in training mode only (module.eval() turns them into the identity). */
import type { Tensor } from '../tensor.js';
import { checkRange } from '../validate.js';
import { dropout, dropout2d } from './functional_norm.js';
import { Module, pyFloat } from './module.js';

function checkP(fn: string, p: number): number {
  return checkRange(fn, 'p', p, { min: 0, max: 1, what: 'a probability' });
}

/** Zeroes each element with probability p and scales the rest by 1 / (1 - p) (seeded by manualSeed). */
export class Dropout extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    this.p = checkP('Dropout', p);
  }
  forward(input: Tensor): Tensor {
    return dropout(input, { p: this.p, training: this.training });
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}

/** Zeroes whole channels of (N, C, H, W) input with probability p. */
export class Dropout2d extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    this.p = checkP('Dropout2d', p);
  }
  forward(input: Tensor): Tensor {
    return dropout2d(input, { p: this.p, training: this.training });
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
