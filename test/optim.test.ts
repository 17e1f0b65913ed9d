// Optimizers and nn.init against PyTorch 1.13 (fixtures/optim.json, from
// fixtures/make_optim_fixtures.py).
//
// Optimizers: the same MLP (Linear(4, 3), Tanh, Linear(3, 2)) from the same initial parameters,
// trained for 20 steps on the same data by each optimizer configuration (param groups and
// gradient clipping included); the loss before each step and every parameter after it must
// follow PyTorch's trajectory within float32 tolerance. The generator checks that rounding alone
// (PyTorch in float64) moves a trajectory by under 1% of that tolerance, and that every two
// configurations end more than 10 tolerances apart, so a wrong update rule cannot pass.
//
// nn.init: draws are compared with the distribution torch.nn.init draws from (bound or std from
// its fan and gain formulas) within sampling tolerance, not with PyTorch's numbers (the
// generators differ); calculateGain exactly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, optim, type Tensor, tensor, zeros } from '../lib/index.js';
import { flatten, type Nested } from './helpers.js';

// ---- the fixtures ---------------------------------------------------------------------------

type OptimizerName = 'SGD' | 'Adagrad' | 'RMSprop' | 'Adam' | 'AdamW';
type Clip = { kind: 'norm'; maxNorm: number } | { kind: 'value'; clipValue: number };

interface OptimizerCase {
  name: string;
  optimizer: OptimizerName;
  /** camelCase options, as the constructors take them. */
  options: Record<string, unknown>;
  /** Param groups: the parameters of model.get(module), with their own options. */
  groups?: ({ module: number } & Record<string, number>)[];
  clip?: Clip;
  /** The loss before each step. */
  losses: number[];
  /** clip kind 'norm': the total norm clipGradNorm returned at each step. */
  clipNorms?: number[];
  /** Every parameter by state-dict name, after each step. */
  params: Record<string, Nested>[];
}

interface Distribution {
  bound?: number;
  low?: number;
  high?: number;
  mean?: number;
  std?: number;
}
interface Stats {
  mean: number;
  std: number;
  min: number;
  max: number;
}
interface InitCase {
  fn: 'xavierUniform' | 'xavierNormal' | 'kaimingUniform' | 'kaimingNormal' | 'uniform' | 'normal';
  shape: number[];
  options: Record<string, any>;
  theory: Distribution;
  /** PyTorch's own draw. */
  stats: Stats;
}
interface Fixtures {
  optimizers: { x: Nested; y: Nested; initialParams: Record<string, Nested>; steps: number; cases: OptimizerCase[] };
  init: {
    cases: InitCase[];
    linear: { inFeatures: number; outFeatures: number; weight: Omit<InitCase, 'fn' | 'options'>; bias: Omit<InitCase, 'fn' | 'options'> };
    gains: { nonlinearity: string; param?: number; gain: number }[];
  };
}

const FIX: Fixtures = JSON.parse(readFileSync(new URL('./fixtures/optim.json', import.meta.url), 'utf8'));

// ---- optimizers -----------------------------------------------------------------------------

// Trajectories accumulate float32 rounding over 20 steps (PyTorch's float32 and float64 runs
// differ by under 1% of this).
const ATOL = 1e-5;
const RTOL = 1e-4;

type Params = Iterable<nn.Parameter> | { params: Iterable<nn.Parameter>; [option: string]: unknown }[];
const OPTIMIZERS: Record<OptimizerName, (params: Params, options: any) => optim.Optimizer<{ lr: number }>> = {
  SGD: (p, o) => new optim.SGD(p as never, o),
  Adagrad: (p, o) => new optim.Adagrad(p as never, o),
  RMSprop: (p, o) => new optim.RMSprop(p as never, o),
  Adam: (p, o) => new optim.Adam(p as never, o),
  AdamW: (p, o) => new optim.AdamW(p as never, o),
};

/** Fails with the step, the parameter and the element when actual strays from expected. */
function expectNear(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= ATOL + RTOL * Math.abs(e))) expect.fail(`${what}, element ${i}: got ${a}, PyTorch ${e}`);
  }
}

