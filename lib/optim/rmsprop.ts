/** RMSprop: steps scaled by a running average of squared gradients (torch.optim.RMSprop). */
import { OptimizerKinds } from '../native.js';
import { checkFlag, checkNonNegative, Optimizer, type Params, type StateSlots } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  /** Smoothing of the squared-gradient average (default 0.99). */
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  /** Divide by the estimated variance (average of g² minus the square of the average of g). */
  centered: boolean;
  maximize: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  protected readonly kind = OptimizerKinds.rmsprop;

  constructor(params: Params<RMSpropOptions>, options?: Partial<RMSpropOptions>) {
    super('RMSprop', params, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options);
  }

  protected checkGroup(g: RMSpropOptions, where: string): void {
    for (const name of ['lr', 'alpha', 'eps', 'weightDecay', 'momentum'] as const) checkNonNegative('RMSprop', where, name, g[name]);
    checkFlag('RMSprop', where, 'centered', g.centered);
    checkFlag('RMSprop', where, 'maximize', g.maximize);
  }

  protected stateSlots(g: RMSpropOptions): StateSlots {
    return ['squareAvg', g.momentum > 0 ? 'momentumBuffer' : null, g.centered ? 'gradAvg' : null];
  }

  protected hyperRow(g: RMSpropOptions): number[] {
    return [g.lr, g.alpha, g.eps, g.weightDecay, g.momentum, +g.centered, +g.maximize, 0];
  }
}
