import { describe, expect, it } from 'vitest';
import * as tg from '../lib/index.js';
import { ArgumentError, full, getNumThreads, setNumThreads, type Tensor, tensor, zeros } from '../lib/index.js';
import { expectClose, expectExact, permuteRef, randomValues, reduceRef, type ReduceKind } from './helpers.js';

const SHAPE = [3, 4, 5];
const DATA = randomValues(60, 31, -1, 1);
const input = () => tg.Tensor.from(DATA.slice(), SHAPE);

/** Runs a reduction through the method form. */
function run(kind: ReduceKind, t: Tensor, dim: number | number[] | undefined, keepdim: boolean): Tensor {
  switch (kind) {
    case 'sum':
      return t.sum(dim, keepdim);
    case 'mean':
      return t.mean(dim, keepdim);
    default:
      return (t[kind] as (d?: number, k?: boolean) => Tensor).call(t, dim as number | undefined, keepdim);
  }
}

/** Checks a reduction of t against reduceRef on its logical data. */
function check(kind: ReduceKind, t: Tensor, logical: ArrayLike<number>, dim: number | number[] | undefined, keepdim: boolean) {
  const dims = dim === undefined ? [] : typeof dim === 'number' ? [dim] : dim;
  const ref = reduceRef(logical, t.shape, dims, keepdim, kind);
  const out = run(kind, t, dim, keepdim);
  expect(out.shape).toEqual(dim === undefined && !keepdim ? [] : ref.shape);
  expect(out.dtype).toBe(kind.startsWith('arg') ? 'int32' : 'float32');
  if (kind === 'sum' || kind === 'mean') expectClose(out.data(), ref.data, { rtol: 1e-5, atol: 1e-6 });
  else expectExact(out.data(), ref.data);
}

const singleDims: (number | undefined)[] = [undefined, 0, 1, 2, -1, -3];
const listDims: number[][] = [[0, 2], [-1, 0], [1, 2], [0, 1, 2], [2, 1]];

describe.each(['sum', 'mean', 'max', 'min', 'argmax', 'argmin'] as ReduceKind[])('%s', (kind) => {
  const dimsToTry = kind === 'sum' || kind === 'mean' ? [...singleDims, ...listDims] : singleDims;

  // (argmax/argmin with keepdim but no dim is checked on its own below)
  const combos = dimsToTry.flatMap((d) => [[d, false] as const, [d, true] as const]).filter(([d, k]) => !(d === undefined && k && kind.startsWith('arg')));
  it.each(combos)('contiguous, dim %j, keepdim %s', (dim, keepdim) => {
    check(kind, input(), DATA, dim as number | number[] | undefined, keepdim);
  });

  it.each(dimsToTry.map((d) => [d]))('permuted (non-contiguous), dim %j', (dim) => {
    const t = input().permute(2, 0, 1); // [5, 3, 4]
    check(kind, t, permuteRef(DATA, SHAPE, [2, 0, 1]), dim, false);
    if (dim === undefined && kind.startsWith('arg')) return;
    const s = input().transpose(0, 2).slice(0, 5, 2); // [3, 4, 3] with strides [2, 5, 20]
    const transposed = permuteRef(DATA, SHAPE, [2, 1, 0]); // [5, 4, 3]
    check(kind, s, [0, 2, 4].flatMap((r) => transposed.slice(r * 12, r * 12 + 12)), dim, true);
  });

  it('functional form equals the method form', () => {
    const f = (tg as unknown as Record<string, (t: Tensor, d?: number, k?: boolean) => Tensor>)[kind]!;
    expectExact(f(input(), 1, true).data(), run(kind, input(), 1, true).data());
    expectExact(f(input()).data(), run(kind, input(), undefined, false).data());
  });
});

