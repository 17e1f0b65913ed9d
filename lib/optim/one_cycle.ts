/**
 * OneCycleLR (PyTorch 1.13): the 1cycle policy of "Super-Convergence" (Smith & Topor, 2017).
 * The lr warms up from maxLr / divFactor to maxLr, then anneals to initialLr / finalDivFactor,
 * while momentum (or Adam's beta1) moves the opposite way. Not chainable: every step is computed
 * from the phase boundaries. PyTorch keeps those in each param group (max_lr, min_lr, ...); here
 * only initialLr goes there, as for every scheduler, and the rest stay in the scheduler and its
 * stateDict(), because the optimizers check their groups' keys and would refuse unknown ones.
 */
import { ArgumentError } from '../errors.js';
import { checkBool, checkInt, checkOptions, checkRange, fail } from '../validate.js';
import { checkChoice, checkPositive, groupRecord, LRScheduler, perGroup, type SchedulableOptimizer } from './lr_scheduler.js';

export interface OneCycleLROptions {
  /** The peak lr: one number, or one per param group. */
  maxLr: number | number[];
  /** Steps in the cycle. Give this, or both epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent warming up, in [0, 1]. Default 0.3. */
  pctStart?: number;
  /** How each phase moves between its ends. Default 'cos'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD, RMSprop) or betas[0] (Adam, AdamW) inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  /** Momentum at the lr's peak. Default 0.85. */
  baseMomentum?: number | number[];
  /** Momentum at the start and end. Default 0.95. */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Three phases as in the paper (up, down to initialLr, then down to minLr) instead of fastai's two. */
  threePhase?: boolean;
}

type AnnealStrategy = 'cos' | 'linear';
const ANNEAL_STRATEGIES: readonly AnnealStrategy[] = ['cos', 'linear'];

type LrBound = 'initialLr' | 'maxLr' | 'minLr';
type MomentumBound = 'maxMomentum' | 'baseMomentum';

/** A phase ends at step endStep, moving between these per-group bounds. */
interface Phase {
  endStep: number;
  startLr: LrBound;
  endLr: LrBound;
  startMomentum: MomentumBound;
  endMomentum: MomentumBound;
}

