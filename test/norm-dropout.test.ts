// Batch norm and dropout through the functional API: every case in fixtures/norm.json (PyTorch's
// F.batch_norm in float64, see fixtures/make_norm_fixtures.py) for the output, the running
// statistics it leaves and the gradients; gradcheck in training and eval; dropout's fraction,
// scale, reproducibility under manualSeed, channel-wise masks and gradient; the errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, gradcheck, manualSeed, ones, ShapeError, Tensor, tensor } from '../lib/index.js';
import { batchNorm, dropout, dropout2d } from '../lib/nn/functional_norm.js';
import { expectClose, randomValues, thrown } from './helpers.js';
import { type Encoded, expectTensor as expectTensorWithin, fromEncoded } from './fixture-tensors.js';

// ---- the fixtures ---------------------------------------------------------------------------

interface NormFixture {
  name: string;
  training: boolean;
  momentum: number;
  eps: number;
  input: Encoded;
  weight: Encoded | null;
  bias: Encoded | null;
  runningMean: Encoded | null;
  runningVar: Encoded | null;
  output: Encoded;
  runningMeanAfter: Encoded | null;
  runningVarAfter: Encoded | null;
  /** backward() is given this: the grads are those of sum(output · gradOutput). */
  gradOutput: Encoded;
  grads: { input: Encoded; weight: Encoded | null; bias: Encoded | null };
}

const fixtures: NormFixture[] = JSON.parse(readFileSync(new URL('./fixtures/norm.json', import.meta.url), 'utf8'));

// Float32 results against a float64 reference.
const TOLERANCE = { rtol: 1e-4, atol: 2e-5 };
const expectTensor = (what: string, actual: Tensor | null, expected: Encoded, tol = TOLERANCE): void => expectTensorWithin(what, actual, expected, tol);

const maybe = (e: Encoded | null, requiresGrad = false): Tensor | null => (e === null ? null : fromEncoded(e, requiresGrad));


describe('batchNorm fixtures', () => {
  it('cover 2-D, 3-D and 4-D inputs, training and eval, with and without affine and running stats', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
    const dims = new Set(fixtures.map((f) => f.input.shape.length));
    expect([...dims].sort()).toEqual([2, 3, 4]);
    for (const flag of [true, false]) {
      expect(fixtures.some((f) => f.training === flag)).toBe(true);
      expect(fixtures.some((f) => (f.weight !== null) === flag)).toBe(true);
      expect(fixtures.some((f) => (f.runningMean !== null) === flag)).toBe(true);
    }
  });

  it.each(fixtures)('$name: output, running stats and gradients match PyTorch', (fx) => {
    const x = fromEncoded(fx.input, true);
    const weight = maybe(fx.weight, true);
    const bias = maybe(fx.bias, true);
    const runningMean = maybe(fx.runningMean);
    const runningVar = maybe(fx.runningVar);
    const out = batchNorm(x, runningMean, runningVar, { weight, bias, training: fx.training, momentum: fx.momentum, eps: fx.eps });
    expectTensor(`${fx.name} output`, out, fx.output);
    expect(out.gradFn).toBe('NativeBatchNormBackward0');
    if (fx.runningMeanAfter !== null) {
      expectTensor(`${fx.name} runningMean`, runningMean, fx.runningMeanAfter, { rtol: 1e-5, atol: 1e-6 });
      expectTensor(`${fx.name} runningVar`, runningVar, fx.runningVarAfter!, { rtol: 1e-5, atol: 1e-6 });
    }
    out.backward(fromEncoded(fx.gradOutput));
    expectTensor(`${fx.name} input .grad`, x.grad, fx.grads.input);
    if (fx.grads.weight !== null) expectTensor(`${fx.name} weight .grad`, weight!.grad, fx.grads.weight);
    if (fx.grads.bias !== null) expectTensor(`${fx.name} bias .grad`, bias!.grad, fx.grads.bias);
  });
});

// ---- gradcheck ------------------------------------------------------------------------------

describe('batchNorm gradcheck', () => {
  const leaf = (n: number, shape: number[], seed: number, lo = -1, hi = 1) => Tensor.from(randomValues(n, seed, lo, hi), shape).requiresGrad_();

  it.each([
    ['training (N, C)', [4, 3], true],
    ['training (N, C, L)', [2, 3, 4], true],
    ['training (N, C, H, W)', [2, 2, 2, 3], true],
    ['eval (N, C)', [3, 3], false],
    ['eval (N, C, L)', [2, 2, 3], false],
  ] as const)('%s, with weight and bias', (_label, shape, training) => {
    const channels = shape[1]!;
    const n = shape.reduce((a, b) => a * b, 1);
    const x = leaf(n, [...shape], 1);
    const w = leaf(channels, [channels], 2, 0.5, 2);
    const b = leaf(channels, [channels], 3);
    const mean = Tensor.from(randomValues(channels, 4, -0.5, 0.5), [channels]);
    const variance = Tensor.from(randomValues(channels, 5, 0.5, 2), [channels]);
    const fn = (xi: Tensor, wi: Tensor, bi: Tensor) => batchNorm(xi, mean, variance, { weight: wi, bias: bi, training });
    expect(gradcheck(fn, [x, w, b])).toBe(true);
  });

  it('training without affine parameters or running stats', () => {
    const x = leaf(15, [5, 3], 6);
    expect(gradcheck((xi: Tensor) => batchNorm(xi, null, null, { training: true }), [x])).toBe(true);
  });
});

