// matmul (torch.matmul's rules, including transposed views and batch broadcasting) and the
// fused linear (x·Wᵀ + b + activation) against a plain float64 triple loop.
import { describe, expect, it } from 'vitest';
import { linear, matmul, ShapeError, Tensor, tensor, zeros } from '../lib/index.js';
import { randomValues, thrown } from './helpers.js';

// C = A·B for row-major A (m×k), B (k×n), in float64.
function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = s;
    }
  return c;
}

function transposeRef(a: ArrayLike<number>, rows: number, cols: number): number[] {
  const out = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

// The GEMM sums k products in float32 with FMA: compare with a tolerance that grows with k.
function expectMatmulClose(actual: ArrayLike<number>, expected: number[], k: number): void {
  expect(actual.length).toBe(expected.length);
  const tol = 1e-6 * Math.max(k, 1) * 4;
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > tol * Math.max(1, Math.abs(expected[i]!))) {
      expect.fail(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

describe('matmul', () => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [3, 5, 7],
    [17, 33, 9],
    [64, 784, 100],
    [130, 70, 260],
  ];
  for (const [m, k, n] of shapes) {
    it(`${m}x${k} · ${k}x${n} matches a float64 reference`, () => {
      const a = randomValues(m * k, m + k);
      const b = randomValues(k * n, k + n + 1);
      const c = Tensor.from(a, [m, k]).matmul(Tensor.from(b, [k, n]));
      expect(c.shape).toEqual([m, n]);
      expectMatmulClose(c.data(), matmulRef(a, b, m, k, n), k);
    });
  }

  it('reads transposed views in place for every transpose pair', () => {
    const [m, k, n] = [19, 23, 29];
    const a = randomValues(m * k, 1);
    const b = randomValues(k * n, 2);
    const expected = matmulRef(a, b, m, k, n);
    const aN = Tensor.from(a, [m, k]);
    const bN = Tensor.from(b, [k, n]);
    const aT = Tensor.from(Float32Array.from(transposeRef(a, m, k)), [k, m]).T; // (m, k) view
    const bT = Tensor.from(Float32Array.from(transposeRef(b, k, n)), [n, k]).T; // (k, n) view
    for (const [x, y] of [[aN, bN], [aN, bT], [aT, bN], [aT, bT]] as const) {
      expectMatmulClose(matmul(x, y).data(), expected, k);
    }
  });

  it('copies views that no GEMM layout fits (a stepped slice)', () => {
    const a = randomValues(8 * 6, 3);
    const b = randomValues(6 * 5, 4);
    const rows = Tensor.from(a, [8, 6]).slice(0, 8, 2); // rows 0, 2, 4, 6
    const taken = Array.from({ length: 4 }, (_, i) => Array.from(a.subarray(2 * i * 6, 2 * i * 6 + 6))).flat();
    expectMatmulClose(rows.matmul(Tensor.from(b, [6, 5])).data(), matmulRef(taken, b, 4, 6, 5), 6);
  });

  it('follows torch.matmul for 1-D operands', () => {
    const v = tensor([1, 2, 3]);
    const m = tensor([[1, 0], [0, 1], [1, 1]]);
    expect(matmul(v, v).shape).toEqual([]);
    expect(matmul(v, v).item()).toBe(14);
    expect(matmul(v, m).toArray()).toEqual([4, 5]);
    expect(matmul(m.T, v).toArray()).toEqual([4, 5]);
  });

  it('broadcasts batch dimensions', () => {
    const a = randomValues(2 * 1 * 4 * 3, 5);
    const b = randomValues(5 * 3 * 2, 6);
    const c = Tensor.from(a, [2, 1, 4, 3]).matmul(Tensor.from(b, [5, 3, 2]));
    expect(c.shape).toEqual([2, 5, 4, 2]);
    const out = c.data();
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 5; j++) {
        const ref = matmulRef(a.subarray(i * 12, i * 12 + 12), b.subarray(j * 6, j * 6 + 6), 4, 3, 2);
        expectMatmulClose(out.subarray((i * 5 + j) * 8, (i * 5 + j) * 8 + 8), ref, 3);
      }
  });

  it('handles empty and k = 0 products', () => {
    expect(matmul(zeros(0, 3), zeros(3, 4)).shape).toEqual([0, 4]);
    const c = matmul(zeros(2, 0), zeros(0, 3));
    expect(c.shape).toEqual([2, 3]);
    expect(Array.from(c.data())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('raises a ShapeError that shows both shapes', () => {
    const e = thrown(() => zeros(2, 3).matmul(zeros(4, 5)));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toContain('[2, 3] and [4, 5]');
    const batch = thrown(() => zeros(2, 3, 4).matmul(zeros(3, 4, 5)));
    expect(batch).toBeInstanceOf(ShapeError);
    expect(batch.message).toContain('[2, 3, 4] and [3, 4, 5]');
    expect(thrown(() => matmul(tensor(1), zeros(1)))).toBeInstanceOf(ShapeError);
  });
});

describe('linear', () => {
  const [rows, inF, outF] = [37, 50, 21];
  const x = randomValues(rows * inF, 7);
  const w = randomValues(outF * inF, 8);
  const b = randomValues(outF, 9);
  const pre = matmulRef(x, transposeRef(w, outF, inF), rows, inF, outF).map((v, i) => v + b[i % outF]!);
  const acts: Record<string, (v: number) => number> = {
    identity: (v) => v,
    relu: (v) => Math.max(v, 0),
    leakyRelu: (v) => (v < 0 ? 0.2 * v : v),
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    tanh: (v) => Math.tanh(v),
  };
  for (const [name, f] of Object.entries(acts)) {
    it(`fuses bias and ${name}`, () => {
      const options = name === 'leakyRelu' ? { activation: name, negativeSlope: 0.2 } : { activation: name };
      const y = linear(Tensor.from(x, [rows, inF]), Tensor.from(w, [outF, inF]), Tensor.from(b), options as never);
      expect(y.shape).toEqual([rows, outF]);
      expectMatmulClose(y.data(), pre.map(f), inF);
    });
  }

  it('works without a bias and on batched input', () => {
    const y = linear(Tensor.from(x, [1, rows, inF]), Tensor.from(w, [outF, inF]));
    expect(y.shape).toEqual([1, rows, outF]);
    expectMatmulClose(y.data(), matmulRef(x, transposeRef(w, outF, inF), rows, inF, outF), inF);
  });

  it('checks its arguments', () => {
    expect(thrown(() => linear(zeros(2, 3), zeros(4, 5)))).toBeInstanceOf(ShapeError);
    expect(thrown(() => linear(zeros(2, 3), zeros(4, 3), zeros(5))).message).toContain('bias must have shape [4]');
    expect(thrown(() => linear(zeros(2, 3), zeros(4, 3), null, { activation: 'gelu' as never })).message).toContain(
      'options.activation must be one of identity, relu, leakyRelu, sigmoid, tanh',
    );
  });
});
