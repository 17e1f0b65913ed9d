/** Adagrad: per-element steps scaled by the root of the summed squared gradients (torch.optim.Adagrad). */
import { full } from '../creation.js';
import { OptimizerKinds } from '../native.js';
import type { Tensor } from '../tensor.js';
import { checkFlag, checkNonNegative, Optimizer, type Params, type StateSlots } from './optimizer.js';

export interface AdagradOptions {
  lr: number;
  /** The step size decays as lr / (1 + (step - 1)·lrDecay). */
  lrDecay: number;
  weightDecay: number;
  /** The sum's starting value. */
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  protected readonly kind = OptimizerKinds.adagrad;

  constructor(params: Params<AdagradOptions>, options?: Partial<AdagradOptions>) {
    super('Adagrad', params, { lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options);
  }

  protected checkGroup(g: AdagradOptions, where: string): void {
    for (const name of ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const) checkNonNegative('Adagrad', where, name, g[name]);
    checkFlag('Adagrad', where, 'maximize', g.maximize);
  }

  protected override initialState(p: Tensor, _name: string, g: AdagradOptions): Tensor {
    return full(p.shape, g.initialAccumulatorValue);
  }

  protected stateSlots(): StateSlots {
    return ['sum', null, null];
  }

  protected hyperRow(g: AdagradOptions, step: number): number[] {
    return [g.lr, g.lrDecay, g.weightDecay, g.eps, +g.maximize, step, 0, 0];
  }
}
