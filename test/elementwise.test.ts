import { describe, expect, it } from 'vitest';
import * as tg from '../lib/index.js';
import { arange, type Tensor, tensor, zeros } from '../lib/index.js';
import { broadcastRef, expectClose, expectExact, f32, numel, permuteRef, randomValues } from './helpers.js';

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
type UnaryName = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs';

// float64 references; Math.max/min return NaN when either side is NaN, as torch.maximum does.
const binaryRef: Record<BinaryName, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: Math.max,
  minimum: Math.min,
};
const unaryRef: Record<UnaryName, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
};
// Correctly rounded ops must match Math.fround of the float64 result exactly; transcendental
// ones (exp, log, pow) within a relative 1e-6.
const approx = new Set(['exp', 'log', 'pow']);

/** Compares a float32 result with a float64 reference, exactly or within rtol 1e-6. */
function expectOp(op: string, actual: ArrayLike<number>, reference: ArrayLike<number>) {
  if (approx.has(op)) expectClose(actual, reference, { rtol: 1e-6 });
  else expectExact(actual, f32(reference));
}

// Input domains per op, so that every result is finite and meaningful.
const binaryInputs: Record<BinaryName, [number, number, number, number]> = {
  add: [-100, 100, -100, 100],
  sub: [-100, 100, -100, 100],
  mul: [-10, 10, -10, 10],
  div: [-10, 10, 0.5, 4],
  pow: [0.05, 4, -3, 3],
  maximum: [-1, 1, -1, 1],
  minimum: [-1, 1, -1, 1],
};
const unaryInputs: Record<UnaryName, [number, number]> = {
  neg: [-5, 5],
  exp: [-20, 20],
  log: [1e-4, 1e4],
  sqrt: [0, 1e4],
  abs: [-5, 5],
};

const N = 1037; // not a multiple of any SIMD width, so tails are exercised
const fn = tg as unknown as Record<string, (...args: unknown[]) => Tensor>;

describe.each(Object.keys(binaryRef) as BinaryName[])('%s', (op) => {
  const [alo, ahi, blo, bhi] = binaryInputs[op];
  const a = randomValues(N, 1, alo, ahi);
  const b = randomValues(N, 2, blo, bhi);
  const ref = Array.from(a, (x, i) => binaryRef[op](x, b[i]!));

  it('method and functional forms match the reference', () => {
    const ta = tg.Tensor.from(a);
    const tb = tg.Tensor.from(b);
    expectOp(op, (ta[op] as (o: Tensor) => Tensor).call(ta, tb).data(), ref);
    expectOp(op, fn[op]!(ta, tb).data(), ref);
    // inputs are left alone
    expectExact(ta.data(), a);
  });

  it('takes a number on either side', () => {
    const s = op === 'pow' ? 1.5 : op === 'div' ? 3 : 0.7;
    const ta = tg.Tensor.from(op === 'pow' ? b : a);
    const xs = op === 'pow' ? b : a;
    const fs = Math.fround(s);
    expectOp(op, (ta[op] as (o: number) => Tensor).call(ta, s).data(), Array.from(xs, (x) => binaryRef[op](x, fs)));
    expectOp(op, fn[op]!(ta, s).data(), Array.from(xs, (x) => binaryRef[op](x, fs)));
    expectOp(op, fn[op]!(s, ta).data(), Array.from(xs, (x) => binaryRef[op](fs, x)));
  });

  it('matches the reference on 1e6 elements (parallel path)', () => {
    const n = 1_000_003;
    const x = randomValues(n, 3, alo, ahi);
    const y = randomValues(n, 4, blo, bhi);
    expectOp(op, fn[op]!(tg.Tensor.from(x), tg.Tensor.from(y)).data(), Array.from(x, (v, i) => binaryRef[op](v, y[i]!)));
    expectOp(op, fn[op]!(tg.Tensor.from(x), 2).data(), Array.from(x, (v) => binaryRef[op](v, 2)));
  });
});

