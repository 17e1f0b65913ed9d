// Learning-rate schedulers against PyTorch 1.13: every configuration in the `schedulers` section
// of fixtures/optim.json (see fixtures/make_optim_fixtures.py) replayed on a plain object shaped
// like an optimizer, the lr (and the cycled momentum or beta1) of every group compared after
// construction and after each step, to 1e-12: the schedulers are double arithmetic, the same
// recursions in the same order as PyTorch's. Then stateDict round trips and option validation.
// Nothing here needs the native addon: the schedulers only read and write numbers in param groups.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../lib/errors.js';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  type LRScheduler,
  MultiStepLR,
  type SchedulableOptimizer,
  StepLR,
} from '../lib/optim/lr_scheduler.js';
import { OneCycleLR } from '../lib/optim/one_cycle.js';
import { ReduceLROnPlateau } from '../lib/optim/plateau.js';
import { expectClose, thrown } from './helpers.js';

interface Group {
  lr: number;
  momentum?: number;
  betas?: [number, number];
}
interface SchedulerCase {
  name: string;
  scheduler: string;
  /** camelCase options, as the constructors take them. */
  options: Record<string, unknown>;
  optimizer: 'SGD' | 'Adam';
  groups: Group[];
  /** ReduceLROnPlateau: the metric given to each step. */
  metrics?: number[];
  /** Each group's lr after construction, then after each step. */
  lr: number[][];
  /** OneCycleLR with cycleMomentum: each group's momentum (SGD) or betas[0] (Adam), likewise. */
  momentum?: number[][];
  beta1?: number[][];
}

const { schedulers: CASES } = JSON.parse(readFileSync(new URL('./fixtures/optim.json', import.meta.url), 'utf8')) as {
  schedulers: SchedulerCase[];
};

type Make = (optimizer: SchedulableOptimizer, options: any) => LRScheduler;
const MAKE: Record<string, Make> = {
  StepLR: (o, a) => new StepLR(o, a),
  MultiStepLR: (o, a) => new MultiStepLR(o, a),
  ExponentialLR: (o, a) => new ExponentialLR(o, a),
  CosineAnnealingLR: (o, a) => new CosineAnnealingLR(o, a),
  LinearLR: (o, a) => new LinearLR(o, a),
  OneCycleLR: (o, a) => new OneCycleLR(o, a),
  ReduceLROnPlateau: (o, a) => new ReduceLROnPlateau(o, a),
};

// Doubles from the same operations in the same order; only Math.cos may differ from glibc's by an ulp.
const TOL = { rtol: 1e-12, atol: 1e-16 };

const fakeOptimizer = (groups: Group[]): SchedulableOptimizer => ({ paramGroups: structuredClone(groups) });

function stepOnce(s: LRScheduler, c: SchedulerCase, k: number): void {
  if (c.metrics) (s as ReduceLROnPlateau).step(c.metrics[k]!);
  else s.step();
}

/** Compares the groups' lr (and cycled momentum) with the fixture's row `row`. */
function expectRow(opt: SchedulableOptimizer, c: SchedulerCase, row: number): void {
  expectClose(opt.paramGroups.map((g) => g.lr), c.lr[row]!, TOL);
  if (c.momentum) expectClose(opt.paramGroups.map((g) => g.momentum!), c.momentum[row]!, TOL);
  if (c.beta1) expectClose(opt.paramGroups.map((g) => g.betas![0]), c.beta1[row]!, TOL);
}