describe('reductions of small and special tensors', () => {
  it('0-d and single-element tensors', () => {
    const s = tensor(5);
    expect(s.sum().item()).toBe(5);
    expect(s.sum(0).shape).toEqual([]);
    expect(s.max(-1).item()).toBe(5);
    expect(s.argmax().item()).toBe(0);
    expect(tensor([[7]]).mean(1, true).shape).toEqual([1, 1]);
  });

  it('argmax / argmin with keepdim and no dim keep every dimension as size 1, as torch does', () => {
    // torch.argmax(x, keepdim=True).shape == (1, 1, 1) for x of shape (3, 4, 5)
    const am = input().argmax(undefined, true);
    expect(am.shape).toEqual([1, 1, 1]);
    expect(am.data()[0]).toBe(reduceRef(DATA, SHAPE, [], false, 'argmax').data[0]);
    expect(input().argmin(undefined, true).shape).toEqual([1, 1, 1]);
  });

  it('argmax / argmin return the first index of a tie', () => {
    expect(tensor([1, 3, 3, 2]).argmax().item()).toBe(1);
    expect(tensor([2, 0, 5, 0]).argmin().item()).toBe(1);
    expect(tensor([[1, 5], [1, 5], [0, 5]]).argmax(0).toArray()).toEqual([0, 0]);
    expect(tensor([[4, 1, 4], [2, 2, 1]]).argmax(1).toArray()).toEqual([0, 0]);
    expect(full([1000], 7).argmax().item()).toBe(0);
    const d = new Float32Array(5000);
    d[300] = 9;
    d[900] = 9;
    d[4000] = 9;
    expect(tg.Tensor.from(d).argmax().item()).toBe(300);
    expect(tg.Tensor.from(d).reshape(50, 100).argmax(0).get(0).item()).toBe(3);
    expect(tg.Tensor.from(d).neg().argmin().item()).toBe(300);
  });

  it('NaN makes max/min NaN and argmax/argmin point at the first NaN', () => {
    const t = tensor([1, NaN, 3, NaN]);
    expect(t.max().item()).toBeNaN();
    expect(t.min().item()).toBeNaN();
    expect(t.argmax().item()).toBe(1);
    expect(t.argmin().item()).toBe(1);
    const m = tensor([[1, NaN], [NaN, 2], [3, 4]]);
    expectExact(m.max(0).data(), [NaN, NaN]);
    expectExact(m.min(1).data(), [NaN, NaN, 3]);
    expect(m.argmax(0).toArray()).toEqual([1, 0]);
    expect(m.argmin(1).toArray()).toEqual([1, 0, 0]);
    // a NaN deep inside a long run, in a later block than the maximum
    const big = randomValues(100_000, 32, 0, 1);
    big[123] = 5;
    big[70_001] = NaN;
    expect(tg.Tensor.from(big).max().item()).toBeNaN();
    expect(tg.Tensor.from(big).argmax().item()).toBe(70_001);
    expect(tg.Tensor.from(big).argmin().item()).toBe(70_001);
    expect(tg.Tensor.from(big).sum().item()).toBeNaN();
  });

  it('sum of empty is 0, mean of empty is NaN', () => {
    expect(zeros(0).sum().item()).toBe(0);
    expect(zeros(0).mean().item()).toBeNaN();
    expect(zeros(0, 3).sum(0).toArray()).toEqual([0, 0, 0]);
    expectExact(zeros(0, 3).mean(0).data(), [NaN, NaN, NaN]);
    expect(zeros(0, 3).mean(1).shape).toEqual([0]);
    expect(zeros(0, 3).sum(1, true).shape).toEqual([0, 1]);
    expect(zeros(3, 0).max(0).shape).toEqual([0]);
  });

  it('max / min / argmax of empty throw ArgumentError', () => {
    for (const f of [() => zeros(0).max(), () => zeros(0, 3).min(), () => zeros(0).argmax(), () => zeros(2, 0).argmin(1), () => zeros(0, 3).max(0)]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ArgumentError);
    }
  });

  it('mean divides by the reduced count only', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expectExact(t.mean(0).data(), [2.5, 3.5, 4.5]);
    expectExact(t.mean(1).data(), [2, 5]);
    expect(t.mean().item()).toBe(3.5);
    expect(t.mean([0, 1], true).shape).toEqual([1, 1]);
  });
});