// PyTorch's _schedule_phases, with the same float arithmetic for the phase ends.
function schedulePhases(totalSteps: number, pctStart: number, threePhase: boolean): Phase[] {
  const up: Phase = { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' };
  if (!threePhase) {
    return [up, { endStep: totalSteps - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' }];
  }
  return [
    up,
    { endStep: 2 * pctStart * totalSteps - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
    { endStep: totalSteps - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
  ];
}

function anneal(strategy: AnnealStrategy, start: number, end: number, pct: number): number {
  if (strategy === 'linear') return (end - start) * pct + start;
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** The stateKeys() with one number per param group, besides the base class's. */
const PER_GROUP = ['maxLrs', 'minLrs', 'maxMomenta', 'baseMomenta'];

const OPTIONS = ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum',
  'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase'] as const;

function checkUnit(fn: string, arg: string, v: unknown): number {
  return checkRange(fn, arg, v, { min: 0, max: 1 });
}

/** The 1cycle schedule; step() once per batch, at most totalSteps times after construction. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  pctStart: number;
  annealStrategy: AnnealStrategy;
  cycleMomentum: boolean;
  threePhase: boolean;
  /** Whether momentum is cycled through betas[0] (Adam) rather than momentum (SGD). */
  useBeta1: boolean;
  /** Per group: the peak lr, the final lr, and the momentum bounds (baseLrs holds the initial lr). */
  maxLrs: number[];
  minLrs: number[];
  maxMomenta: number[];
  baseMomenta: number[];

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    const fn = 'OneCycleLR';
    super(fn, optimizer);
    const o = checkOptions<OneCycleLROptions>(fn, options, OPTIONS);
    const groups = this.optimizer.paramGroups;
    this.totalSteps = totalStepsOf(fn, o);
    this.pctStart = checkUnit(fn, 'options.pctStart', o.pctStart ?? 0.3);
    this.annealStrategy = checkChoice(fn, 'options.annealStrategy', o.annealStrategy ?? 'cos', ANNEAL_STRATEGIES);
    this.cycleMomentum = checkBool(fn, 'options.cycleMomentum', o.cycleMomentum ?? true);
    this.threePhase = checkBool(fn, 'options.threePhase', o.threePhase ?? false);
    this.maxLrs = perGroup(fn, 'options.maxLr', o.maxLr, groups.length, (a, x) => checkPositive(fn, a, x));
    const divFactor = checkPositive(fn, 'options.divFactor', o.divFactor ?? 25);
    const finalDivFactor = checkPositive(fn, 'options.finalDivFactor', o.finalDivFactor ?? 1e4);
    const unit = (a: string, x: unknown) => checkUnit(fn, a, x);
    this.maxMomenta = perGroup(fn, 'options.maxMomentum', o.maxMomentum ?? 0.95, groups.length, unit);
    this.baseMomenta = perGroup(fn, 'options.baseMomentum', o.baseMomentum ?? 0.85, groups.length, unit);
    // PyTorch prefers betas when the optimizer has both.
    this.useBeta1 = this.cycleMomentum && groups.every((g) => Array.isArray(g.betas) && g.betas.length === 2);
    if (this.cycleMomentum && !this.useBeta1 && !groups.every((g) => typeof g.momentum === 'number')) {
      throw new ArgumentError(
        `${fn}: options.cycleMomentum needs param groups with momentum (SGD, RMSprop) or betas (Adam, AdamW); ` +
          `pass cycleMomentum: false for this optimizer; got a group with keys ${Object.keys(groups.find((g) => typeof g.momentum !== 'number')!).join(', ')}`,
      );
    }

    // Every option is valid: only now write to the groups, so a refused option leaves them as they were.
    // initialLr is set whether or not a group has one (PyTorch too), unlike the other schedulers.
    const initialLrs = this.maxLrs.map((m) => m / divFactor);
    this.minLrs = initialLrs.map((lr) => lr / finalDivFactor);
    groups.forEach((g, i) => {
      groupRecord(g).initialLr = initialLrs[i]!;
      if (this.cycleMomentum) this.setMomentum(g, this.maxMomenta[i]!);
    });
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new ArgumentError(
        `OneCycleLR.step: tried to step ${step + 1} times (counting the constructor's step), but options.totalSteps is ${this.totalSteps}`,
      );
    }
    const phases = schedulePhases(this.totalSteps, this.pctStart, this.threePhase);
    const lr = { initialLr: this.baseLrs, maxLr: this.maxLrs, minLr: this.minLrs };
    const momentum = { maxMomentum: this.maxMomenta, baseMomentum: this.baseMomenta };
    return this.optimizer.paramGroups.map((g, k) => {
      let startStep = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i]!;
        if (step <= phase.endStep || i === phases.length - 1) {
          // A phase of zero length (pctStart * totalSteps = 1) is over at its first step; PyTorch
          // 1.13 divides 0 by 0 there (ZeroDivisionError), so take the phase's end value instead.
          const span = phase.endStep - startStep;
          const pct = span === 0 ? 1 : (step - startStep) / span;
          if (this.cycleMomentum) {
            this.setMomentum(g, anneal(this.annealStrategy, momentum[phase.startMomentum][k]!, momentum[phase.endMomentum][k]!, pct));
          }
          return anneal(this.annealStrategy, lr[phase.startLr][k]!, lr[phase.endLr][k]!, pct);
        }
        startStep = phase.endStep;
      }
      throw new Error('unreachable: the last phase always matches');
    });
  }

  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'totalSteps', 'pctStart', 'annealStrategy', 'cycleMomentum', 'threePhase', 'useBeta1',
      ...PER_GROUP];
  }

  protected override groupKeys(): readonly string[] {
    return [...super.groupKeys(), ...PER_GROUP];
  }

  protected override checkState(fn: string, state: Record<string, unknown>): void {
    super.checkState(fn, state);
    checkInt(fn, 'state.totalSteps', state.totalSteps, 1);
    checkUnit(fn, 'state.pctStart', state.pctStart);
    checkChoice(fn, 'state.annealStrategy', state.annealStrategy, ANNEAL_STRATEGIES);
  }

  private setMomentum(group: OneCycleGroup, momentum: number): void {
    if (this.useBeta1) group.betas = [momentum, group.betas![1]];
    else group.momentum = momentum;
  }
}

type OneCycleGroup = SchedulableOptimizer['paramGroups'][number];

function totalStepsOf(fn: string, o: Partial<OneCycleLROptions>): number {
  if (o.totalSteps !== undefined) return checkInt(fn, 'options.totalSteps', o.totalSteps, 1);
  if (o.epochs === undefined && o.stepsPerEpoch === undefined) {
    throw new ArgumentError(`${fn}: options.totalSteps, or both options.epochs and options.stepsPerEpoch, must be given; got none of them`);
  }
  return checkInt(fn, 'options.epochs', o.epochs, 1) * checkInt(fn, 'options.stepsPerEpoch', o.stepsPerEpoch, 1);
}
