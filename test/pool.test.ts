// 2-D pooling through the functional API and the modules: every case in fixtures/pool.json
// (PyTorch 1.13's F.max_pool2d / avg_pool2d / adaptive_avg_pool2d in float64, see
// fixtures/make_pool_fixtures.py) for the output, the input gradient and the node's name;
// gradcheck on small cases; NaN and ties; the modules' toString against PyTorch's print; the
// errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, gradcheck, ShapeError, Tensor, tensor } from '../lib/index.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../lib/nn/functional.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from '../lib/nn/pooling.js';
import { randomValues, thrown } from './helpers.js';
import { type Encoded, expectTensor as expectTensorWithin, fromEncoded } from './fixture-tensors.js';

type Pair = number | [number, number];
interface PoolFixture {
  name: string;
  op: 'maxPool2d' | 'avgPool2d' | 'adaptiveAvgPool2d';
  args: {
    kernelSize?: Pair;
    stride?: Pair | null;
    padding?: Pair;
    dilation?: Pair;
    ceilMode?: boolean;
    countIncludePad?: boolean;
    divisorOverride?: number | null;
    outputSize?: number | [number | null, number | null];
  };
  input: Encoded;
  output: Encoded;
  gradFn: string;
  /** backward() is given this: gradInput is the gradient of sum(output · gradOutput). */
  gradOutput: Encoded;
  gradInput: Encoded;
}

const fixtures: PoolFixture[] = JSON.parse(readFileSync(new URL('./fixtures/pool.json', import.meta.url), 'utf8'));
const TOLERANCE = { rtol: 1e-5, atol: 1e-6 };
const expectTensor = (what: string, actual: Tensor | null, expected: Encoded, tol = TOLERANCE): void => expectTensorWithin(what, actual, expected, tol);


function apply(fx: PoolFixture, x: Tensor): Tensor {
  const { kernelSize, outputSize, ...options } = fx.args;
  if (fx.op === 'adaptiveAvgPool2d') return adaptiveAvgPool2d(x, outputSize!);
  if (fx.op === 'maxPool2d') return maxPool2d(x, kernelSize!, options);
  return avgPool2d(x, kernelSize!, options);
}

// The module equivalent to a fixture's call.
function moduleOf(fx: PoolFixture): MaxPool2d | AvgPool2d | AdaptiveAvgPool2d {
  const { kernelSize, outputSize, ...options } = fx.args;
  if (fx.op === 'adaptiveAvgPool2d') return new AdaptiveAvgPool2d(outputSize!);
  if (fx.op === 'maxPool2d') return new MaxPool2d(kernelSize!, options);
  return new AvgPool2d(kernelSize!, options);
}

describe('pooling fixtures', () => {
  it('cover every op, 3-D and 4-D inputs, padding, dilation, ceil mode and the divisor rules', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
    for (const op of ['maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d']) {
      expect(fixtures.filter((f) => f.op === op).length).toBeGreaterThanOrEqual(5);
      expect(new Set(fixtures.filter((f) => f.op === op).map((f) => f.input.shape.length))).toEqual(new Set([3, 4]));
    }
    expect(fixtures.some((f) => f.args.ceilMode === true && f.op === 'avgPool2d' && f.args.countIncludePad === false)).toBe(true);
    expect(fixtures.some((f) => f.args.divisorOverride != null)).toBe(true);
    expect(fixtures.some((f) => f.args.dilation !== undefined && f.args.dilation !== 1)).toBe(true);
  });

  it.each(fixtures)('$name: output, gradient and gradFn match PyTorch', (fx) => {
    const x = fromEncoded(fx.input).requiresGrad_();
    const out = apply(fx, x);
    expectTensor(`${fx.name} output`, out, fx.output);
    expect(out.gradFn).toBe(fx.gradFn);
    out.backward(fromEncoded(fx.gradOutput));
    expectTensor(`${fx.name} grad`, x.grad, fx.gradInput);
  });

  it.each(fixtures)('$name: the module gives the same output', (fx) => {
    expectTensor(`${fx.name} module output`, moduleOf(fx).forward(fromEncoded(fx.input)), fx.output);
  });
});