describe('schedulers match PyTorch 1.13', () => {
  it('covers every scheduler', () => {
    expect(new Set(CASES.map((c) => c.scheduler))).toEqual(new Set(Object.keys(MAKE)));
  });

  for (const c of CASES) {
    it(c.name, () => {
      const opt = fakeOptimizer(c.groups);
      const s = MAKE[c.scheduler]!(opt, c.options);
      expectRow(opt, c, 0);
      expect(s.lastEpoch).toBe(0);
      for (let k = 0; k + 1 < c.lr.length; k++) {
        stepOnce(s, c, k);
        expectRow(opt, c, k + 1);
        expect(s.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
        expect(s.lastEpoch).toBe(k + 1);
      }
      if (c.scheduler !== 'ReduceLROnPlateau') {
        // Like PyTorch's 'initial_lr': what the schedule started from (maxLr / divFactor for OneCycleLR).
        const initial = opt.paramGroups.map((g) => (g as unknown as Record<string, number>).initialLr);
        expect(initial).toEqual(s.baseLrs);
        if (c.scheduler !== 'OneCycleLR') expect(initial).toEqual(c.groups.map((g) => g.lr));
      }
      // Adam's beta2 is never touched.
      c.groups.forEach((g, i) => g.betas && expect(opt.paramGroups[i]!.betas![1]).toBe(g.betas[1]));
    });
  }
});

describe('stateDict', () => {
  for (const c of CASES) {
    it(`${c.name}: resumes from a JSON round trip of its state`, () => {
      const half = 12;
      const a = fakeOptimizer(c.groups);
      const sa = MAKE[c.scheduler]!(a, c.options);
      for (let k = 0; k < half; k++) stepOnce(sa, c, k);
      const saved = JSON.parse(JSON.stringify({ optimizer: a.paramGroups, scheduler: sa.stateDict() }));

      // As after a restart: a fresh optimizer and scheduler, then the optimizer's groups and the
      // scheduler's state loaded (the lrs live in the optimizer, as in PyTorch).
      const b = fakeOptimizer(c.groups);
      const sb = MAKE[c.scheduler]!(b, c.options);
      b.paramGroups = saved.optimizer;
      sb.loadStateDict(saved.scheduler);
      expect(sb.stateDict()).toEqual(sa.stateDict());
      expect(sb.lastEpoch).toBe(half);
      for (let k = half; k + 1 < c.lr.length; k++) {
        stepOnce(sa, c, k);
        stepOnce(sb, c, k);
        expectRow(b, c, k + 1);
      }
      expect(b.paramGroups).toEqual(a.paramGroups);
    });
  }

  it('writes non-finite numbers as strings, so the state stays JSON', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const min = new ReduceLROnPlateau(opt);
    expect(min.stateDict().best).toBe('Infinity');
    const max = new ReduceLROnPlateau(opt, { mode: 'max' });
    expect(max.stateDict().best).toBe('-Infinity');
    const restored = new ReduceLROnPlateau(opt, { mode: 'max' });
    restored.loadStateDict(JSON.parse(JSON.stringify(min.stateDict())));
    expect(restored.best).toBe(Infinity);
    expect(restored.mode).toBe('min');
  });

  it('refuses a state with unknown, missing or mistyped keys', () => {
    const s = new StepLR(fakeOptimizer([{ lr: 0.1 }]), { stepSize: 2 });
    const state = s.stateDict();
    const expectRefused = (bad: unknown, pattern: RegExp) => {
      const e = thrown(() => s.loadStateDict(bad as never));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(pattern);
    };
    expectRefused({ ...state, tMax: 3 }, /unknown key "tMax"/);
    expectRefused({ ...state, stepSize: undefined }, /state\.stepSize must be a number, got undefined/);
    expectRefused({ ...state, gamma: '0.5' }, /state\.gamma must be a number/);
    expectRefused({ ...state, baseLrs: [0.1, 0.2] }, /state\.baseLrs must be an array of 1 numbers/);
    expectRefused(null, /state must be an object/);
    expectRefused(new CosineAnnealingLR(fakeOptimizer([{ lr: 0.1 }]), { tMax: 3 }).stateDict(), /unknown key "tMax"/);
    const multi = new MultiStepLR(fakeOptimizer([{ lr: 0.1 }]), { milestones: [2] });
    expect(thrown(() => multi.loadStateDict({ ...multi.stateDict(), milestones: [3, -1] })).message).toMatch(/state\.milestones/);
    const plateau = new ReduceLROnPlateau(fakeOptimizer([{ lr: 0.1 }]));
    expect(thrown(() => plateau.loadStateDict({ ...plateau.stateDict(), mode: 'median' })).message).toMatch(/state\.mode must be one of 'min', 'max'/);
    // A refused state changes nothing.
    expect(s.stateDict()).toEqual(state);
  });
});

