/**
 * Learning-rate schedulers, after torch.optim.lr_scheduler (PyTorch 1.13). Each step() applies
 * PyTorch's chainable recursion to the lr already in each param group rather than a closed
 * form, so the float sequences match PyTorch's and a schedule composes with lr changes made
 * from outside (another scheduler, a warm-up written by hand). This file holds the base class
 * and the simple decays; OneCycleLR and ReduceLROnPlateau live in one_cycle.ts and plateau.ts.
 *
 * They touch nothing but plain numbers in the optimizer's param groups, so any object shaped
 * like SchedulableOptimizer works, and they never call into the native core.
 */
import { ArgumentError } from '../errors.js';
import { checkInt, checkNumber, checkOptions, checkRange, describe, fail } from '../validate.js';

/**
 * The part of a param group a scheduler reads and writes. The one key a scheduler adds, initialLr
 * (PyTorch's 'initial_lr'), is written through groupRecord(). There
 * is deliberately no `[key: string]: unknown` index signature: TypeScript would then refuse an
 * optimizer whose group type is an interface (interfaces have no implicit index signature).
 */
export interface SchedulableParamGroup {
  lr: number;
  /** SGD and RMSprop: what OneCycleLR cycles. */
  momentum?: number;
  /** Adam and AdamW: OneCycleLR cycles betas[0]. */
  betas?: readonly [number, number];
}

/** Any optimizer with param groups: SGD, Adagrad, RMSprop, Adam, AdamW, or a plain object. */
export interface SchedulableOptimizer {
  paramGroups: SchedulableParamGroup[];
}

/** A scheduler's state: plain JSON (non-finite numbers are written as the strings "Infinity", "-Infinity", "NaN"). */
export type SchedulerState = Record<string, number | string | boolean | Array<number | string>>;

/** A param group seen as a record, for the keys schedulers store in it (as PyTorch does). */
export function groupRecord(group: SchedulableParamGroup): Record<string, unknown> {
  return group as unknown as Record<string, unknown>;
}

function checkOptimizer(fn: string, optimizer: unknown): SchedulableOptimizer {
  const groups = (optimizer as { paramGroups?: unknown } | null)?.paramGroups;
  const expectation = 'an optimizer whose paramGroups is a non-empty array of groups with a numeric lr';
  if (!Array.isArray(groups) || groups.length === 0) fail(fn, 'optimizer', expectation, optimizer);
  groups.forEach((g, i) => {
    if (g === null || typeof g !== 'object') fail(fn, `optimizer.paramGroups[${i}]`, 'an object', g);
    checkNumber(fn, `optimizer.paramGroups[${i}].lr`, (g as { lr?: unknown }).lr, { finite: true });
  });
  return optimizer as SchedulableOptimizer;
}

/** A finite number > 0 (or >= 0 with `allowZero`). */
export function checkPositive(fn: string, arg: string, v: unknown, { allowZero = false } = {}): number {
  return checkRange(fn, arg, v, { min: 0, minOpen: !allowZero });
}

/** A number (checked by `check`) for every group, or an array of one per group. */
export function perGroup(fn: string, arg: string, v: unknown, groups: number, check: (a: string, x: unknown) => number): number[] {
  if (!Array.isArray(v)) return new Array<number>(groups).fill(check(arg, v));
  if (v.length !== groups) fail(fn, arg, `a number or an array of ${groups} numbers (one per param group)`, v);
  return v.map((x, i) => check(`${arg}[${i}]`, x));
}

/** One of a few strings. */
export function checkChoice<T extends string>(fn: string, arg: string, v: unknown, choices: readonly T[]): T {
  if (!choices.includes(v as T)) fail(fn, arg, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, v);
  return v as T;
}

const encode = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const decode = (x: unknown): number => (typeof x === 'string' && ['Infinity', '-Infinity', 'NaN'].includes(x) ? Number(x) : (x as number));