// ---- behaviour ------------------------------------------------------------------------------

describe('batchNorm', () => {
  it('updates the running stats in place in training: the unbiased variance, momentum 0.1 by default', () => {
    const data = [1, 2, 4, 8, 0, -2];
    const x = tensor([
      [data[0]!, data[1]!],
      [data[2]!, data[3]!],
      [data[4]!, data[5]!],
    ]);
    const runningMean = tensor([0.5, -0.5]);
    const runningVar = tensor([1, 2]);
    batchNorm(x, runningMean, runningVar, { training: true });
    const col0 = [1, 4, 0];
    const col1 = [2, 8, -2];
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const unbiased = (v: number[]) => v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1);
    expectClose(runningMean.data(), [0.9 * 0.5 + 0.1 * mean(col0), 0.9 * -0.5 + 0.1 * mean(col1)], { rtol: 1e-6 });
    expectClose(runningVar.data(), [0.9 * 1 + 0.1 * unbiased(col0), 0.9 * 2 + 0.1 * unbiased(col1)], { rtol: 1e-6 });
  });

  it('normalises with the running stats in eval (the default) and leaves them unchanged', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const runningMean = tensor([1, 2]);
    const runningVar = tensor([4, 0.25]);
    const y = batchNorm(x, runningMean, runningVar, { eps: 0 });
    expectClose(y.data(), [0, 0, 1, 4], { rtol: 1e-6 });
    expect(Array.from(runningMean.data())).toEqual([1, 2]);
    expect(Array.from(runningVar.data())).toEqual([4, 0.25]);
  });

  it('records no graph when nothing requires grad', () => {
    const y = batchNorm(tensor([[1], [3]]), null, null, { training: true });
    expect(y.requiresGrad).toBe(false);
    expectClose(y.data(), [-1, 1], { rtol: 1e-4 });
  });

  it('rejects bad arguments, naming them', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const c3 = tensor([1, 1, 1]);
    const e1 = thrown(() => batchNorm(tensor([1, 2, 3]), null, null, { training: true }));
    expect(e1).toBeInstanceOf(ShapeError);
    expect(e1.message).toMatch(/batchNorm: input must have at least 2 dimensions/);
    expect(thrown(() => batchNorm(x.int(), null, null, { training: true }))).toBeInstanceOf(DTypeError);
    const e2 = thrown(() => batchNorm(x, null, null, { training: true, weight: tensor([1, 1]) }));
    expect(e2).toBeInstanceOf(ShapeError);
    expect(e2.message).toMatch(/options\.weight must have one entry per channel, shape \[3\], got \[2\]/);
    const e3 = thrown(() => batchNorm(x, null, null));
    expect(e3).toBeInstanceOf(ArgumentError);
    expect(e3.message).toMatch(/required in evaluation mode/);
    expect(thrown(() => batchNorm(x, c3, null, { training: true })).message).toMatch(/must be given together/);
    const e4 = thrown(() => batchNorm(tensor([[1, 2, 3]]), null, null, { training: true }));
    expect(e4).toBeInstanceOf(ShapeError);
    expect(e4.message).toContain('Expected more than 1 value per channel when training, got input size [1, 3]');
    expect(thrown(() => batchNorm(x, null, null, { training: true, eps: -1 })).message).toMatch(/options\.eps must be a finite number >= 0/);
    expect(thrown(() => batchNorm(x, null, null, { training: true, momentum: NaN })).message).toMatch(/options\.momentum/);
    expect(thrown(() => batchNorm(x, null, null, { training: 'yes' as never })).message).toMatch(/options\.training must be a boolean/);
    expect(thrown(() => batchNorm(x, null, null, { train: true } as never)).message).toMatch(/unknown option "train"/);
    expect(thrown(() => batchNorm([1, 2] as never, null, null)).message).toMatch(/batchNorm: input must be a Tensor/);
    const stat = tensor([0, 0, 0], { requiresGrad: true });
    expect(thrown(() => batchNorm(x, stat, c3, { training: true })).message).toMatch(/runningMean must not require grad/);
    // one value per channel is fine in eval
    expect(batchNorm(tensor([[1, 2, 3]]), c3, c3).shape).toEqual([1, 3]);
  });
});