describe('behaviour', () => {
  it('is chainable: a step scales the lr the group has now, including a change made from outside', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const s = new ExponentialLR(opt, { gamma: 0.5 });
    opt.paramGroups[0]!.lr = 1;
    s.step();
    expect(opt.paramGroups[0]!.lr).toBe(0.5);
  });

  it('keeps an initialLr that a group already has (an earlier scheduler set it), as PyTorch does', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    new StepLR(opt, { stepSize: 1, gamma: 0.5 }).step();
    const cosine = new CosineAnnealingLR(opt, { tMax: 4 });
    expect(cosine.baseLrs).toEqual([0.1]);
  });

  it('OneCycleLR: totalSteps steps after construction, then a refused step that changes nothing', () => {
    const opt = fakeOptimizer([{ lr: 0.1, momentum: 0.9 }]);
    const s = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 5 });
    for (let k = 0; k < 5; k++) s.step();
    const before = structuredClone(opt.paramGroups);
    const e = thrown(() => s.step());
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/tried to step 7 times .*options\.totalSteps is 5/);
    expect(s.lastEpoch).toBe(5);
    expect(opt.paramGroups).toEqual(before);
  });

  it('OneCycleLR: a warm-up of one step (pctStart * totalSteps = 1) reaches maxLr at once instead of dividing 0 by 0', () => {
    const opt = fakeOptimizer([{ lr: 0.1, momentum: 0.9 }]);
    const s = new OneCycleLR(opt, { maxLr: 0.2, totalSteps: 10, pctStart: 0.1, threePhase: true });
    expect(opt.paramGroups[0]!.lr).toBe(0.2);
    expect(opt.paramGroups[0]!.momentum).toBe(0.85);
    for (let k = 0; k < 10; k++) {
      s.step();
      expect(Number.isFinite(opt.paramGroups[0]!.lr)).toBe(true);
    }
  });

  it('OneCycleLR: cycleMomentum is not needed for an optimizer without momentum', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, cycleMomentum: false });
    expect(Object.keys(opt.paramGroups[0]!).sort()).toEqual(['initialLr', 'lr']);
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.004, 15);
  });

  it('ReduceLROnPlateau takes a one-element tensor (anything with item()) as the metric, and NaN as no improvement', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const s = new ReduceLROnPlateau(opt, { patience: 0 });
    s.step({ item: () => 1 });
    expect(s.best).toBe(1);
    s.step(NaN);
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.01, 15);
    expect(s.inCooldown).toBe(false);
  });

  it('refuses to step when the optimizer gained or lost param groups', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const s = new StepLR(opt, { stepSize: 1 });
    opt.paramGroups.push({ lr: 0.2 });
    expect(thrown(() => s.step()).message).toMatch(/StepLR\.step: optimizer\.paramGroups must keep the 1 group/);
  });
});

