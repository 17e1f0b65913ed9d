// The optimizer API around the fused native step: param groups and their options, which
// parameters a step touches, closures, stateDict round trips, clipping and argument errors.
// (The numbers of each update are checked against PyTorch in optim.test.ts.)
import { describe, expect, it } from 'vitest';
import { ArgumentError, manualSeed, nn, optim, randn, ShapeError, type Tensor, tensor, zeros } from '../lib/index.js';

const values = (t: Tensor): number[] => Array.from(t.data());

function model(): nn.Sequential {
  manualSeed(5);
  return new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 2));
}

function lossOf(m: nn.Module, seed = 9): Tensor {
  manualSeed(seed);
  return new nn.MSELoss().call(m.call(randn(6, 3)) as Tensor, randn(6, 2));
}

function train(m: nn.Module, opt: optim.Optimizer<{ lr: number }>, steps: number): void {
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    lossOf(m, i).backward();
    opt.step();
  }
}

describe('param groups', () => {
  it('fills each group from the defaults and keeps per-group options', () => {
    const m = model();
    const opt = new optim.SGD(
      [
        { params: (m.get(0) as nn.Linear).parameters(), lr: 0.1 },
        { params: (m.get(2) as nn.Linear).parameters(), weightDecay: 0.01 },
      ],
      { lr: 0.01, momentum: 0.9 },
    );
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum, g.weightDecay, g.params.length])).toEqual([
      [0.1, 0.9, 0, 2],
      [0.01, 0.9, 0.01, 2],
    ]);
  });

  it('gives each group its own copy of array options', () => {
    const m = model();
    const opt = new optim.Adam([{ params: m.parameters().slice(0, 2) }, { params: m.parameters().slice(2) }], { betas: [0.8, 0.9] });
    opt.paramGroups[0]!.betas[0] = 0.5;
    expect(opt.paramGroups[1]!.betas).toEqual([0.8, 0.9]);
    expect(opt.defaults.betas).toEqual([0.8, 0.9]);
  });

  it('a group with lr 0 leaves its parameters alone while the others train', () => {
    const m = model();
    const frozen = (m.get(0) as nn.Linear).weight;
    const before = values(frozen);
    const opt = new optim.Adam([{ params: [frozen], lr: 0 }, { params: m.parameters().slice(1) }], { lr: 0.01 });
    const other = values((m.get(2) as nn.Linear).weight);
    train(m, opt, 3);
    expect(values(frozen)).toEqual(before);
    expect(values((m.get(2) as nn.Linear).weight)).not.toEqual(other);
  });

  it('addParamGroup adds parameters later; a parameter may appear only once', () => {
    const m = model();
    const [w0, b0, w2, b2] = m.parameters();
    const opt = new optim.RMSprop([w0!, b0!], { lr: 0.01 });
    opt.addParamGroup({ params: [w2!, b2!], lr: 0.001 });
    expect(opt.paramGroups[1]!.lr).toBe(0.001);
    expect(() => opt.addParamGroup({ params: [w0!] })).toThrow(/appears more than once/);
    expect(() => opt.addParamGroup({ params: [new nn.Parameter(zeros([1]))], momentum: -1 })).toThrow(/momentum must be a finite number >= 0/);
  });

  it('rejects what it cannot optimize', () => {
    const m = model();
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/no parameters/);
    expect(() => new optim.SGD(m.parameters(), {} as never)).toThrow(/lr is required/);
    expect(() => new optim.SGD([(m.get(0) as nn.Linear).weight.mul(2)], { lr: 0.1 })).toThrow(/not a leaf/);
    expect(() => new optim.Adam(m.parameters(), { betas: [0.9, 1] })).toThrow(/betas\[1\] must be a number in \[0, 1\)/);
    expect(() => new optim.Adam(m.parameters(), { lr: -1 })).toThrow(ArgumentError);
    expect(() => new optim.SGD(m.parameters(), { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => new optim.Adagrad(m.parameters(), { lrdecay: 0.1 } as never)).toThrow(/unknown option "lrdecay"/);
  });
});