describe.each(Object.keys(unaryRef) as UnaryName[])('%s', (op) => {
  const [lo, hi] = unaryInputs[op];

  it('method and functional forms match the reference', () => {
    const x = randomValues(N, 5, lo, hi);
    const ref = Array.from(x, unaryRef[op]);
    const t = tg.Tensor.from(x);
    expectOp(op, (t[op] as () => Tensor).call(t).data(), ref);
    expectOp(op, fn[op]!(t).data(), ref);
  });

  it('matches the reference on 1e6 elements and on a transposed input', () => {
    const x = randomValues(1_000_000, 6, lo, hi);
    expectOp(op, fn[op]!(tg.Tensor.from(x)).data(), Array.from(x, unaryRef[op]));
    const t = tg.Tensor.from(x).reshape(1000, 1000).T;
    expectOp(op, fn[op]!(t).data(), permuteRef(x, [1000, 1000], [1, 0]).map(unaryRef[op]));
  });
});

describe('clamp', () => {
  const x = randomValues(N, 7, -3, 3);
  const clampRef = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

  it('with both bounds, one bound, and equal bounds', () => {
    const t = tg.Tensor.from(x);
    expectExact(t.clamp(-1, 0.5).data(), f32(Array.from(x, (v) => clampRef(v, -1, 0.5))));
    expectExact(tg.clamp(t, -1, 0.5).data(), f32(Array.from(x, (v) => clampRef(v, -1, 0.5))));
    expectExact(t.clamp(0).data(), Array.from(x, (v) => Math.max(v, 0)));
    expectExact(t.clamp(null, 1).data(), Array.from(x, (v) => Math.min(v, 1)));
    expectExact(t.clamp(undefined, 1).data(), Array.from(x, (v) => Math.min(v, 1)));
    expectExact(t.clamp(0.25, 0.25).data(), new Array(N).fill(0.25));
  });

  it('keeps NaN and handles infinities', () => {
    expectExact(tensor([NaN, -5, 5, 0.5, -Infinity, Infinity]).clamp(0, 1).data(), [NaN, 0, 1, 0.5, 0, 1]);
  });

  it('on 1e6 elements and on non-contiguous input', () => {
    const big = randomValues(1_000_000, 8, -2, 2);
    expectExact(tg.Tensor.from(big).clamp(-0.5, 0.5).data(), f32(Array.from(big, (v) => clampRef(v, -0.5, 0.5))));
    const t = tg.Tensor.from(big).reshape(1000, 1000).T;
    expectExact(t.clamp(-0.5, 0.5).data(), f32(permuteRef(big, [1000, 1000], [1, 0]).map((v) => clampRef(v, -0.5, 0.5))));
  });
});