describe('validation', () => {
  const one = () => fakeOptimizer([{ lr: 0.1, momentum: 0.9 }]);
  const two = () => fakeOptimizer([{ lr: 0.1 }, { lr: 0.2 }]);
  const bad: [string, () => unknown, RegExp][] = [
    ['no optimizer', () => new StepLR(undefined as never, { stepSize: 1 }), /StepLR: optimizer must be an optimizer whose paramGroups/],
    ['no groups', () => new StepLR({ paramGroups: [] }, { stepSize: 1 }), /optimizer must be/],
    ['a group without lr', () => new StepLR({ paramGroups: [{}] } as never, { stepSize: 1 }), /optimizer\.paramGroups\[0\]\.lr must be a finite number, got undefined/],
    ['StepLR without options', () => new StepLR(one(), undefined as never), /StepLR: options\.stepSize must be an integer >= 1, got undefined/],
    ['StepLR stepSize 0', () => new StepLR(one(), { stepSize: 0 }), /options\.stepSize must be an integer >= 1, got the number 0/],
    ['StepLR stepSize 1.5', () => new StepLR(one(), { stepSize: 1.5 }), /options\.stepSize must be an integer/],
    ['StepLR gamma -1', () => new StepLR(one(), { stepSize: 1, gamma: -1 }), /options\.gamma must be a finite number > 0, got the number -1/],
    ['StepLR gamma NaN', () => new StepLR(one(), { stepSize: 1, gamma: NaN }), /options\.gamma must be a finite number > 0, got NaN/],
    ['StepLR snake_case', () => new StepLR(one(), { step_size: 2 } as never), /StepLR: unknown option "step_size"/],
    ['MultiStepLR negative', () => new MultiStepLR(one(), { milestones: [5, -3] }), /options\.milestones must be an array of non-negative integers/],
    ['MultiStepLR negative only', () => new MultiStepLR(one(), { milestones: [-1] }), /options\.milestones/],
    ['MultiStepLR not an array', () => new MultiStepLR(one(), { milestones: 3 as never }), /options\.milestones .*got the number 3/],
    ['ExponentialLR without gamma', () => new ExponentialLR(one(), {} as never), /ExponentialLR: options\.gamma must be a finite number > 0, got undefined/],
    ['CosineAnnealingLR tMax 0', () => new CosineAnnealingLR(one(), { tMax: 0 }), /options\.tMax must be an integer >= 1/],
    ['CosineAnnealingLR etaMin -1', () => new CosineAnnealingLR(one(), { tMax: 3, etaMin: -1 }), /options\.etaMin must be a finite number >= 0/],
    ['LinearLR startFactor 0', () => new LinearLR(one(), { startFactor: 0 }), /options\.startFactor must be a number in \(0, 1\]/],
    ['LinearLR startFactor 1.5', () => new LinearLR(one(), { startFactor: 1.5 }), /options\.startFactor/],
    ['LinearLR endFactor 2', () => new LinearLR(one(), { endFactor: 2 }), /options\.endFactor must be a number in \[0, 1\]/],
    ['LinearLR totalIters 0', () => new LinearLR(one(), { totalIters: 0 }), /options\.totalIters must be an integer >= 1/],
    ['OneCycleLR without steps', () => new OneCycleLR(one(), { maxLr: 0.1 }), /options\.totalSteps, or both options\.epochs and options\.stepsPerEpoch, must be given/],
    ['OneCycleLR totalSteps 0', () => new OneCycleLR(one(), { maxLr: 0.1, totalSteps: 0 }), /options\.totalSteps must be an integer >= 1/],
    ['OneCycleLR epochs alone', () => new OneCycleLR(one(), { maxLr: 0.1, epochs: 3 }), /options\.stepsPerEpoch must be an integer >= 1, got undefined/],
    ['OneCycleLR maxLr missing', () => new OneCycleLR(one(), { totalSteps: 3 } as never), /options\.maxLr must be a finite number > 0, got undefined/],
    ['OneCycleLR maxLr per group', () => new OneCycleLR(two(), { maxLr: [0.1], totalSteps: 3, cycleMomentum: false }), /options\.maxLr must be a number or an array of 2 numbers/],
    ['OneCycleLR maxLr[1] 0', () => new OneCycleLR(two(), { maxLr: [0.1, 0], totalSteps: 3, cycleMomentum: false }), /options\.maxLr\[1\] must be a finite number > 0/],
    ['OneCycleLR pctStart 1.5', () => new OneCycleLR(one(), { maxLr: 0.1, totalSteps: 3, pctStart: 1.5 }), /options\.pctStart must be a number in \[0, 1\]/],
    ['OneCycleLR annealStrategy', () => new OneCycleLR(one(), { maxLr: 0.1, totalSteps: 3, annealStrategy: 'exp' as never }), /options\.annealStrategy must be one of 'cos', 'linear', got the string "exp"/],
    ['OneCycleLR divFactor 0', () => new OneCycleLR(one(), { maxLr: 0.1, totalSteps: 3, divFactor: 0 }), /options\.divFactor must be a finite number > 0/],
    ['OneCycleLR threePhase 1', () => new OneCycleLR(one(), { maxLr: 0.1, totalSteps: 3, threePhase: 1 as never }), /options\.threePhase must be a boolean/],
    ['OneCycleLR maxMomentum 2', () => new OneCycleLR(one(), { maxLr: 0.1, totalSteps: 3, maxMomentum: 2 }), /options\.maxMomentum must be a number in \[0, 1\]/],
    ['OneCycleLR no momentum', () => new OneCycleLR(two(), { maxLr: 0.1, totalSteps: 3 }), /options\.cycleMomentum needs param groups with momentum .* or betas/],
    ['ReduceLROnPlateau mode', () => new ReduceLROnPlateau(one(), { mode: 'median' as never }), /options\.mode must be one of 'min', 'max'/],
    ['ReduceLROnPlateau factor 1', () => new ReduceLROnPlateau(one(), { factor: 1 }), /options\.factor must be a number in \[0, 1\), got the number 1/],
    ['ReduceLROnPlateau patience -1', () => new ReduceLROnPlateau(one(), { patience: -1 }), /options\.patience must be an integer >= 0/],
    ['ReduceLROnPlateau thresholdMode', () => new ReduceLROnPlateau(one(), { thresholdMode: 'pct' as never }), /options\.thresholdMode must be one of 'rel', 'abs'/],
    ['ReduceLROnPlateau cooldown 0.5', () => new ReduceLROnPlateau(one(), { cooldown: 0.5 }), /options\.cooldown must be an integer >= 0/],
    ['ReduceLROnPlateau minLr per group', () => new ReduceLROnPlateau(two(), { minLr: [0, 0, 0] }), /options\.minLr must be a number or an array of 2 numbers/],
    ['ReduceLROnPlateau eps -1', () => new ReduceLROnPlateau(one(), { eps: -1 }), /options\.eps must be a finite number >= 0/],
    ['ReduceLROnPlateau step()', () => new ReduceLROnPlateau(one()).step(), /ReduceLROnPlateau\.step: metric must be a number or a one-element Tensor, got undefined/],
    ['ReduceLROnPlateau step("1")', () => new ReduceLROnPlateau(one()).step('1' as never), /metric must be a number .*got the string "1"/],
  ];
  for (const [name, fn, pattern] of bad) {
    it(name, () => {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.code).toBe('ERR_ARGUMENT');
      expect(e.message).toMatch(pattern);
    });
  }

  it('a refused option leaves the optimizer untouched', () => {
    const opt = fakeOptimizer([{ lr: 0.1, betas: [0.9, 0.999] }]);
    thrown(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 3, annealStrategy: 'exp' as never }));
    thrown(() => new StepLR(opt, { stepSize: 0 }));
    expect(opt.paramGroups).toEqual([{ lr: 0.1, betas: [0.9, 0.999] }]);
  });
});
