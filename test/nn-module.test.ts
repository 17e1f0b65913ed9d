// nn.Module and the layers: registration and traversal, modes, stateDict round trips and their
// errors, PyTorch's print format, Sequential's fused Linear + activation, in-place writes and
// the version check that guards saved tensors.
import { describe, expect, it } from 'vitest';
import { ArgumentError, manualSeed, nn, noGrad, optim, rand, randn, ShapeError, Tensor, tensor, zeros } from '../lib/index.js';

class Net extends nn.Module {
  body = new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh());
  head = new nn.Linear(4, 1);
  loss = new nn.CrossEntropyLoss();
  forward(x: Tensor): Tensor {
    return this.head.call(this.body.call(x));
  }
}

class WithBuffer extends nn.Module {
  scale = new nn.Parameter(tensor([2]));
  declare steps: Tensor;
  declare scratch: Tensor;
  constructor() {
    super();
    this.registerBuffer('steps', zeros([1]));
    this.registerBuffer('scratch', zeros([3]), false);
  }
  forward(x: Tensor): Tensor {
    return x.mul(this.scale);
  }
}

const values = (t: Tensor): number[] => Array.from(t.data());

describe('Module registration and traversal', () => {
  it('finds parameters and submodules through properties, in assignment order', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(['body.0.weight', 'body.0.bias', 'head.weight', 'head.bias']);
    expect(net.namedChildren().next().value?.[0]).toBe('body');
    expect(net.children().map((m) => m.constructor.name)).toEqual(['Sequential', 'Linear', 'CrossEntropyLoss']);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'body', 'body.0', 'body.1', 'head', 'loss']);
    expect(net.numParameters()).toBe(2 * 4 + 4 + 4 + 1);
    expect(net.parameters().every((p) => p instanceof nn.Parameter && p.requiresGrad && p.isLeaf)).toBe(true);
  });

  it('counts a shared parameter once', () => {
    const a = new nn.Linear(3, 3);
    const seq = new nn.Sequential(a, new nn.ReLU(), a);
    expect(seq.parameters()).toHaveLength(2);
    expect(seq.numParameters()).toBe(12);
    a.weight.requiresGrad = false;
    expect(seq.numParameters(true)).toBe(3);
  });

  it('keeps buffers out of parameters(), and non-persistent ones out of stateDict()', () => {
    const m = new WithBuffer();
    expect(m.parameters()).toHaveLength(1);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['steps', 'scratch']);
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'steps']);
  });

  it('switches training mode recursively and applies functions children first', () => {
    const net = new Net();
    expect(net.eval()).toBe(net);
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    const seen: string[] = [];
    net.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(['Linear', 'Tanh', 'Sequential', 'Linear', 'CrossEntropyLoss', 'Net']);
  });

  it('zeroGrad clears to null by default, or to zeros in place', () => {
    const lin = new nn.Linear(3, 2);
    lin.call(randn(4, 3)).sum().backward();
    const g = lin.weight.grad!;
    lin.zeroGrad(false);
    expect(values(g).every((v) => v === 0)).toBe(true);
    expect(lin.weight.grad).not.toBeNull();
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
  });

  it('keeps registration order, integer-like names included', () => {
    const a = new nn.Linear(1, 1);
    const b = new nn.Linear(1, 1);
    // (An object literal { first, '1' } cannot carry this order: JavaScript lists '1' first.)
    const seq = new nn.Sequential();
    seq.registerModule('first', a);
    seq.registerModule('1', b);
    const [x, y] = [...seq];
    expect(x).toBe(a);
    expect(y).toBe(b);
    expect(Object.keys(seq.stateDict())).toEqual(['first.weight', 'first.bias', '1.weight', '1.bias']);
  });

  it('saves a shared module under each of its names, as PyTorch', () => {
    const a = new nn.Linear(2, 2);
    const seq = new nn.Sequential(a, new nn.ReLU(), a);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq.loadStateDict(seq.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });

  it('rejects bad registrations', () => {
    expect(() => new nn.Linear(2, 2).registerBuffer('weight', zeros([2]))).toThrow(/already a parameter/);
    expect(() => new nn.Linear(2, 2).registerBuffer('training', zeros([2]))).toThrow(/already a method or property/);
    const m = new WithBuffer();
    expect(() => m.registerBuffer('a.b', zeros([1]))).toThrow(ArgumentError);
    expect(() => m.registerParameter('w', zeros([1]) as nn.Parameter)).toThrow(/a Parameter or null/);
    expect(() => m.registerModule('forward', new nn.ReLU())).toThrow(/already a method/);
  });
});

