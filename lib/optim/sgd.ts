/** Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD). */
import { OptimizerKinds } from '../native.js';
import { ArgumentError } from '../errors.js';
import { checkFlag, checkNonNegative, Optimizer, type Params, type StateSlots } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  /** Default 0 (plain SGD): v = momentum·v + (1 - dampening)·g, p -= lr·v. */
  momentum: number;
  dampening: number;
  /** L2 penalty added to the gradient: g + weightDecay·p. */
  weightDecay: number;
  /** Nesterov momentum: p -= lr·(g + momentum·v). Needs momentum > 0 and dampening 0. */
  nesterov: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  protected readonly kind = OptimizerKinds.sgd;

  /** options.lr is required (there is no good default learning rate for SGD). */
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (options?.lr === undefined) throw new ArgumentError('SGD: options.lr is required, e.g. new SGD(model.parameters(), { lr: 0.01 })');
    super('SGD', params, { lr: 0, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options);
  }

  protected checkGroup(g: SGDOptions, where: string): void {
    checkNonNegative('SGD', where, 'lr', g.lr);
    checkNonNegative('SGD', where, 'momentum', g.momentum);
    checkNonNegative('SGD', where, 'dampening', g.dampening);
    checkNonNegative('SGD', where, 'weightDecay', g.weightDecay);
    checkFlag('SGD', where, 'nesterov', g.nesterov);
    checkFlag('SGD', where, 'maximize', g.maximize);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ArgumentError(`SGD: ${where}.nesterov needs momentum > 0 and dampening 0, got momentum ${g.momentum} and dampening ${g.dampening}`);
    }
  }

  protected stateSlots(g: SGDOptions): StateSlots {
    return [g.momentum !== 0 ? 'momentumBuffer' : null, null, null];
  }

  // A fresh momentum buffer starts as the gradient itself (the native update reads step 1 so).
  protected hyperRow(g: SGDOptions, step: number, fresh: boolean): number[] {
    return [g.lr, g.momentum, g.dampening, g.weightDecay, +g.nesterov, +g.maximize, fresh ? 1 : Math.max(step, 2), 0];
  }
}