describe('gradcheck', () => {
  // Distinct values far apart (a shuffled ramp), so finite differences never cross a tie.
  const distinct = (shape: number[], seed: number): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const keys = randomValues(n, seed);
    const order = [...keys.keys()].sort((a, b) => keys[a]! - keys[b]!);
    const values = new Float32Array(n);
    order.forEach((i, rank) => (values[i] = (rank - n / 2) * 0.1));
    return Tensor.from(values, shape).requiresGrad_();
  };
  it('maxPool2d', () => {
    expect(gradcheck((x) => maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [distinct([1, 2, 5, 6], 1)])).toBe(true);
    expect(gradcheck((x) => maxPool2d(x, [2, 3], { stride: 1, dilation: [2, 1] }), [distinct([2, 5, 5], 2)])).toBe(true);
  });
  it('avgPool2d', () => {
    const x = Tensor.from(randomValues(60, 3), [1, 2, 5, 6]).requiresGrad_();
    expect(gradcheck((t) => avgPool2d(t, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [x])).toBe(true);
    expect(gradcheck((t) => avgPool2d(t, 2, { stride: 1, divisorOverride: 3 }), [x])).toBe(true);
  });
  it('adaptiveAvgPool2d', () => {
    const x = Tensor.from(randomValues(70, 4), [2, 5, 7]).requiresGrad_();
    expect(gradcheck((t) => adaptiveAvgPool2d(t, [3, 4]), [x])).toBe(true);
    expect(gradcheck((t) => adaptiveAvgPool2d(t, 1), [x])).toBe(true);
  });
});

