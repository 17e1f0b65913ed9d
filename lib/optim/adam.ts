/** Adam and AdamW (decoupled weight decay), with AMSGrad (torch.optim.Adam, torch.optim.AdamW). */
import { ArgumentError } from '../errors.js';
import { OptimizerKinds } from '../native.js';
import { checkFlag, checkNonNegative, checkUnitInterval, Optimizer, type Params, type StateSlots } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  /** Decay rates of the gradient's running mean and of its square (default [0.9, 0.999]). */
  betas: [number, number];
  eps: number;
  /** Adam: L2 penalty added to the gradient. AdamW: p *= 1 - lr·weightDecay before the step. */
  weightDecay: number;
  /** Use the running maximum of the squared-gradient average (AMSGrad). */
  amsgrad: boolean;
  maximize: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected checkGroup(g: AdamOptions, where: string): void {
    const name = this.constructor.name;
    checkNonNegative(name, where, 'lr', g.lr);
    checkNonNegative(name, where, 'eps', g.eps);
    checkNonNegative(name, where, 'weightDecay', g.weightDecay);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) {
      throw new ArgumentError(`${name}: ${where}.betas must be an array [beta1, beta2], got ${JSON.stringify(g.betas)}`);
    }
    checkUnitInterval(name, where, 'betas[0]', g.betas[0]);
    checkUnitInterval(name, where, 'betas[1]', g.betas[1]);
    checkFlag(name, where, 'amsgrad', g.amsgrad);
    checkFlag(name, where, 'maximize', g.maximize);
  }

  protected stateSlots(g: AdamOptions): StateSlots {
    return ['expAvg', 'expAvgSq', g.amsgrad ? 'maxExpAvgSq' : null];
  }

  protected hyperRow(g: AdamOptions, step: number): number[] {
    return [g.lr, g.betas[0], g.betas[1], g.eps, g.weightDecay, +g.amsgrad, +g.maximize, step];
  }
}

export class Adam extends AdamBase {
  protected readonly kind = OptimizerKinds.adam;
  constructor(params: Params<AdamOptions>, options?: Partial<AdamOptions>) {
    super('Adam', params, { lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options);
  }
}

export class AdamW extends AdamBase {
  protected readonly kind = OptimizerKinds.adamw;
  constructor(params: Params<AdamOptions>, options?: Partial<AdamOptions>) {
    super('AdamW', params, { lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false }, options);
  }
}
