// The plain TypeScript reference of `npm run bench` (bench/plain/) must compute the right
// numbers, or a benchmark against it proves nothing: its GEMM against a naive triple loop, the
// MLP's and LeNet's gradients against tensorgrad's autograd on the same weights, and one SGD
// momentum step against PyTorch's formula.
import { describe, expect, it } from 'vitest';
import { gemm } from '../bench/plain/matmul.js';
import { crossEntropy, type Model, type Parameter, SGD } from '../bench/plain/layers.js';
import { Mlp } from '../bench/plain/mlp.js';
import { LeNet } from '../bench/plain/lenet.js';
import { F, Tensor } from '../lib/index.js';
import { expectClose, randomValues } from './helpers.js';

/** op(a)·op(b) in float64 by definition, reading a and b as they are stored. */
function naiveProduct(op: 'NN' | 'TN' | 'NT', m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const aip = op === 'TN' ? a[p * m + i]! : a[i * k + p]!;
        const bpj = op === 'NT' ? b[j * k + p]! : b[p * n + j]!;
        sum += aip * bpj;
      }
      out[i * n + j] = sum;
    }
  }
  return out;
}

describe('plain reference: gemm', () => {
  const shapes = [
    [7, 5, 3],
    [33, 17, 65],
    [1, 9, 4],
  ] as const;
  for (const op of ['NN', 'TN', 'NT'] as const) {
    for (const [m, n, k] of shapes) {
      it(`${op} ${m}×${n}×${k}`, () => {
        const a = randomValues(m * k, 1);
        const b = randomValues(k * n, 2);
        // Stale values in c must be overwritten, not added to.
        const c = new Float32Array(m * n).fill(7);
        gemm(op === 'TN', op === 'NT', m, n, k, a, b, c);
        expectClose(c, naiveProduct(op, m, n, k, a, b), { rtol: 1e-5, atol: 1e-5 });
      });
    }
  }
});

/** A tensorgrad leaf holding a copy of the plain parameter, to take autograd's gradient. */
const leaf = (p: Parameter): Tensor => Tensor.from(p.value.slice(), p.shape).requiresGrad_();

/**
 * Runs the plain model's forward and backward on a batch and returns its loss; then checks the
 * loss and every parameter's gradient against tensorgrad's on the same weights. reference
 * builds the same computation from the leaves (in model.parameters order) and returns logits.
 */
function expectSameGradients(model: Model, x: Float32Array, labels: Int32Array, reference: (input: Tensor, leaves: Tensor[]) => Tensor): void {
  const count = labels.length;
  const logits = model.forward(x, count);
  const dLogits = new Float32Array(logits.length);
  const loss = crossEntropy(logits, labels, count, 10, dLogits);
  model.backward(dLogits, count);

  const leaves = model.parameters.map(leaf);
  const tgLoss = F.crossEntropy(reference(Tensor.from(x.slice(), [count, 784]), leaves), Tensor.from(labels, [count]));
  tgLoss.backward();
  expect(loss).toBeCloseTo(tgLoss.item(), 5);
  model.parameters.forEach((p, i) => {
    const expected = leaves[i]!.grad!.data();
    // Relative to the gradient's scale: single elements near zero carry only rounding noise.
    let scale = 0;
    for (const g of expected) scale = Math.max(scale, Math.abs(g));
    expectClose(p.grad, expected, { rtol: 1e-4, atol: 1e-5 * scale });
  });
}

function batch(count: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const x = randomValues(count * 784, seed, 0, 1);
  const labels = Int32Array.from({ length: count }, (_, i) => (i * 7 + seed) % 10);
  return { x, labels };
}

describe('plain reference: gradients match tensorgrad autograd', () => {
  it('initialises like PyTorch: every weight and bias within ±1/√fan_in, spread across it', () => {
    const model = new Mlp(3);
    for (const [p, fanIn] of [[model.hidden.weight, 784], [model.hidden.bias, 784], [model.output.weight, 512], [model.output.bias, 512]] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const max = p.value.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(max).toBeLessThanOrEqual(bound);
      if (p.value.length > 100) expect(max).toBeGreaterThan(0.95 * bound);
    }
  });

  it('MLP 784→512→10, batch of 5', () => {
    const { x, labels } = batch(5, 11);
    expectSameGradients(new Mlp(1), x, labels, (input, [w1, b1, w2, b2]) => F.linear(F.relu(F.linear(input, w1!, b1)), w2!, b2));
  });

  it('LeNet (conv 5x5 pad 2, maxpool 2, twice; fc 1568→128→10), batch of 3', () => {
    const { x, labels } = batch(3, 12);
    expectSameGradients(new LeNet(2), x, labels, (input, [c1, cb1, c2, cb2, w1, b1, w2, b2]) => {
      let h = input.reshape([input.shape[0]!, 1, 28, 28]);
      h = F.maxPool2d(F.relu(F.conv2d(h, c1!, cb1, { padding: 2 })), 2);
      h = F.maxPool2d(F.relu(F.conv2d(h, c2!, cb2, { padding: 2 })), 2);
      h = h.reshape([h.shape[0]!, 1568]);
      return F.linear(F.relu(F.linear(h, w1!, b1)), w2!, b2);
    });
  });
});

describe('plain reference: SGD with momentum', () => {
  it('follows PyTorch: v = μ·v + g; p -= lr·v (the first step sets v = g)', () => {
    const value = Float32Array.from([1, -2, 3]);
    const grad = new Float32Array(3);
    const p: Parameter = { shape: [3], value, grad };
    const lr = 0.1;
    const mu = 0.9;
    const optimizer = new SGD([p], lr, mu);
    const g1 = [0.5, -1, 2];
    const g2 = [1, 1, -1];
    grad.set(g1);
    optimizer.step();
    const afterOne = [1, -2, 3].map((v, i) => v - lr * g1[i]!);
    expectClose(value, afterOne, { rtol: 1e-6 });
    grad.set(g2);
    optimizer.step();
    const v2 = g1.map((g, i) => mu * g + g2[i]!);
    expectClose(value, afterOne.map((v, i) => v - lr * v2[i]!), { rtol: 1e-6 });
  });
});
