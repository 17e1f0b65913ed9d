// Autograd, op by op: every case in fixtures/autograd.json (values and gradients from PyTorch
// in float64, see fixtures/make_fixtures.py) runs through one table of ops and is checked three
// ways: the forward value, the gradient backward() puts into each input's .grad, and gradcheck
// (central finite differences). Then the graph's own behaviour: accumulation, retainGraph,
// detach, noGrad, gradFn names.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  add,
  cat,
  chunk,
  div,
  F,
  gather,
  gradcheck,
  indexSelect,
  isGradEnabled,
  linear,
  matmul,
  maximum,
  minimum,
  maskedFill,
  mul,
  noGrad,
  enableGrad,
  pow,
  split,
  stack,
  sub,
  Tensor,
  TensorgradError,
  tensor,
  where,
} from '../lib/index.js';
import { thrown } from './helpers.js';

// ---- the fixtures ---------------------------------------------------------------------------

interface Encoded {
  shape: number[];
  data: number[];
}
interface FixtureInput extends Encoded {
  dtype: 'float32' | 'int32';
  requiresGrad: boolean;
}
interface Fixture {
  name: string;
  op: string;
  /** Non-tensor options; a tensor option (a loss's weight) is written { tensor: k }: input k. */
  args: Record<string, unknown>;
  inputs: FixtureInput[];
  output: Encoded;
  /** What backward() is given: 1 for a one-element 0-D output (then backward() gets nothing). */
  gradOutput: Encoded;
  /** d(output · gradOutput)/d(input), null for an input that does not require grad. */
  grads: (Encoded | null)[];
}

const fixtures: Fixture[] = JSON.parse(readFileSync(new URL('./fixtures/autograd.json', import.meta.url), 'utf8'));

// ---- the op table: one entry per fixture `op` (mirrors OPS in make_fixtures.py) -------------

type Args = Record<string, any>;
type OpFn = (t: Tensor[], a: Args) => Tensor;
type Operand = Tensor | number;
type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

// Tensor with tensor or number through the method; a number on the left through the function.
const binaryOp =
  (name: BinaryName, fn: (a: Operand, b: Operand) => Tensor): OpFn =>
  ([x, y], a) => {
    if (a.scalar === undefined) return x![name](y!);
    return a.scalarFirst ? fn(a.scalar as number, x!) : x![name](a.scalar as number);
  };

// Piece i of a split times (i + 1), joined again: checks each piece's values and gradient.
const piecesScaled = (parts: Tensor[], dim = 0): Tensor => cat(parts.map((p, i) => p.mul(i + 1)), dim);