describe('broadcasting', () => {
  const cases: [number[], number[]][] = [
    [[2, 3], [3]],
    [[3], [2, 3]],
    [[2, 1], [1, 3]],
    [[4, 1, 3], [2, 1]],
    [[2, 1], [4, 1, 3]],
    [[1], [5]],
    [[5, 1, 4, 1], [3, 1, 2]],
    [[], [2, 3]],
    [[2, 3], []],
    [[], []],
    [[300, 1], [1, 257]],
    [[64, 1, 1024], [1, 3, 1024]],
  ];
  const ops: BinaryName[] = ['add', 'sub', 'mul', 'div', 'maximum', 'pow'];

  it.each(cases)('%j with %j', (sa, sb) => {
    const a = randomValues(numel(sa), 10, 0.5, 2);
    const b = randomValues(numel(sb), 11, 0.5, 2);
    const ta = tg.Tensor.from(a, sa);
    const tb = tg.Tensor.from(b, sb);
    for (const op of ops) {
      const ref = broadcastRef(a, sa, b, sb, binaryRef[op]);
      const out = fn[op]!(ta, tb);
      expect(out.shape).toEqual(ref.shape);
      expectOp(op, out.data(), ref.data);
    }
  });

  it('0-d tensors act like scalars', () => {
    const s = tensor(3);
    expect(s.add(tensor([1, 2])).toArray()).toEqual([4, 5]);
    const p = tensor(4).mul(s);
    expect(p.shape).toEqual([]);
    expect(p.item()).toBe(12);
    expect(tg.sub(tensor([[1], [2]]), s).toArray()).toEqual([[-2], [-1]]);
  });

  it('empty tensors broadcast to empty results', () => {
    expect(zeros(0, 3).add(zeros(3)).shape).toEqual([0, 3]);
    expect(zeros(0, 3).mul(tensor([2])).shape).toEqual([0, 3]);
    expect(zeros(5, 0).sub(zeros(5, 1)).shape).toEqual([5, 0]);
    expect(zeros(0).add(1).shape).toEqual([0]);
    expect(zeros(2, 0).exp().shape).toEqual([2, 0]);
    expect(tg.div(1, zeros(0, 2)).shape).toEqual([0, 2]);
    expect(zeros(0, 3).clamp(0, 1).shape).toEqual([0, 3]);
  });

  it('scalars on the left: sub(2, t), div(1, t), pow(2, t), maximum(0, t)', () => {
    const t = tensor([0.5, -4, 8, 3]);
    expectExact(tg.sub(2, t).data(), [1.5, 6, -6, -1]);
    expectExact(tg.div(1, t).data(), f32([2, -0.25, 0.125, 1 / 3]));
    expectExact(tg.pow(2, t).data(), f32([Math.SQRT2, 0.0625, 256, 8]));
    expectExact(tg.maximum(0, t).data(), [0.5, 0, 8, 3]);
    expectExact(tg.minimum(t, 0).data(), [0, -4, 0, 0]);
  });
});

describe('non-contiguous inputs', () => {
  const data = randomValues(12 * 10, 20, 0.5, 2);
  const base = () => tg.Tensor.from(data, [12, 10]);

  it('transposed operands, alone and broadcast', () => {
    const tT = base().T; // [10, 12]
    const refT = permuteRef(data, [12, 10], [1, 0]);
    const row = randomValues(12, 21, 0.5, 2);
    for (const op of ['add', 'div', 'minimum', 'pow'] as BinaryName[]) {
      expectOp(op, fn[op]!(tT, tg.Tensor.from(row)).data(), broadcastRef(refT, [10, 12], row, [12], binaryRef[op]).data);
      expectOp(op, fn[op]!(tT, tT).data(), refT.map((v) => binaryRef[op](v, v)));
      // transposed against contiguous of the same shape
      const c = tg.Tensor.from(randomValues(120, 22, 0.5, 2), [10, 12]);
      expectOp(op, fn[op]!(c, tT).data(), Array.from(c.data(), (v, i) => binaryRef[op](v, refT[i]!)));
    }
  });

  it('rows sliced with a step', () => {
    const s = base().slice(1, 12, 3); // rows 1, 4, 7, 10
    const rows = [1, 4, 7, 10].flatMap((r) => Array.from(data.subarray(r * 10, r * 10 + 10)));
    expect(s.shape).toEqual([4, 10]);
    expectOp('mul', s.mul(s.T.T).data(), rows.map((v) => v * v));
    expectOp('sub', tg.sub(s, tg.Tensor.from(data.subarray(0, 10))).data(), broadcastRef(rows, [4, 10], data.subarray(0, 10), [10], binaryRef.sub).data);
    expectOp('exp', s.exp().data(), rows.map(Math.exp));
    expectOp('sub', tg.sub(1, s).data(), rows.map((v) => Math.fround(1) - v));
    expectExact(s.clamp(0.75, 1.25).data(), f32(rows.map((v) => Math.min(Math.max(v, 0.75), 1.25))));
  });

  it('a permuted 3-D operand (inner stride > 1) against a broadcast one, large', () => {
    const shape = [64, 48, 40];
    const x = randomValues(numel(shape), 23, -2, 2);
    const p = tg.Tensor.from(x, shape).permute(2, 0, 1); // [40, 64, 48]
    const pRef = permuteRef(x, shape, [2, 0, 1]);
    const y = randomValues(40, 24, -2, 2);
    const out = tg.Tensor.from(y, [40, 1, 1]).add(p);
    expect(out.shape).toEqual([40, 64, 48]);
    expectOp('add', out.data(), broadcastRef(y, [40, 1, 1], pRef, [40, 64, 48], binaryRef.add).data);
  });
});