export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  /** Steps taken: -1 until the constructor's initial step makes it 0 (ReduceLROnPlateau starts at 0). */
  lastEpoch = -1;
  /** Each group's initialLr when the schedule began: PyTorch's base_lrs. */
  baseLrs: number[];
  protected lastLr: number[];
  /** The class name, for error messages. */
  protected readonly name: string;

  /** Validates the optimizer and changes nothing: subclasses check their options, then call initialStep(). */
  protected constructor(name: string, optimizer: unknown) {
    this.name = name;
    this.optimizer = checkOptimizer(name, optimizer);
    this.baseLrs = this.lrs();
    this.lastLr = this.lrs();
  }

  /**
   * What PyTorch's base constructor does once the subclass is set up: store each group's
   * initialLr (kept if already there, from an earlier scheduler) and take step 0.
   */
  protected initialStep(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const record = groupRecord(g);
      if (record.initialLr === undefined) record.initialLr = g.lr;
      checkNumber(this.name, `optimizer.paramGroups[${i}].initialLr`, record.initialLr, { finite: true });
    });
    this.baseLrs = this.optimizer.paramGroups.map((g) => groupRecord(g).initialLr as number);
    this.step();
  }

  /** Advances the schedule by one step (an epoch, or a batch for OneCycleLR) and writes each group's lr. */
  step(): void {
    this.checkGroupCount();
    this.lastEpoch += 1;
    let lrs: number[];
    try {
      lrs = this.computeLr();
    } catch (e) {
      this.lastEpoch -= 1; // a refused step leaves the schedule where it was
      throw e;
    }
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    this.lastLr = this.lrs();
  }

  /** The lr of each group after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The schedule's position and options as plain JSON; the lrs themselves live in the optimizer's groups. */
  stateDict(): SchedulerState {
    const state: SchedulerState = {};
    const self = this as unknown as Record<string, unknown>;
    for (const key of this.stateKeys()) {
      const v = self[key];
      state[key] = Array.isArray(v) ? v.map(encode) : typeof v === 'number' ? encode(v) : (v as string | boolean);
    }
    return state;
  }

  /** Restores what stateDict() returned, after checking that every key is there with the right type. */
  loadStateDict(state: SchedulerState): void {
    const fn = `${this.name}.loadStateDict`;
    if (state === null || typeof state !== 'object' || Array.isArray(state)) fail(fn, 'state', 'an object', state);
    const keys = this.stateKeys();
    for (const key of Object.keys(state)) {
      if (!keys.includes(key)) throw new ArgumentError(`${fn}: unknown key ${JSON.stringify(key)}; a ${this.name} state has ${keys.join(', ')}`);
    }
    const self = this as unknown as Record<string, unknown>;
    const decoded: Record<string, unknown> = {};
    for (const key of keys) {
      const current = self[key];
      const v = (state as Record<string, unknown>)[key];
      if (Array.isArray(current)) {
        const groups = this.groupKeys().includes(key) ? this.optimizer.paramGroups.length : undefined;
        if (!Array.isArray(v) || (groups !== undefined && v.length !== groups) || v.map(decode).some((x) => typeof x !== 'number')) {
          fail(fn, `state.${key}`, groups === undefined ? 'an array of numbers' : `an array of ${groups} numbers (one per param group)`, v);
        }
        decoded[key] = v.map(decode);
      } else if (typeof current === 'number') {
        if (typeof decode(v) !== 'number') fail(fn, `state.${key}`, 'a number', v);
        decoded[key] = decode(v);
      } else if (typeof v !== typeof current) {
        fail(fn, `state.${key}`, `a ${typeof current}`, v);
      } else decoded[key] = v;
    }
    this.checkState(fn, decoded);
    Object.assign(this, decoded);
  }

  /** The fields stateDict() saves; subclasses add their options and counters. */
  protected stateKeys(): readonly string[] {
    return ['lastEpoch', 'baseLrs', 'lastLr'];
  }

  /** The stateKeys() that hold one number per param group. */
  protected groupKeys(): readonly string[] {
    return ['baseLrs', 'lastLr'];
  }

  /** Extra checks of a decoded state before loadStateDict() applies it (for fields with a few legal values). */
  protected checkState(fn: string, state: Record<string, unknown>): void {
    checkInt(fn, 'state.lastEpoch', state.lastEpoch, -1);
  }

  /** The lr of every group for step lastEpoch, from the groups' current lrs (PyTorch's get_lr). */
  protected abstract computeLr(): number[];

  protected lrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  protected checkGroupCount(): void {
    const n = this.optimizer.paramGroups.length;
    if (n !== this.baseLrs.length) {
      throw new ArgumentError(
        `${this.name}.step: optimizer.paramGroups must keep the ${this.baseLrs.length} group(s) the scheduler was made with, got ${describe(this.optimizer.paramGroups)}`,
      );
    }
  }
}

// ---- the simple decays ------------------------------------------------------------------------

export interface StepLROptions {
  /** Decay every stepSize steps (a positive integer). */
  stepSize: number;
  /** Factor applied at each decay. Default 0.1. */
  gamma?: number;
}

/** Multiplies the lr by gamma every stepSize steps. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    super('StepLR', optimizer);
    const o = checkOptions<StepLROptions>('StepLR', options, ['stepSize', 'gamma']);
    this.stepSize = checkInt('StepLR', 'options.stepSize', o.stepSize, 1);
    this.gamma = checkPositive('StepLR', 'options.gamma', o.gamma ?? 0.1);
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const e = this.lastEpoch;
    if (e === 0 || e % this.stepSize !== 0) return this.lrs();
    return this.lrs().map((lr) => lr * this.gamma);
  }

  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'stepSize', 'gamma'];
  }
}

export interface MultiStepLROptions {
  /** Steps at which to decay: non-negative integers; one listed twice decays by gamma² there. */
  milestones: number[];
  /** Factor applied at each milestone. Default 0.1. */
  gamma?: number;
}