const OPS: Record<string, OpFn> = {
  add: binaryOp('add', add),
  sub: binaryOp('sub', sub),
  mul: binaryOp('mul', mul),
  div: binaryOp('div', div),
  pow: binaryOp('pow', pow),
  maximum: binaryOp('maximum', maximum),
  minimum: binaryOp('minimum', minimum),
  neg: ([x]) => x!.neg(),
  exp: ([x]) => x!.exp(),
  log: ([x]) => x!.log(),
  sqrt: ([x]) => x!.sqrt(),
  abs: ([x]) => x!.abs(),
  clamp: ([x], a) => x!.clamp(a.min, a.max),
  sum: ([x], a) => x!.sum(a.dim, a.keepdim ?? false),
  mean: ([x], a) => x!.mean(a.dim, a.keepdim ?? false),
  max: ([x], a) => x!.max(a.dim, a.keepdim ?? false),
  min: ([x], a) => x!.min(a.dim, a.keepdim ?? false),
  matmul: ([x, y]) => x!.matmul(y!),
  reshape: ([x], a) => x!.reshape(...(a.shape as number[])),
  transpose: ([x], a) => x!.transpose(a.dim0, a.dim1),
  permute: ([x], a) => x!.permute(...(a.dims as number[])),
  slice: ([x], a) => x!.slice(a.start, a.end, a.step),
  get: ([x], a) => x!.get(a.index),
  cat: (t, a) => cat(t, a.dim),
  stack: (t, a) => stack(t, a.dim),
  gather: ([x, index], a) => gather(x!, a.dim, index!),
  indexSelect: ([x, index], a) => indexSelect(x!, a.dim, index!),
  compare: ([x, y], a) => x![a.cmp as 'eq'](a.scalar ?? y!),
  where: ([c, ...rest], a) => {
    const x = a.inputScalar ?? rest.shift()!;
    const y = a.otherScalar ?? rest.shift()!;
    return typeof x === 'number' ? where(c!, x, y) : x.where(c!, y);
  },
  maskedFill: ([x, m, v], a) => (a.value === undefined ? maskedFill(x!, m!, v!) : x!.maskedFill(m!, a.value)),
  triu: ([x], a) => x!.triu(a.diagonal),
  tril: ([x], a) => x!.tril(a.diagonal),
  cumsum: ([x], a) => x!.cumsum(a.dim),
  repeat: ([x], a) => x!.repeat(...(a.sizes as number[])),
  split: ([x], a) => piecesScaled(split(x!, a.split, a.dim), a.dim),
  chunk: ([x], a) => piecesScaled(x!.chunk(a.chunks, a.dim), a.dim),
  embedding: ([index, w], a) => F.embedding(index!, w!, a),
  // normType 'inf' stands for Infinity, which JSON cannot hold
  embeddingRenorm: ([index, w], a) =>
    cat([F.embedding(index!, w!, { ...a, normType: a.normType === 'inf' ? Infinity : a.normType }).reshape(-1), w!.reshape(-1)]),
  sigmoid: ([x]) => x!.sigmoid(),
  tanh: ([x]) => F.tanh(x!),
  relu: ([x]) => x!.relu(),
  leakyRelu: ([x], a) => (a.negativeSlope === undefined ? x!.leakyRelu() : F.leakyRelu(x!, a.negativeSlope)),
  softmax: ([x], a) => x!.softmax(a.dim),
  logSoftmax: ([x], a) => x!.logSoftmax(a.dim),
  linear: ([x, w, b], a) => linear(x!, w!, b ?? null, a),
  mseLoss: ([x, y], a) => F.mseLoss(x!, y!, a),
  l1Loss: ([x, y], a) => F.l1Loss(x!, y!, a),
  crossEntropy: ([x, y], a) => F.crossEntropy(x!, y!, a),
  nllLoss: ([x, y], a) => F.nllLoss(x!, y!, a),
  binaryCrossEntropy: ([x, y], a) => F.binaryCrossEntropy(x!, y!, a),
  binaryCrossEntropyWithLogits: ([x, y], a) => F.binaryCrossEntropyWithLogits(x!, y!, a),
  // compositions: a tensor used twice, ops on non-contiguous views, a small network
  mulSelf: ([x]) => x!.mul(x!),
  outerSelf: ([x]) => x!.mul(x!.transpose(0, 1)),
  transposeMatmul: ([x, y]) => matmul(x!.transpose(0, 1), y!),
  transposeSoftmax: ([x]) => x!.transpose(0, 1).softmax(-1),
  transposeCrossEntropy: ([x, target]) => F.crossEntropy(x!.T, target!),
  permuteSum: ([x]) => x!.permute(2, 0, 1).sum(1),
  stridedExp: ([x]) => x!.slice(1, undefined, 2).exp(),
  mlp: ([x, w1, b1, w2, b2, target]) => {
    const hidden = x!.matmul(w1!.T).add(b1!).relu(); // unfused first layer, fused second
    return F.crossEntropy(linear(hidden, w2!, b2!), target!);
  },
};

// ---- tolerances, and the cases gradcheck cannot judge --------------------------------------

// Float32 results against a float64 reference.
const TOLERANCE = { rtol: 1e-4, atol: 1e-5 };

// At a tie, max/min are not differentiable: the fixture pins amax's convention (the tied
// elements share the gradient equally), but a finite difference there measures a one-sided
// slope, so gradcheck has nothing meaningful to compare with.
// Embedding's options change its gradient on purpose, as torch's do, so finite differences
// disagree by design (the fixtures pin torch's values): paddingIdx's row gets none and
// scaleGradByFreq divides by the index counts; maxNorm renormalises the weight in place before
// each lookup, so a finite difference of the weight measures the renorm too.
const NO_GRADCHECK = new Set([
  'max/ties-dim1',
  'max/ties-all',
  'min/ties-dim1',
  'min/ties-all',
  ...fixtures
    .filter((fx) => fx.op === 'embeddingRenorm' || (fx.op === 'embedding' && (fx.args.paddingIdx !== undefined || fx.args.scaleGradByFreq)))
    .map((fx) => fx.name),
]);

// A float32 loss summed over 8 rows is about 30, where one rounding step is 2e-6: divided by
// 2·eps that is 1e-3 of noise in each finite difference, as much as gradcheck's atol. The
// loss is smooth, so a wider step costs no accuracy (make_fixtures.py --check shows the same).
const GRADCHECK_OPTIONS: Record<string, { eps?: number; atol?: number; rtol?: number }> = {
  'crossEntropy/medium-smoothing/sum': { eps: 1e-2 },
};