describe('special values', () => {
  const isSame = (got: ArrayLike<number>, want: number[]) => {
    expect(got.length).toBe(want.length);
    want.forEach((w, i) => expect(Object.is(got[i], w), `element ${i}: got ${got[i]}, expected ${w}`).toBe(true));
  };

  it('maximum and minimum propagate NaN from either side', () => {
    const a = tensor([1, NaN, 3, NaN, -Infinity]);
    const b = tensor([NaN, 2, 1, NaN, 0]);
    isSame(a.maximum(b).data(), [NaN, NaN, 3, NaN, 0]);
    isSame(a.minimum(b).data(), [NaN, NaN, 1, NaN, -Infinity]);
    isSame(tensor([1, 2]).maximum(NaN).data(), [NaN, NaN]);
    isSame(tg.minimum(NaN, tensor([1, 2])).data(), [NaN, NaN]);
    // NaN in the middle of a long SIMD run
    const long = new Float32Array(1000).fill(1);
    long[517] = NaN;
    const m = tg.Tensor.from(long).maximum(tg.zeros(1000)).data();
    expect(Number.isNaN(m[517])).toBe(true);
    expect(Array.from(m).filter(Number.isNaN)).toHaveLength(1);
  });

  it('log, sqrt and exp at the edges of their domains', () => {
    isSame(tensor([0, -0, -1, Infinity, NaN, 1]).log().data(), [-Infinity, -Infinity, NaN, Infinity, NaN, 0]);
    isSame(tensor([-1, 0, -0, Infinity, NaN, 4]).sqrt().data(), [NaN, 0, -0, Infinity, NaN, 2]);
    isSame(tensor([100, -Infinity, Infinity, NaN, 0, -200]).exp().data(), [Infinity, 0, Infinity, NaN, 1, 0]);
    expectClose(tensor([88, -87, 1e-7]).exp().data(), [Math.exp(88), Math.exp(-87), Math.exp(Math.fround(1e-7))], { rtol: 1e-6 });
    expectClose(tensor([1.0001, 0.9999, 1e-30, 3e38]).log().data(), [1.0001, 0.9999, 1e-30, 3e38].map((v) => Math.log(Math.fround(v))), { rtol: 1e-6 });
  });

  it('neg and abs keep and clear the sign of zero; division by zero', () => {
    isSame(tensor([0, -0, Infinity, NaN]).neg().data(), [-0, 0, -Infinity, NaN]);
    isSame(tensor([-0, -Infinity, -2.5, NaN]).abs().data(), [0, Infinity, 2.5, NaN]);
    isSame(tensor([1, -1, 0]).div(0).data(), [Infinity, -Infinity, NaN]);
    isSame(tg.div(1, tensor([0, -0])).data(), [Infinity, -Infinity]);
  });

  it('pow follows C pow', () => {
    isSame(tensor([0, -2, -8, 2, NaN, 0, -1]).pow(tensor([0, 3, 1 / 3, -1, 0, -1, 0.5])).data(), [1, -8, NaN, 0.5, 1, Infinity, NaN]);
    isSame(tensor([4, 9]).pow(0.5).data(), [2, 3]);
    isSame(tensor([-3, -2]).pow(2).data(), [9, 4]);
  });

  it('arithmetic overflows to infinity and keeps NaN', () => {
    isSame(tensor([3e38, -3e38, NaN]).mul(10).data(), [Infinity, -Infinity, NaN]);
    isSame(tensor([Infinity, 1]).sub(tensor([Infinity, NaN])).data(), [NaN, NaN]);
  });

  it('results are float32 tensors of the broadcast shape, new each time', () => {
    const a = arange(3);
    const out = a.add(0);
    expect(out).not.toBe(a);
    expect(out.dtype).toBe('float32');
    out.data()[0] = 100;
    expect(a.get(0).item()).toBe(0);
  });
});