/** Multiplies the lr by gamma at each milestone. */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    super('MultiStepLR', optimizer);
    const o = checkOptions<MultiStepLROptions>('MultiStepLR', options, ['milestones', 'gamma']);
    this.milestones = checkMilestones('MultiStepLR', 'options.milestones', o.milestones);
    this.gamma = checkPositive('MultiStepLR', 'options.gamma', o.gamma ?? 0.1);
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return this.lrs();
    return this.lrs().map((lr) => lr * this.gamma ** count);
  }

  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'milestones', 'gamma'];
  }

  protected override checkState(fn: string, state: Record<string, unknown>): void {
    super.checkState(fn, state);
    checkMilestones(fn, 'state.milestones', state.milestones);
  }
}

function checkMilestones(fn: string, arg: string, v: unknown): number[] {
  const ok = Array.isArray(v) && v.every((m) => Number.isInteger(m) && m >= 0);
  if (!ok) fail(fn, arg, 'an array of non-negative integers', v);
  return [...(v as number[])].sort((a, b) => a - b);
}

export interface ExponentialLROptions {
  /** Factor applied every step. */
  gamma: number;
}

/** Multiplies the lr by gamma every step. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer);
    const o = checkOptions<ExponentialLROptions>('ExponentialLR', options, ['gamma']);
    this.gamma = checkPositive('ExponentialLR', 'options.gamma', o.gamma);
    this.initialStep();
  }

  protected override computeLr(): number[] {
    if (this.lastEpoch === 0) return this.lrs();
    return this.lrs().map((lr) => lr * this.gamma);
  }

  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'gamma'];
  }
}

export interface CosineAnnealingLROptions {
  /** Steps from the initial lr down to etaMin (a positive integer); the schedule then climbs back. */
  tMax: number;
  /** The lowest lr. Default 0. */
  etaMin?: number;
}

/** Cosine annealing from each group's initial lr to etaMin over tMax steps (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer);
    const o = checkOptions<CosineAnnealingLROptions>('CosineAnnealingLR', options, ['tMax', 'etaMin']);
    this.tMax = checkInt('CosineAnnealingLR', 'options.tMax', o.tMax, 1);
    this.etaMin = checkPositive('CosineAnnealingLR', 'options.etaMin', o.etaMin ?? 0, { allowZero: true });
    this.initialStep();
  }

  // PyTorch's recursion, term for term (the evaluation order matters for matching its floats).
  // Its third case (a first step with lastEpoch > 0) needs a constructor lastEpoch, which this port
  // leaves to loadStateDict().
  protected override computeLr(): number[] {
    const e = this.lastEpoch;
    const { tMax, etaMin } = this;
    if (e === 0) return this.lrs();
    // At the bottom of the cosine the ratio below would divide by zero: add the rise instead.
    if ((e - 1 - tMax) % (2 * tMax) === 0) {
      return this.lrs().map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax));
    return this.lrs().map((lr) => ratio * (lr - etaMin) + etaMin);
  }

  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'tMax', 'etaMin'];
  }
}

export interface LinearLROptions {
  /** Factor of the initial lr at step 0, in (0, 1]. Default 1/3. */
  startFactor?: number;
  /** Factor reached at step totalIters, in [0, 1]. Default 1. */
  endFactor?: number;
  /** Steps to go from startFactor to endFactor (a positive integer). Default 5. */
  totalIters?: number;
}

/** Scales the lr by a factor that moves linearly from startFactor to endFactor over totalIters steps. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    super('LinearLR', optimizer);
    const fn = 'LinearLR';
    const o = checkOptions<LinearLROptions>(fn, options, ['startFactor', 'endFactor', 'totalIters']);
    // startFactor 0 would make step 1 divide by zero (PyTorch 1.13 raises ZeroDivisionError there).
    this.startFactor = checkFactor(fn, 'options.startFactor', o.startFactor ?? 1 / 3, false);
    this.endFactor = checkFactor(fn, 'options.endFactor', o.endFactor ?? 1, true);
    this.totalIters = checkInt(fn, 'options.totalIters', o.totalIters ?? 5, 1);
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const e = this.lastEpoch;
    const { startFactor: s, endFactor: f, totalIters: n } = this;
    if (e === 0) return this.lrs().map((lr) => lr * s);
    if (e > n) return this.lrs();
    return this.lrs().map((lr) => lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }

  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'startFactor', 'endFactor', 'totalIters'];
  }
}

function checkFactor(fn: string, arg: string, v: unknown, allowZero: boolean): number {
  return checkRange(fn, arg, v, { min: 0, minOpen: !allowZero, max: 1 });
}