function model(): nn.Sequential {
  const m = new nn.Sequential(new nn.Linear(4, 3), new nn.Tanh(), new nn.Linear(3, 2));
  const initial = Object.fromEntries(Object.entries(FIX.optimizers.initialParams).map(([k, v]) => [k, tensor(v as number[][])]));
  m.loadStateDict(initial);
  return m;
}

function paramsOf(m: nn.Sequential, c: OptimizerCase): Params {
  if (!c.groups) return m.parameters();
  return c.groups.map(({ module, ...options }) => ({ params: (m.get(module) as unknown as nn.Module).parameters(), ...options }));
}

describe('optimizers follow PyTorch 1.13 trajectories', () => {
  const x = tensor(FIX.optimizers.x as number[][]);
  const y = tensor(FIX.optimizers.y as number[][]);

  it('covers every optimizer, param groups and both kinds of clipping', () => {
    const cases = FIX.optimizers.cases;
    expect(new Set(cases.map((c) => c.optimizer))).toEqual(new Set(Object.keys(OPTIMIZERS)));
    expect(cases.some((c) => c.groups)).toBe(true);
    expect(new Set(cases.flatMap((c) => (c.clip ? [c.clip.kind] : [])))).toEqual(new Set(['norm', 'value']));
  });

  it('starts from the fixture parameters under the same names as PyTorch', () => {
    const m = model();
    const named = Object.fromEntries(m.namedParameters());
    expect(Object.keys(named).sort()).toEqual(Object.keys(FIX.optimizers.initialParams).sort());
    for (const [name, value] of Object.entries(FIX.optimizers.initialParams)) {
      expectNear(named[name]!.data(), flatten(value).map(Math.fround), `initial ${name}`);
    }
  });

  for (const c of FIX.optimizers.cases) {
    it(c.name, () => {
      const m = model();
      const named = Object.fromEntries(m.namedParameters());
      const opt = OPTIMIZERS[c.optimizer](paramsOf(m, c), c.options);
      const lossFn = new nn.MSELoss();
      for (let k = 0; k < FIX.optimizers.steps; k++) {
        opt.zeroGrad();
        const loss = lossFn.call(m.call(x) as Tensor, y) as Tensor;
        expectNear([loss.item()], [c.losses[k]!], `loss before step ${k + 1}`);
        loss.backward();
        if (c.clip?.kind === 'norm') {
          const norm = optim.clipGradNorm(m.parameters(), c.clip.maxNorm);
          expectNear([norm.item()], [c.clipNorms![k]!], `clipGradNorm's total norm at step ${k + 1}`);
        } else if (c.clip?.kind === 'value') {
          optim.clipGradValue(m.parameters(), c.clip.clipValue);
        }
        opt.step();
        for (const [name, expected] of Object.entries(c.params[k]!)) {
          expectNear(named[name]!.data(), flatten(expected), `${name} after step ${k + 1}`);
        }
      }
    });
  }
});

// ---- nn.init ----------------------------------------------------------------------------------

/** Mean, sample std (n - 1, as torch.std), min and max, in float64. */
function statsOf(data: ArrayLike<number>): Stats {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / data.length;
  let sq = 0;
  for (let i = 0; i < data.length; i++) sq += (data[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / (data.length - 1)), min, max };
}

/**
 * Checks a draw of n values against its distribution: the mean within 4 standard errors, the
 * std within 2% (wider for small n: 5 standard errors of the sample std), a uniform draw inside
 * its bounds and reaching near both. The generator checks that PyTorch's own draws pass this.
 */