describe('step', () => {
  it('updates only parameters that have a gradient', () => {
    const a = new nn.Parameter(tensor([1, 2]));
    const b = new nn.Parameter(tensor([3, 4]));
    const opt = new optim.SGD([a, b], { lr: 0.5 });
    a.mul(a).sum().backward();
    opt.step();
    expect(values(a)).toEqual([0, 0]);
    expect(values(b)).toEqual([3, 4]);
    expect(opt.state.has(b)).toBe(false);
  });

  it('runs the closure with grad on and returns its loss', () => {
    const m = model();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = lossOf(m);
      l.backward();
      return l;
    }) as Tensor;
    expect(loss.item()).toBeGreaterThan(0);
    expect(lossOf(m).item()).toBeLessThan(loss.item());
  });

  it('a step that throws leaves the optimizer unchanged', () => {
    const x = randn(3);
    const a = new nn.Parameter(x);
    const b = new nn.Parameter(x); // the same memory: the native step refuses overlapping tensors
    const opt = new optim.Adam([a, b], { lr: 0.1 });
    a.sum().add(b.sum()).backward();
    expect(() => opt.step()).toThrow(/shares memory/);
    expect(() => opt.step()).toThrow(/shares memory/);
    expect(opt.state.size).toBe(0);
  });

  it('optimizes a parameter made from a non-contiguous view', () => {
    const p = new nn.Parameter(tensor([[1, 2], [3, 4]]).T);
    const opt = new optim.SGD([p], { lr: 1 });
    p.sum().backward();
    opt.step();
    expect(values(p)).toEqual([0, 2, 1, 3]);
  });

  it('zeroGrad clears every group', () => {
    const m = model();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    lossOf(m).backward();
    opt.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('stateDict', () => {
  it.each([
    ['SGD', (p: nn.Parameter[]) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 })],
    ['Adagrad', (p: nn.Parameter[]) => new optim.Adagrad(p, { lr: 0.05, initialAccumulatorValue: 0.1 })],
    ['RMSprop', (p: nn.Parameter[]) => new optim.RMSprop(p, { lr: 0.01, momentum: 0.5, centered: true })],
    ['Adam', (p: nn.Parameter[]) => new optim.Adam(p, { lr: 0.01, amsgrad: true })],
    ['AdamW', (p: nn.Parameter[]) => new optim.AdamW(p, { lr: 0.01 })],
  ])('%s resumes exactly where it stopped', (_name, make) => {
    const a = model();
    const optA = make(a.parameters());
    train(a, optA, 3);
    const b = model();
    b.loadStateDict(a.stateDict());
    const optB = make(b.parameters());
    (optB as optim.Optimizer<{ lr: number }>).loadStateDict(optA.stateDict() as never);
    // The restored state is a copy: training A further must not change B's.
    train(a, optA, 2);
    train(b, optB, 2);
    for (const [name, t] of Object.entries(a.stateDict())) expect(values(b.stateDict()[name]!)).toEqual(values(t));
  });

  it('numbers parameters across groups and keeps group options', () => {
    const m = model();
    const [w0, b0, w2, b2] = m.parameters();
    const opt = new optim.Adam([{ params: [w0!, b0!] }, { params: [w2!, b2!], lr: 0.1 }], { lr: 0.01 });
    train(m, opt, 1);
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => [g.params, g.lr])).toEqual([
      [[0, 1], 0.01],
      [[2, 3], 0.1],
    ]);
    expect(Object.keys(sd.state[3]!).sort()).toEqual(['expAvg', 'expAvgSq', 'step']);
    expect(sd.state[3]!.step).toBe(1);
  });

  it('refuses a dict that does not fit', () => {
    const m = model();
    const opt = new optim.Adam(m.parameters(), { lr: 0.01 });
    train(m, opt, 1);
    const sd = opt.stateDict();
    const other = new optim.Adam(model().parameters().slice(0, 2), { lr: 0.01 });
    expect(() => other.loadStateDict(sd)).toThrow(/parameters in dict/);
    const bad = { ...sd, state: { ...sd.state, 0: { ...sd.state[0]!, expAvg: zeros([1]) } } };
    expect(() => opt.loadStateDict(bad)).toThrow(ShapeError);
  });
});

describe('gradient clipping', () => {
  it('clipGradNorm scales all gradients together and returns the norm before', () => {
    const a = new nn.Parameter(tensor([0, 0]));
    const b = new nn.Parameter(tensor([0]));
    a.mul(tensor([3, 0])).sum().add(b.mul(4).sum()).backward();
    const norm = optim.clipGradNorm([a, b], 1);
    expect(norm.shape).toEqual([]);
    expect(norm.dtype).toBe('float32');
    expect(norm.item()).toBeCloseTo(5, 5);
    expect(values(a.grad!)[0]).toBeCloseTo(0.6, 5);
    expect(values(b.grad!)[0]).toBeCloseTo(0.8, 5);
    expect(optim.clipGradNorm([a, b], 10, Infinity).item()).toBeCloseTo(0.8, 5);
    expect(values(b.grad!)[0]).toBeCloseTo(0.8, 5);
  });

  it('clipGradValue clamps each element; both skip parameters without a gradient', () => {
    const a = new nn.Parameter(tensor([0, 0, 0]));
    const unused = new nn.Parameter(tensor([0]));
    a.mul(tensor([-3, 0.5, 2])).sum().backward();
    optim.clipGradValue([a, unused], 1);
    expect(values(a.grad!)).toEqual([-1, 0.5, 1]);
    expect(optim.clipGradNorm([unused], 1).item()).toBe(0);
  });

  it('errorIfNonfinite turns a NaN norm into an error', () => {
    const a = new nn.Parameter(tensor([0]));
    a.mul(tensor([Number.NaN])).sum().backward();
    expect(() => optim.clipGradNorm([a], 1, 2, { errorIfNonfinite: true })).toThrow(/non-finite|NaN|nan/i);
    expect(() => optim.clipGradNorm([a], -1)).toThrow(/maxNorm must be a number >= 0/);
  });
});