// ---- helpers --------------------------------------------------------------------------------

function makeInputs(fx: Fixture): Tensor[] {
  return fx.inputs.map((i) => {
    const t = Tensor.from(i.dtype === 'int32' ? Int32Array.from(i.data) : Float32Array.from(i.data), i.shape);
    return i.requiresGrad ? t.requiresGrad_() : t;
  });
}

// The fixture's args with { tensor: k } replaced by inputs[k].
function resolveArgs(args: Record<string, unknown>, inputs: readonly Tensor[]): Args {
  const out: Args = {};
  for (const [k, v] of Object.entries(args)) {
    out[k] = v !== null && typeof v === 'object' && 'tensor' in v ? inputs[(v as { tensor: number }).tensor] : v;
  }
  return out;
}

function run(fx: Fixture, inputs: Tensor[]): Tensor {
  const fn = OPS[fx.op];
  if (fn === undefined) expect.fail(`the op table has no entry for fixture op '${fx.op}'`);
  return fn(inputs, resolveArgs(fx.args, inputs));
}

/** Shape equal, every element within atol + rtol·|expected|; names the worst element. */
function expectMatches(what: string, actual: Tensor | null, expected: Encoded, tol = TOLERANCE): void {
  expect(actual, `${what} is null`).not.toBeNull();
  expect(actual!.shape, `${what} shape`).toEqual(expected.shape);
  const got = actual!.data();
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i]!;
    const d = Math.abs(got[i]! - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!(d <= excess)) {
      worst = i;
      excess = d;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what}: element ${worst} is ${got[worst]}, expected ${expected.data[worst]} ` +
        `(rtol ${tol.rtol}, atol ${tol.atol}; ${expected.data.length} elements)`,
    );
  }
}

// ---- the parametrised check -----------------------------------------------------------------

const byOp = new Map<string, Fixture[]>();
for (const fx of fixtures) byOp.set(fx.op, [...(byOp.get(fx.op) ?? []), fx]);

describe('autograd fixtures', () => {
  it('the op table covers every fixture op, and every table entry has fixtures', () => {
    expect([...byOp.keys()].filter((op) => !(op in OPS)), 'fixture ops missing from the table').toEqual([]);
    expect(Object.keys(OPS).filter((op) => !byOp.has(op)), 'table entries without fixtures').toEqual([]);
  });

  it('fixtures are well formed: a gradient exactly for each input that requires grad', () => {
    expect(fixtures.length).toBeGreaterThan(250);
    for (const fx of fixtures) {
      expect(fx.grads.length, fx.name).toBe(fx.inputs.length);
      fx.inputs.forEach((i, k) => {
        expect(i.data.length, `${fx.name} input ${k}`).toBe(i.shape.reduce((a, b) => a * b, 1));
        expect(fx.grads[k] === null, `${fx.name} grad ${k}`).toBe(!i.requiresGrad);
        expect(i.data.every((v) => Number.isFinite(v) && (i.dtype === 'float32' || Number.isInteger(v))), `${fx.name} input ${k} data`).toBe(true);
      });
    }
  });
});

describe.each([...byOp.entries()])('%s', (_op, cases) => {
  it.each(cases)('$name: value and gradients match PyTorch', (fx) => {
    const inputs = makeInputs(fx);
    const out = run(fx, inputs);
    expectMatches(`${fx.name} output`, out, fx.output);
    const anyGrad = fx.inputs.some((i) => i.requiresGrad);
    expect(out.requiresGrad, `${fx.name} output.requiresGrad`).toBe(anyGrad);
    if (!anyGrad) return; // comparisons: no gradient
    if (fx.output.shape.length === 0) out.backward(); // a loss: the implicit gradient 1
    else out.backward(Tensor.from(Float32Array.from(fx.gradOutput.data), fx.gradOutput.shape));
    fx.grads.forEach((g, k) => {
      if (g === null) expect(inputs[k]!.grad, `${fx.name} input ${k} (no grad expected) .grad`).toBeNull();
      else expectMatches(`${fx.name} input ${k} .grad`, inputs[k]!.grad, g);
    });
  });

  it.each(cases.filter((fx) => !NO_GRADCHECK.has(fx.name) && fx.inputs.some((i) => i.requiresGrad)))('$name: gradcheck', (fx) => {
    const inputs = makeInputs(fx);
    expect(gradcheck((...t: Tensor[]) => run(fx, t), inputs, GRADCHECK_OPTIONS[fx.name])).toBe(true);
  });
});

// ---- the graph's behaviour ------------------------------------------------------------------

const leaf = (data: number[]) => tensor(data, { requiresGrad: true });
const values = (t: Tensor | null) => Array.from(t!.data());
const close = (a: number[], b: number[]) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
};

describe('backward', () => {
  it('accumulates into .grad across backward calls until it is cleared', () => {
    const x = leaf([1, 2, 3]);
    expect(x.grad).toBeNull();
    x.mul(2).sum().backward();
    close(values(x.grad), [2, 2, 2]);
    x.mul(x).sum().backward(); // d/dx Σx² = 2x, added to the 2 already there
    close(values(x.grad), [4, 6, 8]);
    x.grad = null;
    x.mul(3).sum().backward();
    close(values(x.grad), [3, 3, 3]);
  });

  it('a tensor used twice gets both contributions', () => {
    const x = leaf([0.5, -1]);
    const y = x.exp();
    y.mul(x).add(y).sum().backward(); // d/dx (x·eˣ + eˣ) = (x + 2)·eˣ
    close(values(x.grad), [2.5 * Math.exp(0.5), 1 * Math.exp(-1)]);
  });

  it('retainGraph keeps the graph for a second backward', () => {
    const x = leaf([0.5, -1]);
    const y = x.exp().mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    close(values(x.grad), [0.5, -1].map((v) => 2 * (v + 1) * Math.exp(v)));
  });

  it('a second backward through a freed graph throws a clear error', () => {
    const x = leaf([0.5, -1]);
    const y = x.exp().mul(x).sum();
    y.backward();
    const e = thrown(() => y.backward());
    expect(e).toBeInstanceOf(TensorgradError);
    expect(e.message).toMatch(/retainGraph/);
    close(values(x.grad), [0.5, -1].map((v) => (v + 1) * Math.exp(v))); // the first backward's, untouched
  });

  it('backward from a non-scalar without a gradient throws a clear error', () => {
    const y = leaf([1, 2, 3]).mul(2);
    const e = thrown(() => y.backward());
    expect(e).toBeInstanceOf(TensorgradError);
    expect(e.message).toMatch(/gradient/);
    expect(e.message).toMatch(/\[3\]/); // names the output's shape
  });

  it('a gradient of the wrong shape throws a clear error', () => {
    const y = leaf([1, 2, 3]).mul(2);
    const e = thrown(() => y.backward(tensor([1, 1])));
    expect(e).toBeInstanceOf(TensorgradError);
    expect(e.message).toMatch(/shape/);
  });

  it('takes a non-contiguous gradient', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const g = tensor([[1, 2], [3, 4], [5, 6]]).T; // a transposed view, shape [2, 3]
    x.mul(2).backward(g);
    expect(x.grad!.toArray()).toEqual([
      [2, 6, 10],
      [4, 8, 12],
    ]);
  });

  it('backward from a tensor that does not require grad throws', () => {
    const e = thrown(() => tensor([1, 2]).sum().backward());
    expect(e).toBeInstanceOf(TensorgradError);
    expect(e.message).toMatch(/require/);
  });
});

describe('graph bookkeeping', () => {
  it('detach() gives a leaf outside the graph with the same values', () => {
    const x = leaf([1, 2]);
    const y = x.mul(3);
    const d = y.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.gradFn).toBeNull();
    close(values(d), [3, 6]);
    d.mul(x).sum().backward(); // d is a constant here
    close(values(x.grad), [3, 6]);
    d.data()[0] = 42; // shares y's memory
    expect(y.data()[0]).toBe(42);
  });

  it('requiresGrad_ is for float32 leaves only', () => {
    expect(thrown(() => tensor([1, 2], { dtype: 'int32' }).requiresGrad_())).toBeInstanceOf(TensorgradError);
    expect(thrown(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true }))).toBeInstanceOf(TensorgradError);
    const y = leaf([1, 2]).mul(2);
    expect(thrown(() => y.requiresGrad_(false)).message).toMatch(/leaf/);
    const x = tensor([1, 2]).requiresGrad_();
    expect(x.requiresGrad).toBe(true);
    expect(x.requiresGrad_(false).requiresGrad).toBe(false);
  });

  it('gradcheck throws on a wrong gradient', () => {
    // detach() hides one factor from backward: the analytic gradient is x, the true one 2x
    const x = tensor([0.5, -1, 2], { requiresGrad: true });
    const e = thrown(() => gradcheck((t) => t.detach().mul(t), [x]));
    expect(e).toBeInstanceOf(TensorgradError);
    expect(e.code).toBe('ERR_GRADCHECK');
    expect(x.grad).toBeNull(); // left as it was
  });

  it('noGrad() records nothing; enableGrad() inside it records again', () => {
    const x = leaf([1, 2]);
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => x.mul(2));
      expect(inner.requiresGrad).toBe(true);
      return x.mul(2);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(thrown(() => y.sum().backward())).toBeInstanceOf(TensorgradError);
    expect(x.grad).toBeNull();
    const loss = noGrad(() => F.crossEntropy(tensor([[1, 2]], { requiresGrad: true }), tensor([1], { dtype: 'int32' })));
    expect([loss.requiresGrad, loss.gradFn]).toEqual([false, null]);
  });

  it('noGrad() restores grad mode when fn throws', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
  });

  it('leaves and results: isLeaf, requiresGrad, gradFn', () => {
    const x = leaf([1, 2]);
    const c = tensor([3, 4]);
    expect([x.isLeaf, x.requiresGrad, x.gradFn]).toEqual([true, true, null]);
    expect([c.isLeaf, c.requiresGrad, c.gradFn]).toEqual([true, false, null]);
    const y = x.add(c);
    expect([y.isLeaf, y.requiresGrad]).toEqual([false, true]);
    const z = c.add(c);
    expect([z.isLeaf, z.requiresGrad, z.gradFn]).toEqual([true, false, null]);
  });

  it('gradFn carries PyTorch names', () => {
    const x = tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], { requiresGrad: true });
    const y = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const w = tensor([[0.1, 0.2, 0.3]], { requiresGrad: true });
    const b = tensor([0.5], { requiresGrad: true });
    const target = tensor([0, 0], { dtype: 'int32' });
    const names: Array<[string, Tensor]> = [
      ['AddBackward0', x.add(y)],
      ['AddBackward0', x.add(1)],
      ['SubBackward0', x.sub(y)],
      ['MulBackward0', x.mul(y)],
      ['DivBackward0', x.div(y)],
      ['PowBackward0', x.pow(2)],
      ['PowBackward1', x.pow(y)],
      ['MaximumBackward0', x.maximum(y)],
      ['NegBackward0', x.neg()],
      ['ExpBackward0', x.exp()],
      ['LogBackward0', x.log()],
      ['SqrtBackward0', x.sqrt()],
      ['AbsBackward0', x.abs()],
      ['ClampBackward1', x.clamp(0.2, 0.4)],
      ['SumBackward0', x.sum()],
      ['SumBackward1', x.sum(0)],
      ['MeanBackward0', x.mean()],
      ['MeanBackward1', x.mean(1)],
      ['AmaxBackward0', x.max(1)],
      ['AminBackward0', x.min(1)],
      ['MmBackward0', x.matmul(y.T)],
      ['TransposeBackward0', x.transpose(0, 1)],
      ['PermuteBackward0', x.permute(1, 0)],
      ['SliceBackward0', x.slice(0, 1)],
      ['SelectBackward0', x.get(1)],
      ['CatBackward0', cat([x, y])],
      ['StackBackward0', stack([x, y])],
      ['GatherBackward0', gather(x, 1, tensor([[0], [2]], { dtype: 'int32' }))],
      ['IndexSelectBackward0', indexSelect(x, 0, tensor([1], { dtype: 'int32' }))],
      ['SigmoidBackward0', x.sigmoid()],
      ['TanhBackward0', x.tanh()],
      ['ReluBackward0', x.relu()],
      ['LeakyReluBackward0', x.leakyRelu()],
      ['SoftmaxBackward0', x.softmax(-1)],
      ['LogSoftmaxBackward0', x.logSoftmax(-1)],
      ['AddmmBackward0', linear(x, w, b)],
      ['MmBackward0', linear(x, w)],
      ['MseLossBackward0', F.mseLoss(x, y)],
      ['NllLossBackward0', F.nllLoss(x, target)],
      ['BinaryCrossEntropyBackward0', F.binaryCrossEntropy(x.sigmoid(), y.detach().div(10))],
      ['BinaryCrossEntropyWithLogitsBackward0', F.binaryCrossEntropyWithLogits(x, y.detach().div(10))],
    ];
    expect(names.map(([, t]) => t.gradFn)).toEqual(names.map(([n]) => n));
  });

  it('step() has no gradient: its result never requires grad', () => {
    const x = leaf([-1, 0.5, 2]);
    const s = x.step();
    close(values(s), [0, 1, 1]);
    expect(s.requiresGrad).toBe(false);
    expect(s.gradFn).toBeNull();
    s.mul(x).sum().backward(); // the step is a constant factor
    close(values(x.grad), [0, 1, 1]);
  });
});