describe('stateDict and loadStateDict', () => {
  it('round-trips into a fresh model, copying in place', () => {
    manualSeed(1);
    const a = new Net();
    const b = new Net();
    const weightBefore = b.head.weight;
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.head.weight).toBe(weightBefore);
    for (const [name, t] of Object.entries(a.stateDict())) expect(values(b.stateDict()[name]!)).toEqual(values(t));
  });

  it('shares memory with the module (clone for a snapshot)', () => {
    const lin = new nn.Linear(2, 2);
    const sd = lin.stateDict();
    noGrad(() => lin.weight.fill_(3));
    expect(values(sd.weight!)).toEqual([3, 3, 3, 3]);
    expect(sd.weight!.requiresGrad).toBe(false);
  });

  it('names missing and unexpected keys (strict), and reports them when not strict', () => {
    const lin = new nn.Linear(2, 2);
    const sd = lin.stateDict();
    const { bias: _bias, ...noBias } = sd;
    expect(() => lin.loadStateDict(noBias)).toThrow(/missing key\(s\): bias/);
    expect(() => lin.loadStateDict({ ...sd, extra: zeros([1]) })).toThrow(/unexpected key\(s\): extra/);
    expect(lin.loadStateDict({ ...noBias, extra: zeros([1]) }, { strict: false })).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
  });

  it('refuses mismatched shapes and non-tensors without copying anything', () => {
    const lin = new nn.Linear(2, 2);
    const before = values(lin.weight);
    expect(() => lin.loadStateDict({ weight: zeros([2, 3]), bias: zeros([2]) })).toThrow(ShapeError);
    expect(() => lin.loadStateDict({ weight: zeros([2, 3]), bias: zeros([2]) })).toThrow(/size mismatch for weight/);
    expect(() => lin.loadStateDict({ weight: [[1, 2]] as never, bias: zeros([2]) })).toThrow(/weight must be a Tensor/);
    expect(values(lin.weight)).toEqual(before);
  });
});

describe('toString prints like PyTorch', () => {
  it('a Sequential of every layer kind', () => {
    const net = new nn.Sequential(
      new nn.Flatten(),
      new nn.Linear(784, 512),
      new nn.ReLU(),
      new nn.Dropout(0.2),
      new nn.BatchNorm1d(512),
      new nn.LeakyReLU(0.2),
      new nn.Linear(512, 10, { bias: false }),
      new nn.LogSoftmax(1),
    );
    expect(net.toString()).toBe(
      [
        'Sequential(',
        '  (0): Flatten(start_dim=1, end_dim=-1)',
        '  (1): Linear(in_features=784, out_features=512, bias=True)',
        '  (2): ReLU()',
        '  (3): Dropout(p=0.2, inplace=False)',
        '  (4): BatchNorm1d(512, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
        '  (5): LeakyReLU(negative_slope=0.2)',
        '  (6): Linear(in_features=512, out_features=10, bias=False)',
        '  (7): LogSoftmax(dim=1)',
        ')',
      ].join('\n'),
    );
  });

  it('nested modules, ModuleList and empty containers', () => {
    expect(new Net().toString()).toBe(
      [
        'Net(',
        '  (body): Sequential(',
        '    (0): Linear(in_features=2, out_features=4, bias=True)',
        '    (1): Tanh()',
        '  )',
        '  (head): Linear(in_features=4, out_features=1, bias=True)',
        '  (loss): CrossEntropyLoss()',
        ')',
      ].join('\n'),
    );
    expect(new nn.BatchNorm1d(3, { momentum: null, eps: 1e-3, affine: false }).toString()).toBe(
      'BatchNorm1d(3, eps=0.001, momentum=None, affine=False, track_running_stats=True)',
    );
    expect(new nn.ModuleList([new nn.Sigmoid(), new nn.Identity(), new nn.Softmax(-1)]).toString()).toBe(
      'ModuleList(\n  (0): Sigmoid()\n  (1): Identity()\n  (2): Softmax(dim=-1)\n)',
    );
    expect(new nn.Sequential().toString()).toBe('Sequential()');
  });
});

