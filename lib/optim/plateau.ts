/**
 * ReduceLROnPlateau (PyTorch 1.13): cuts the lr by `factor` once a watched metric (a validation
 * loss, an accuracy) has not improved for `patience` steps. Unlike the other schedulers its
 * step() takes that metric, it takes no step when made, and lastEpoch starts at 0.
 */
import { checkInt, checkOptions, fail } from '../validate.js';
import { checkChoice, checkPositive, LRScheduler, perGroup, type SchedulableOptimizer } from './lr_scheduler.js';

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': it should rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** new lr = lr * factor, in [0, 1). Default 0.1. */
  factor?: number;
  /** Steps without improvement tolerated before the lr is cut. Default 10. */
  patience?: number;
  /** How much better a metric must be to count as an improvement. Default 1e-4. */
  threshold?: number;
  /** 'rel': better than best * (1 ∓ threshold); 'abs': better than best ∓ threshold. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a cut before counting bad steps again. Default 0. */
  cooldown?: number;
  /** The lowest lr: one number, or one per param group. Default 0. */
  minLr?: number | number[];
  /** A cut smaller than eps is skipped. Default 1e-8. */
  eps?: number;
}

type Mode = 'min' | 'max';
type ThresholdMode = 'rel' | 'abs';
const MODES: readonly Mode[] = ['min', 'max'];
const THRESHOLD_MODES: readonly ThresholdMode[] = ['rel', 'abs'];
const OPTIONS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'] as const;

/** A metric: a number, or anything with item() (a one-element Tensor). NaN counts as no improvement. */
export type PlateauMetric = number | { item(): number };

export class ReduceLROnPlateau extends LRScheduler {
  mode: Mode;
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: ThresholdMode;
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** The best metric so far (Infinity, or -Infinity in 'max' mode, before the first). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const fn = 'ReduceLROnPlateau';
    super(fn, optimizer);
    const o = checkOptions<ReduceLROnPlateauOptions>(fn, options, OPTIONS);
    this.mode = checkChoice(fn, 'options.mode', o.mode ?? 'min', MODES);
    this.factor = o.factor ?? 0.1;
    if (typeof this.factor !== 'number' || !(this.factor >= 0 && this.factor < 1)) fail(fn, 'options.factor', 'a number in [0, 1)', this.factor);
    this.patience = checkInt(fn, 'options.patience', o.patience ?? 10, 0);
    this.threshold = checkPositive(fn, 'options.threshold', o.threshold ?? 1e-4, { allowZero: true });
    this.thresholdMode = checkChoice(fn, 'options.thresholdMode', o.thresholdMode ?? 'rel', THRESHOLD_MODES);
    this.cooldown = checkInt(fn, 'options.cooldown', o.cooldown ?? 0, 0);
    const nonNegative = (a: string, x: unknown) => checkPositive(fn, a, x, { allowZero: true });
    this.minLrs = perGroup(fn, 'options.minLr', o.minLr ?? 0, this.optimizer.paramGroups.length, nonNegative);
    this.eps = checkPositive(fn, 'options.eps', o.eps ?? 1e-8, { allowZero: true });
    this.lastEpoch = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Records one value of the watched metric, and cuts the lr if it has stalled for longer than patience. */
  override step(metric?: PlateauMetric): void {
    const current = readMetric(metric);
    this.checkGroupCount();
    this.lastEpoch += 1;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad steps during a cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.lrs();
  }

  /** Whether step() would count `metric` as an improvement on the best so far. */
  isBetter(metric: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? metric < best * (1 - threshold) : metric < best - threshold;
    return this.thresholdMode === 'rel' ? metric > best * (threshold + 1) : metric > best + threshold;
  }

  /** Whether bad steps are being ignored after a cut. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const scaled = g.lr * this.factor;
      const newLr = this.minLrs[i]! > scaled ? this.minLrs[i]! : scaled; // Python's max(scaled, minLr)
      if (g.lr - newLr > this.eps) g.lr = newLr;
    });
  }

  // Never called: step() above replaces the chainable step of the base class.
  protected override computeLr(): number[] {
    return this.lrs();
  }

  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLrs', 'eps',
      'best', 'numBadEpochs', 'cooldownCounter'];
  }

  protected override groupKeys(): readonly string[] {
    return [...super.groupKeys(), 'minLrs'];
  }

  protected override checkState(fn: string, state: Record<string, unknown>): void {
    super.checkState(fn, state);
    checkChoice(fn, 'state.mode', state.mode, MODES);
    checkChoice(fn, 'state.thresholdMode', state.thresholdMode, THRESHOLD_MODES);
    checkInt(fn, 'state.numBadEpochs', state.numBadEpochs, 0);
    checkInt(fn, 'state.cooldownCounter', state.cooldownCounter, 0);
  }
}

function readMetric(metric: unknown): number {
  const value = typeof (metric as { item?: unknown } | null)?.item === 'function' ? (metric as { item(): unknown }).item() : metric;
  if (typeof value !== 'number') {
    fail('ReduceLROnPlateau.step', 'metric', 'a number or a one-element Tensor', metric);
  }
  return value;
}