describe('large reductions', () => {
  const n = 1_000_000;
  const big = randomValues(n, 33, 0, 1);
  const ref64 = big.reduce((a, b) => a + b, 0);

  it('sum and mean of 1e6 elements are within rtol 1e-5 of float64', () => {
    expectClose([tg.Tensor.from(big).sum().item()], [ref64], { rtol: 1e-5 });
    expectClose([tg.Tensor.from(big).mean().item()], [ref64 / n], { rtol: 1e-5 });
    // many equal values: a float32 running sum would stall at 2^24
    expect(full([20_000_000], 1).sum().item()).toBe(20_000_000);
  });

  it('small addends after a large one are not lost (a float32 running sum returns 2^24)', () => {
    const d = new Float32Array(10_000).fill(1);
    d[0] = 2 ** 24;
    expectClose([tg.Tensor.from(d).sum().item()], [2 ** 24 + 9_999], { rtol: 1e-5 });
    expectClose(tg.Tensor.from(d).reshape(10_000, 1).sum(0).data(), [2 ** 24 + 9_999], { rtol: 1e-5 });
    // the same column twice: the reduced dimension is not the innermost one
    const two = new Float32Array(20_000).fill(1);
    two[0] = two[1] = 2 ** 24;
    expectClose(tg.Tensor.from(two, [10_000, 2]).sum(0).data(), [2 ** 24 + 9_999, 2 ** 24 + 9_999], { rtol: 1e-5 });
  });

  it('sum and mean over the first dimension of [1e6, 4] are within rtol 1e-5 of float64', () => {
    const x = randomValues(4_000_000, 34, 0, 1);
    const ref = reduceRef(x, [1_000_000, 4], [0], false, 'sum').data;
    const t = tg.Tensor.from(x, [1_000_000, 4]);
    expectClose(t.sum(0).data(), ref, { rtol: 1e-5 });
    expectClose(t.mean(0).data(), ref.map((v) => v / 1_000_000), { rtol: 1e-5 });
    // the same through a transposed view, reduced along its last dimension
    expectClose(t.T.sum(1).data(), ref, { rtol: 1e-5 });
  });

  it('along each dimension of [1000, 1000], and of its transpose', () => {
    const m = tg.Tensor.from(big, [1000, 1000]);
    for (const t of [m, m.T]) {
      const logical = t === m ? big : permuteRef(big, [1000, 1000], [1, 0]);
      for (const dim of [0, 1]) {
        expectClose(t.sum(dim).data(), reduceRef(logical, [1000, 1000], [dim], false, 'sum').data, { rtol: 1e-5 });
        expectExact(t.max(dim).data(), reduceRef(logical, [1000, 1000], [dim], false, 'max').data);
        expectExact(t.argmin(dim).data(), reduceRef(logical, [1000, 1000], [dim], false, 'argmin').data);
      }
    }
  });

  it('max / argmax over 1e6 elements', () => {
    const d = big.slice();
    d[654_321] = 2;
    expect(tg.Tensor.from(d).max().item()).toBe(2);
    expect(tg.Tensor.from(d).argmax().item()).toBe(654_321);
    expect(tg.Tensor.from(d).min().item()).toBe(d.reduce((a, b) => Math.min(a, b), Infinity));
  });

  it('gives bit-identical results with 1 and 2 threads', () => {
    const before = getNumThreads();
    const compute = () => {
      const t = tg.Tensor.from(big);
      const m = t.reshape(1000, 1000);
      const w = t.reshape(10, 100_000);
      return [t.sum(), t.mean(), t.max(), t.argmax(), m.sum(0), m.sum(1), m.T.sum(1), w.sum(1), w.mean(0), m.max(0), m.argmax(1), m.sum([0, 1])].map((r) =>
        Array.from(r.data()),
      );
    };
    try {
      setNumThreads(1);
      expect(getNumThreads()).toBe(1);
      const one = compute();
      setNumThreads(2);
      expect(getNumThreads()).toBe(2);
      const two = compute();
      one.forEach((r, i) => expectExact(two[i]!, r));
    } finally {
      setNumThreads(before);
    }
    expect(getNumThreads()).toBe(before);
  });
});