describe('maxPool2d values', () => {
  it('a NaN in the window wins, as in PyTorch; a tie sends the gradient to the first maximum', () => {
    const x = tensor([[[1, NaN, 3, 4], [5, 6, 7, 8]]]);
    const y = maxPool2d(x, 2).data();
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(8);
    const t = tensor([[[2, 2], [2, 1]]]).requiresGrad_();
    maxPool2d(t, 2).sum().backward();
    expect([...t.grad!.data()]).toEqual([1, 0, 0, 0]);
  });
  it('stride defaults to the kernel size, and padding counts as -inf', () => {
    const x = tensor([[[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]]);
    expect(maxPool2d(x, 2).shape).toEqual([1, 1, 1]);
    expect([...maxPool2d(x, 3, { padding: 1, stride: 1 }).data()]).toEqual([-1, -1, -2, -1, -1, -2, -4, -4, -5]);
  });
});

describe('modules', () => {
  // Strings from print(torch.nn.MaxPool2d(2)) etc. in PyTorch 1.13.
  it.each([
    [() => new MaxPool2d(2), 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'],
    [
      () => new MaxPool2d([2, 3], { stride: 1, padding: 1, dilation: 2, ceilMode: true }),
      'MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)',
    ],
    [() => new MaxPool2d(3, { stride: [2, 1] }), 'MaxPool2d(kernel_size=3, stride=(2, 1), padding=0, dilation=1, ceil_mode=False)'],
    [() => new AvgPool2d(2), 'AvgPool2d(kernel_size=2, stride=2, padding=0)'],
    [
      () => new AvgPool2d([2, 3], { stride: 1, padding: 1, ceilMode: true, countIncludePad: false, divisorOverride: 3 }),
      'AvgPool2d(kernel_size=(2, 3), stride=1, padding=1)',
    ],
    [() => new AdaptiveAvgPool2d(1), 'AdaptiveAvgPool2d(output_size=1)'],
    [() => new AdaptiveAvgPool2d([2, 3]), 'AdaptiveAvgPool2d(output_size=(2, 3))'],
    [() => new AdaptiveAvgPool2d([null, 3]), 'AdaptiveAvgPool2d(output_size=(None, 3))'],
  ] as const)('%#: toString reads as PyTorch prints it', (make, expected) => {
    expect(make().toString()).toBe(expected);
  });
  it('have no parameters', () => {
    expect(new MaxPool2d(2).parameters()).toEqual([]);
    expect(new AdaptiveAvgPool2d(1).parameters()).toEqual([]);
  });
  it('check their arguments at construction', () => {
    expect(thrown(() => new MaxPool2d(0)).message).toMatch(/MaxPool2d: kernelSize must be an integer >= 1, got the number 0/);
    expect(thrown(() => new AvgPool2d(2, { divisorOverride: 0 })).message).toMatch(/AvgPool2d: options\.divisorOverride/);
    expect(thrown(() => new AdaptiveAvgPool2d([1, 0])).message).toMatch(/AdaptiveAvgPool2d: outputSize\[1\] must be an integer >= 1/);
    expect(thrown(() => new MaxPool2d(2, { ceil: true } as never)).message).toMatch(/unknown option "ceil"/);
  });
});

describe('errors', () => {
  const x = Tensor.from(randomValues(32, 5), [1, 2, 4, 4]);
  it('names the argument and what it received', () => {
    const cases: [() => unknown, abstract new (...args: never[]) => Error, RegExp][] = [
      [() => maxPool2d(x, 0), ArgumentError, /maxPool2d: kernelSize must be an integer >= 1, got the number 0/],
      [() => maxPool2d(x, [2, 2, 2] as never), ArgumentError, /kernelSize must be an integer >= 1 or a pair/],
      [() => maxPool2d(x, 2, { stride: 0 }), ArgumentError, /options\.stride must be an integer >= 1/],
      [() => maxPool2d(x, 2, { dilation: [1, 0] }), ArgumentError, /options\.dilation\[1\] must be an integer >= 1/],
      [() => maxPool2d(x, 3, { padding: 2 }), ArgumentError, /options\.padding must be at most half the kernel size/],
      [() => avgPool2d(x, 2, { padding: -1 }), ArgumentError, /options\.padding must be an integer >= 0/],
      [() => maxPool2d(x, 5), ShapeError, /output size is too small.*gives an output of 0x0/],
      [() => maxPool2d(x, 3, { dilation: 2 }), ShapeError, /output size is too small/],
      [() => maxPool2d(tensor([[1, 2], [3, 4]]), 2), ShapeError, /3-D \(C, H, W\) or 4-D \(N, C, H, W\)/],
      [() => maxPool2d(x.int(), 2), DTypeError, /maxPool2d: input must be a float32 tensor/],
      [() => maxPool2d(x, 2, { ceilMode: 1 as never }), ArgumentError, /options\.ceilMode must be a boolean/],
      [() => avgPool2d(x, 2, { divisorOverride: 0 }), ArgumentError, /options\.divisorOverride must be an integer from 1/],
      [() => avgPool2d(x, 2, { countIncludePad: 'yes' as never }), ArgumentError, /options\.countIncludePad must be a boolean/],
      [() => avgPool2d(x, 2, { dilation: 2 } as never), ArgumentError, /unknown option "dilation"/],
      [() => adaptiveAvgPool2d(x, 0), ArgumentError, /adaptiveAvgPool2d: outputSize must be an integer >= 1/],
      [() => adaptiveAvgPool2d(x, [2] as never), ArgumentError, /outputSize must be an integer >= 1 or a pair/],
      [() => adaptiveAvgPool2d(null as never, 2), ArgumentError, /adaptiveAvgPool2d: input must be a Tensor/],
    ];
    for (const [fn, type, message] of cases) {
      const e = thrown(fn);
      expect(e, message.source).toBeInstanceOf(type);
      expect(e.message).toMatch(message);
    }
  });
  it('accepts a batch of 0, as torch', () => {
    expect(maxPool2d(Tensor.from(new Float32Array(0), [0, 2, 4, 4]), 2).shape).toEqual([0, 2, 2, 2]);
  });
});