function expectDrawnFrom(s: Stats, d: Distribution, n: number, what: string): void {
  const low = d.bound !== undefined ? -d.bound : d.low;
  const high = d.bound !== undefined ? d.bound : d.high;
  const uniform = low !== undefined && high !== undefined;
  const mean = uniform ? (low + high) / 2 : d.mean!;
  const std = uniform ? (high - low) / Math.sqrt(12) : d.std!;
  expect(Math.abs(s.mean - mean), `${what}: mean ${s.mean}, expected ${mean}`).toBeLessThan((4 * std) / Math.sqrt(n));
  expect(Math.abs(s.std / std - 1), `${what}: std ${s.std}, expected ${std}`).toBeLessThan(Math.max(0.02, 5 / Math.sqrt(n)));
  if (uniform) {
    // float32 rounding of a draw may land on a bound, never beyond it (beyond one float32 ulp).
    const slack = Math.max(Math.abs(low), Math.abs(high)) * 2 ** -23;
    expect(s.min, `${what}: min`).toBeGreaterThanOrEqual(low - slack);
    expect(s.max, `${what}: max`).toBeLessThanOrEqual(high + slack);
    // With n draws the extremes fall within about (high - low) / n of the bounds.
    expect(s.min - low, `${what}: min ${s.min} far from ${low}`).toBeLessThan(((high - low) * 20) / n);
    expect(high - s.max, `${what}: max ${s.max} far from ${high}`).toBeLessThan(((high - low) * 20) / n);
  }
}

function applyInit(c: InitCase, t: Tensor): Tensor {
  const o = c.options;
  switch (c.fn) {
    case 'xavierUniform':
      return nn.init.xavierUniform(t, o.gain);
    case 'xavierNormal':
      return nn.init.xavierNormal(t, o.gain);
    case 'kaimingUniform':
      return nn.init.kaimingUniform(t, o);
    case 'kaimingNormal':
      return nn.init.kaimingNormal(t, o);
    case 'uniform':
      return nn.init.uniform(t, o.a, o.b);
    case 'normal':
      return nn.init.normal(t, o.mean, o.std);
  }
}

describe('nn.init draws from the distributions PyTorch does', () => {
  FIX.init.cases.forEach((c, i) => {
    it(`${c.fn} ${JSON.stringify(c.options)}`, () => {
      manualSeed(100 + i);
      const t = zeros(c.shape);
      expect(applyInit(c, t)).toBe(t); // in place, returning the tensor
      const n = c.shape.reduce((a, b) => a * b, 1);
      const s = statsOf(t.data());
      expectDrawnFrom(s, c.theory, n, c.fn);
      // And like PyTorch's own draw, as a cross-check of the fixture's theory.
      expect(Math.abs(s.std / c.stats.std - 1)).toBeLessThan(0.03);
    });
  });

  it("nn.Linear's default init: kaimingUniform(a = sqrt(5)) on the weight, U(±1/sqrt(inFeatures)) on the bias", () => {
    const { inFeatures, outFeatures, weight, bias } = FIX.init.linear;
    manualSeed(7);
    const layer = new nn.Linear(inFeatures, outFeatures);
    expect(layer.weight.shape).toEqual(weight.shape);
    expect(layer.bias!.shape).toEqual(bias.shape);
    expectDrawnFrom(statsOf(layer.weight.data()), weight.theory, outFeatures * inFeatures, 'weight');
    expectDrawnFrom(statsOf(layer.bias!.data()), bias.theory, outFeatures, 'bias');
  });

  it('fills a parameter without recording it in the autograd graph', () => {
    const layer = new nn.Linear(5, 4);
    const out = nn.init.xavierUniform(layer.weight);
    expect(out).toBe(layer.weight);
    expect(layer.weight.requiresGrad).toBe(true);
    expect(layer.weight.gradFn).toBeNull();
  });

  it('is deterministic for a seed', () => {
    manualSeed(3);
    const a = Array.from(nn.init.kaimingNormal(zeros(20, 30)).data());
    manualSeed(3);
    const b = Array.from(nn.init.kaimingNormal(zeros(20, 30)).data());
    expect(a).toEqual(b);
  });

  for (const g of FIX.init.gains) {
    it(`calculateGain('${g.nonlinearity}'${g.param === undefined ? '' : `, ${g.param}`}) is ${g.gain}`, () => {
      expect(nn.init.calculateGain(g.nonlinearity as never, g.param)).toBe(g.gain);
    });
  }
});