describe('dropout', () => {
  it('zeroes a fraction p and scales the rest by 1/(1-p)', () => {
    manualSeed(0);
    const n = 200_000;
    for (const p of [0.2, 0.5, 0.9]) {
      const y = dropout(ones([n]), { p }).data();
      const scale = Math.fround(1 / (1 - p));
      let zeros = 0;
      let sum = 0;
      for (const v of y) {
        if (v === 0) zeros++;
        else expect(v).toBe(scale);
        sum += v;
      }
      const sigma = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(zeros / n - p)).toBeLessThan(6 * sigma);
      expect(Math.abs(sum / n - 1)).toBeLessThan(6 * Math.sqrt(p / (1 - p) / n));
    }
  });

  it('is reproducible after manualSeed, and the next draw differs', () => {
    const x = Tensor.from(randomValues(5000, 7), [50, 100]);
    manualSeed(42);
    const a = Array.from(dropout(x, { p: 0.3 }).data());
    manualSeed(42);
    const b = Array.from(dropout(x, { p: 0.3 }).data());
    const c = Array.from(dropout(x, { p: 0.3 }).data());
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('passes the gradient through the same scaled mask', () => {
    manualSeed(3);
    const x = Tensor.from(randomValues(60, 8, 0.5, 1.5), [3, 20]).requiresGrad_();
    const y = dropout(x, { p: 0.4 });
    expect(y.gradFn).toBe('MulBackward0');
    y.sum().backward();
    const mask = Array.from(y.data(), (v, i) => v / x.data()[i]!);
    expectClose(x.grad!.data(), mask, { rtol: 1e-6 });
  });

  it('gradcheck with a fixed mask (the generator reseeded for every evaluation)', () => {
    const x = Tensor.from(randomValues(24, 9), [4, 6]).requiresGrad_();
    const fn = (xi: Tensor) => {
      manualSeed(11);
      return dropout(xi, { p: 0.3 });
    };
    expect(gradcheck(fn, [x])).toBe(true);
  });

  it('returns the input itself outside training and for p = 0, zeros for p = 1', () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    expect(dropout(x, { training: false })).toBe(x);
    expect(dropout(x, { p: 0 })).toBe(x);
    const y = dropout(x, { p: 1 });
    expect(Array.from(y.data()).every((v) => v === 0)).toBe(true); // -0 for -2, as x·0 in torch
    y.sum().backward();
    expect(Array.from(x.grad!.data()).every((v) => v === 0)).toBe(true);
  });

  it('rejects bad arguments, naming them', () => {
    const x = tensor([1, 2, 3]);
    for (const p of [-0.1, 1.5]) {
      const e = thrown(() => dropout(x, { p }));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(/dropout: options\.p must be a probability in \[0, 1\]/);
    }
    expect(thrown(() => dropout(x, { p: NaN })).message).toMatch(/options\.p/);
    expect(thrown(() => dropout(x, { p: 2, training: false })).message).toMatch(/options\.p/); // checked in eval too, as torch
    expect(thrown(() => dropout(x, { training: 1 as never })).message).toMatch(/options\.training must be a boolean/);
    expect(thrown(() => dropout(x.int()))).toBeInstanceOf(DTypeError);
    expect(thrown(() => dropout(x, { rate: 0.5 } as never)).message).toMatch(/unknown option "rate"/);
    expect(thrown(() => dropout(null as never)).message).toMatch(/dropout: input must be a Tensor/);
  });
});

describe('dropout2d', () => {
  it('zeroes whole channels', () => {
    manualSeed(5);
    const [n, c, h, w] = [16, 8, 3, 4];
    const y = dropout2d(ones([n, c, h, w]).mul(2), { p: 0.5 }).data();
    let dropped = 0;
    for (let k = 0; k < n * c; k++) {
      const channel = Array.from(y.subarray(k * h * w, (k + 1) * h * w));
      expect(channel.every((v) => v === channel[0]), `channel ${k} is constant`).toBe(true);
      expect([0, 4]).toContain(channel[0]);
      if (channel[0] === 0) dropped++;
    }
    expect(dropped / (n * c)).toBeGreaterThan(0.3);
    expect(dropped / (n * c)).toBeLessThan(0.7);
  });

  it('passes the gradient through the channel mask', () => {
    manualSeed(6);
    const x = Tensor.from(randomValues(2 * 4 * 5, 10, 0.5, 1.5), [2, 4, 5]).requiresGrad_();
    const y = dropout2d(x, { p: 0.5 });
    y.sum().backward();
    expectClose(x.grad!.data(), Array.from(y.data(), (v, i) => v / x.data()[i]!), { rtol: 1e-6 });
  });

  it('needs (N, C, ...) input', () => {
    const e = thrown(() => dropout2d(tensor([1, 2, 3])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/dropout2d: input must have at least 2 dimensions/);
  });
});