describe('Sequential', () => {
  it('is built from arguments, an array or named modules', () => {
    const a = new nn.Linear(2, 2);
    const b = new nn.ReLU();
    expect(new nn.Sequential(a, b).get(-1)).toBe(b);
    expect(new nn.Sequential([a, b]).length).toBe(2);
    const named = new nn.Sequential({ fc: a, act: b });
    expect(named.namedParameters().map(([n]) => n)).toEqual(['fc.weight', 'fc.bias']);
    expect([...named]).toEqual([a, b]);
    expect(() => new nn.Sequential(a, 3 as never)).toThrow(/modules\[1\] must be a Module/);
    expect(() => named.get(2)).toThrow(ArgumentError);
  });

  // The fused path (one GEMM with its activation epilogue) against the two modules run apart.
  const activations: [string, () => nn.Module][] = [
    ['ReLU', () => new nn.ReLU()],
    ['LeakyReLU', () => new nn.LeakyReLU(0.1)],
    ['Sigmoid', () => new nn.Sigmoid()],
    ['Tanh', () => new nn.Tanh()],
  ];
  it('does not fuse a module whose forward was replaced', () => {
    const fc = new nn.Linear(3, 2);
    const act = new nn.ReLU();
    act.forward = (x: Tensor) => x.mul(-1);
    const x = randn(4, 3);
    expect(values(new nn.Sequential(fc, act).call(x))).toEqual(values(fc.call(x).mul(-1)));
  });

  it.each(activations)('fuses Linear + %s without changing values or gradients', (_name, make) => {
    manualSeed(7);
    const fc = new nn.Linear(37, 19);
    const act = make() as nn.Module;
    const fused = new nn.Sequential(fc, act);
    const x = randn(13, 37);
    const y1 = fused.call(x);
    y1.mul(y1).sum().backward();
    const g1 = [values(fc.weight.grad!), values(fc.bias!.grad!)];
    fc.zeroGrad();
    const y2 = act.call(fc.call(x));
    expect(y1.gradFn).not.toBe(y2.gradFn);
    y2.mul(y2).sum().backward();
    const close = (a: number[], b: number[]): void => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    close(values(y1), values(y2));
    close(g1[0]!, values(fc.weight.grad!));
    close(g1[1]!, values(fc.bias!.grad!));
  });
});

describe('layers', () => {
  it('Linear checks its input and supports no bias', () => {
    const lin = new nn.Linear(3, 2, { bias: false });
    expect(lin.bias).toBeNull();
    expect(lin.call(randn(5, 3)).shape).toEqual([5, 2]);
    expect(() => lin.call(randn(5, 4))).toThrow(ShapeError);
    expect(() => new nn.Linear(-1, 2)).toThrow(/inFeatures must be an integer >= 0/);
    expect(() => new nn.Linear(2, 2, { bais: true } as never)).toThrow(/unknown option "bais"/);
  });

  it('default Linear init is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias, never zeros', () => {
    manualSeed(3);
    const lin = new nn.Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    const w = values(lin.weight);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(4 * (bound / Math.sqrt(3)) / Math.sqrt(w.length));
    expect(std / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
    expect(values(lin.bias!).some((v) => v !== 0)).toBe(true);
  });

  it('init is reproducible under manualSeed', () => {
    manualSeed(11);
    const a = values(new nn.Linear(5, 4).weight);
    manualSeed(11);
    expect(values(new nn.Linear(5, 4).weight)).toEqual(a);
  });

  it('Flatten merges dimensions', () => {
    const x = rand(2, 3, 4, 5);
    expect(new nn.Flatten().call(x).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0, 1).call(x).shape).toEqual([6, 4, 5]);
    expect(new nn.Flatten(-2).call(x).shape).toEqual([2, 3, 20]);
    expect(() => new nn.Flatten(3, 1).call(x)).toThrow(ArgumentError);
  });

  it('activation modules match their functions; Softmax needs dim', () => {
    const x = randn(4, 6);
    expect(values(new nn.Softmax(1).call(x).sum(1))).toEqual(values(tensor([1, 1, 1, 1])).map((v) => expect.closeTo(v, 6)));
    expect(values(new nn.Step().call(tensor([-1, 0, 2])))).toEqual([0, 0, 1]);
    expect(() => new nn.Softmax(undefined as never)).toThrow(/dim must be an integer/);
  });
});

