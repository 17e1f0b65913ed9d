// conv2d through the functional API: every case in fixtures/conv.json (PyTorch's F.conv2d in
// float64, see fixtures/make_conv_fixtures.py) for the output and the input, weight and bias
// gradients; gradcheck on small cases; the grad_fn name; the errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, gradcheck, ShapeError, Tensor } from '../lib/index.js';
import { conv2d, type Conv2dOptions } from '../lib/nn/functional_conv.js';
import * as F from '../lib/nn/functional.js';
import { randomValues, thrown } from './helpers.js';
import { type Encoded, expectTensor as expectTensorWithin, fromEncoded } from './fixture-tensors.js';

interface ConvFixture {
  name: string;
  options: Conv2dOptions;
  input: Encoded;
  weight: Encoded;
  bias: Encoded | null;
  output: Encoded;
  /** backward() is given this: the grads are those of sum(output · gradOutput). */
  gradOutput: Encoded;
  grads: { input: Encoded; weight: Encoded; bias: Encoded | null };
}

const fixtures: ConvFixture[] = JSON.parse(readFileSync(new URL('./fixtures/conv.json', import.meta.url), 'utf8'));

// Float32 results against a float64 reference.
const TOLERANCE = { rtol: 1e-4, atol: 5e-5 };
const expectTensor = (what: string, actual: Tensor | null, expected: Encoded, tol = TOLERANCE): void => expectTensorWithin(what, actual, expected, tol);


describe('conv2d fixtures', () => {
  it('cover stride, padding (same with even kernels), dilation, groups, depthwise, 1x1 and activations', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
    expect(fixtures.some((f) => f.options.padding === 'same' && f.weight.shape[2]! % 2 === 0)).toBe(true);
    expect(fixtures.some((f) => f.options.groups !== undefined && f.options.groups === f.input.shape[1])).toBe(true);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const x = fromEncoded(f.input, true);
    const w = fromEncoded(f.weight, true);
    const b = f.bias ? fromEncoded(f.bias, true) : null;
    const y = conv2d(x, w, b, f.options);
    expectTensor('output', y, f.output);
    y.backward(fromEncoded(f.gradOutput));
    expectTensor('input grad', x.grad, f.grads.input);
    expectTensor('weight grad', w.grad, f.grads.weight);
    if (b) expectTensor('bias grad', b.grad, f.grads.bias!);
  });
});

describe('conv2d autograd', () => {
  const leaf = (shape: number[], seed: number) =>
    Tensor.from(randomValues(shape.reduce((a, c) => a * c, 1), seed), shape).requiresGrad_();

  it('gradcheck: padded, strided, with bias and tanh', () => {
    const fn = (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, { stride: 2, padding: [1, 2], activation: 'tanh' });
    expect(gradcheck(fn, [leaf([2, 2, 5, 4], 1), leaf([3, 2, 3, 2], 2), leaf([3], 3)])).toBe(true);
  });

  it("gradcheck: grouped, dilated, 'same' with an even kernel", () => {
    const fn = (x: Tensor, w: Tensor) => conv2d(x, w, null, { padding: 'same', dilation: [1, 2], groups: 2 });
    expect(gradcheck(fn, [leaf([1, 4, 4, 5], 4), leaf([2, 2, 2, 2], 5)])).toBe(true);
  });

  it('records ConvolutionBackward0, and is exported from nn.functional', () => {
    const y = F.conv2d(leaf([1, 1, 3, 3], 6), leaf([1, 1, 2, 2], 7));
    expect(y.gradFn).toBe('ConvolutionBackward0');
  });

  it('gives only the gradients asked for', () => {
    const x = Tensor.from(randomValues(32, 8), [1, 2, 4, 4]);
    const w = leaf([2, 2, 3, 3], 9);
    conv2d(x, w, null, { padding: 1 }).sum().backward();
    expect(x.grad).toBeNull();
    expect(w.grad?.shape).toEqual([2, 2, 3, 3]);
  });
});

describe('conv2d errors', () => {
  const x = Tensor.from(randomValues(4 * 25, 1), [1, 4, 5, 5]);
  const w = Tensor.from(randomValues(2 * 4 * 9, 2), [2, 4, 3, 3]);

  it('names the argument', () => {
    expect(thrown(() => conv2d(x.reshape([4, 5, 5]), w))).toBeInstanceOf(ShapeError);
    expect(thrown(() => conv2d(x.reshape([4, 5, 5]), w)).message).toMatch(/conv2d: input must be 4-D/);
    expect(thrown(() => conv2d(x, w.reshape([2, 4, 9]))).message).toMatch(/weight must be 4-D/);
    expect(thrown(() => conv2d(x.int(), w))).toBeInstanceOf(DTypeError);
    expect(thrown(() => conv2d(x, w, Tensor.from(new Float32Array(3), [3]))).message).toMatch(/bias must have shape \[2\]/);
    expect(thrown(() => conv2d(x, w, null, { groups: 3 })).message).toMatch(/input channels \(4\) must be divisible by options.groups/);
    expect(thrown(() => conv2d(x, w, null, { groups: 2 })).message).toMatch(/expects 8 input channels/);
    expect(thrown(() => conv2d(x, w, null, { stride: 0 })).message).toMatch(/options.stride must be an integer >= 1/);
    expect(thrown(() => conv2d(x, w, null, { padding: -1 })).message).toMatch(/options.padding must be an integer >= 0/);
    expect(thrown(() => conv2d(x, w, null, { dilation: [1, 0] })).message).toMatch(/options.dilation\[1\] must be an integer >= 1/);
    expect(thrown(() => conv2d(x, w, null, { padding: 'full' as never })).message).toMatch(/'same' or 'valid'/);
    expect(thrown(() => conv2d(x, w, null, { padding: 'same', stride: 2 }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => conv2d(x, w, null, { dilation: 3 })).message).toMatch(/smaller than the dilated kernel/);
    expect(thrown(() => conv2d(x, w, null, { activation: 'gelu' as never })).message).toMatch(/options.activation must be one of/);
    expect(thrown(() => conv2d(x, w, null, { negativeSlope: 0.1 })).message).toMatch(/only applies to activation 'leakyRelu'/);
    expect(thrown(() => conv2d(x, w, null, { strides: 1 } as never))).toBeInstanceOf(ArgumentError);
  });
});