describe('BatchNorm1d and Dropout modules', () => {
  const mean0 = (t: Tensor): number[] => values(t.mean(0));
  it('BatchNorm1d keeps running statistics in training and uses them in eval', () => {
    manualSeed(4);
    const bn = new nn.BatchNorm1d(3);
    const x = randn(16, 3).mul(2).add(1);
    const y = bn.call(x);
    values(y.mean(0)).forEach((v) => expect(v).toBeCloseTo(0, 5));
    mean0(x).forEach((m, c) => expect(values(bn.runningMean!)[c]).toBeCloseTo(0.1 * m, 5));
    expect(bn.numBatchesTracked!.item()).toBe(1);
    bn.eval();
    const z = bn.call(x);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    const rm = values(bn.runningMean!);
    const rv = values(bn.runningVar!);
    const xs = x.toArray() as number[][];
    (z.toArray() as number[][]).forEach((row, i) =>
      row.forEach((v, c) => expect(v).toBeCloseTo((xs[i]![c]! - rm[c]!) / Math.sqrt(rv[c]! + 1e-5), 4)),
    );
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  });

  it('momentum null gives the cumulative average of the batch means', () => {
    manualSeed(6);
    const bn = new nn.BatchNorm1d(2, { momentum: null, affine: false });
    const a = randn(8, 2);
    const b = randn(8, 2).add(3);
    bn.call(a);
    bn.call(b);
    const expected = mean0(a).map((m, c) => (m + mean0(b)[c]!) / 2);
    values(bn.runningMean!).forEach((v, c) => expect(v).toBeCloseTo(expected[c]!, 5));
    expect(bn.parameters()).toHaveLength(0);
  });

  it('BatchNorm1d takes (N, C) and (N, C, L) only, with its channel count', () => {
    const bn = new nn.BatchNorm1d(3);
    expect(bn.call(randn(4, 3, 5)).shape).toEqual([4, 3, 5]);
    expect(() => bn.call(randn(4, 3, 2, 2))).toThrow(/expected 2D or 3D input/);
    expect(() => bn.call(randn(4, 5))).toThrow(/expected 3/);
    expect(() => new nn.BatchNorm1d(3, { momentum: 2 })).toThrow(/momentum must be a number in \[0, 1\] or null/);
  });

  it('Dropout drops in training and is the identity in eval', () => {
    manualSeed(8);
    const drop = new nn.Dropout(0.25);
    const x = randn(100, 100);
    const y = values(drop.call(x));
    const kept = y.filter((v) => v !== 0).length / y.length;
    expect(kept).toBeGreaterThan(0.72);
    expect(kept).toBeLessThan(0.78);
    drop.eval();
    expect(drop.call(x)).toBe(x);
    expect(() => new nn.Dropout(1.5)).toThrow(/p must be a probability in \[0, 1\]/);
  });
});

describe('in-place writes and the version check', () => {
  it('fill_, copy_, uniform_ and normal_ write in place', () => {
    const t = zeros([2, 3]);
    expect(values(t.fill_(2))).toEqual([2, 2, 2, 2, 2, 2]);
    t.copy_(tensor([1, 2, 3]));
    expect(values(t)).toEqual([1, 2, 3, 1, 2, 3]);
    t.T.copy_(tensor([[5, 6], [7, 8], [9, 10]]));
    expect(values(t)).toEqual([5, 7, 9, 6, 8, 10]);
    manualSeed(0);
    t.uniform_(-2, -1);
    expect(values(t).every((v) => v >= -2 && v < -1)).toBe(true);
    expect(() => t.copy_(zeros([4]))).toThrow(ShapeError);
    expect(() => t.uniform_(1, 0)).toThrow(/a <= b/);
    expect(() => t.normal_(0, -1)).toThrow(/std >= 0/);
  });

  it('refuses to write into tensors autograd tracks, unless under noGrad', () => {
    const w = new nn.Parameter(zeros([2]));
    expect(() => w.fill_(1)).toThrow(/wrap the write in noGrad/);
    const y = w.mul(2);
    expect(() => y.zero_()).toThrow(/part of the autograd graph/);
    expect(() => zeros([2]).copy_(y)).toThrow(/source requires grad/);
    noGrad(() => w.fill_(1));
    expect(values(w)).toEqual([1, 1]);
  });

  it('refuses to write into a broadcast view', () => {
    expect(() => zeros([3]).expand([2, 3]).fill_(1)).toThrow(/refers to the same memory/);
    expect(() => zeros([1]).expand([4]).copy_(tensor([1, 2, 3, 4]))).toThrow(/refers to the same memory/);
  });

  it('backward refuses a graph whose saved tensor was overwritten with fill_ or copy_', () => {
    const x = tensor([1, 2, 3]);
    const w = new nn.Parameter(tensor([1, 1, 1]));
    const y = w.mul(x).sum();
    x.fill_(0);
    expect(() => y.backward()).toThrow(/modified in place/);
    const z = w.exp().sum();
    noGrad(() => w.copy_(tensor([0, 0, 0])));
    expect(() => z.backward()).toThrow(/ExpBackward0/);
  });

  it('accumulating into a .grad that a graph saved is caught too', () => {
    const p = new nn.Parameter(tensor([1, 1, 1]));
    p.mul(2).sum().backward();
    const y = p.mul(p.grad!).sum();
    p.mul(3).sum().backward();
    expect(() => y.backward()).toThrow(/modified in place/);
  });

  it('backward refuses a graph whose saved tensors an optimizer step changed', () => {
    const lin = new nn.Linear(3, 1);
    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
    const x = randn(4, 3);
    lin.call(x).sum().backward();
    const loss = lin.call(x).sum();
    opt.step();
    expect(() => loss.backward()).toThrow(/modified in place after the forward pass/);
  });
});
