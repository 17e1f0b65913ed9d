import { afterEach, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  arange,
  full,
  getNumThreads,
  manualSeed,
  ones,
  rand,
  randn,
  setNumThreads,
  ShapeError,
  Tensor,
  tensor,
  zeros,
} from '../lib/index.js';
import { expectExact, flatten, permuteRef, randomValues, thrown } from './helpers.js';

const seq = (n: number, start = 0) => Array.from({ length: n }, (_, i) => start + i);

describe('creation', () => {
  it('tensor() from a number is 0-d', () => {
    const t = tensor(2.5);
    expect(t.shape).toEqual([]);
    expect(t.ndim).toBe(0);
    expect(t.numel).toBe(1);
    expect(t.item()).toBe(2.5);
    expect(t.toArray()).toBe(2.5);
  });

  it('tensor() from nested arrays keeps shape and row-major order', () => {
    const data = [
      [[1, 2, 3], [4, 5, 6]],
      [[7, 8, 9], [10, 11, 12.5]],
    ];
    const t = tensor(data);
    expect(t.shape).toEqual([2, 2, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data())).toEqual(flatten(data));
    expect(t.toArray()).toEqual(data);
  });

  it('tensor() rounds to float32, and int32 keeps integers exactly', () => {
    expect(Array.from(tensor([0.1, 1e-50, 16777217]).data())).toEqual([Math.fround(0.1), 0, 16777216]);
    const i = tensor([16777217, -5], { dtype: 'int32' });
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.data())).toEqual([16777217, -5]);
  });

  it('tensor() copies typed arrays and takes int32 from an Int32Array', () => {
    const f = new Float32Array([1, 2, 3]);
    const t = tensor(f);
    f[0] = 100;
    expect(Array.from(t.data())).toEqual([1, 2, 3]);
    const i = tensor(new Int32Array([4, -5]));
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.data())).toEqual([4, -5]);
    const asFloat = tensor(new Int32Array([7, 8]), { dtype: 'float32' });
    expect(asFloat.dtype).toBe('float32');
    expect(Array.from(asFloat.data())).toEqual([7, 8]);
  });

  it('zeros / ones / full accept a list or spread dims and a dtype', () => {
    const z = zeros(2, 3);
    expect(z.shape).toEqual([2, 3]);
    expect(Array.from(z.data())).toEqual(new Array(6).fill(0));
    const o = ones([4], { dtype: 'int32' });
    expect(o.dtype).toBe('int32');
    expect(Array.from(o.data())).toEqual([1, 1, 1, 1]);
    const f = full([2, 2], -7.25);
    expect(Array.from(f.data())).toEqual([-7.25, -7.25, -7.25, -7.25]);
    expect(Array.from(full([3], 9, { dtype: 'int32' }).data())).toEqual([9, 9, 9]);
    expect(zeros([]).shape).toEqual([]);
    expect(zeros([0, 5]).numel).toBe(0);
  });

  it('arange matches torch.arange, including fractional and negative steps', () => {
    expect(Array.from(arange(5).data())).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(arange(1, 2, 0.25).data())).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(arange(10, 0, -3).data())).toEqual([10, 7, 4, 1]);
    expect(Array.from(arange(0, -1, -0.25).data())).toEqual([0, -0.25, -0.5, -0.75]);
    expect(arange(5, 5).shape).toEqual([0]);
    expect(arange(5, 0).shape).toEqual([0]);
    const i = arange(-3, 7, 3, { dtype: 'int32' });
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.data())).toEqual([-3, 0, 3, 6]);
    expect(Array.from(arange(3, -4, -2, { dtype: 'int32' }).data())).toEqual([3, 1, -1, -3]);
  });
});

describe('random numbers', () => {
  afterEach(() => manualSeed(0));

  it('rand is uniform on [0, 1)', () => {
    manualSeed(1);
    const d = rand([200_000]).data();
    let sum = 0;
    let sq = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of d) {
      sum += v;
      sq += v * v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const mean = sum / d.length;
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(lo).toBeLessThan(0.001);
    expect(hi).toBeGreaterThan(0.999);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sq / d.length - mean * mean).toBeCloseTo(1 / 12, 2);
    // every tenth of [0, 1) gets about a tenth of the values
    const bins = new Array(10).fill(0);
    for (const v of d) bins[Math.floor(v * 10)]++;
    for (const b of bins) expect(Math.abs(b / d.length - 0.1)).toBeLessThan(0.005);
  });

  it('randn is standard normal', () => {
    manualSeed(2);
    const d = randn(3, 100_001).data();
    expect(d.length).toBe(300_003);
    let sum = 0;
    let sq = 0;
    let within1 = 0;
    let nonFinite = 0;
    for (const v of d) {
      if (!Number.isFinite(v)) nonFinite++;
      sum += v;
      sq += v * v;
      if (Math.abs(v) < 1) within1++;
    }
    const mean = sum / d.length;
    expect(nonFinite).toBe(0);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.sqrt(sq / d.length - mean * mean)).toBeCloseTo(1, 1.7);
    expect(within1 / d.length).toBeCloseTo(0.6827, 2);
  });

  it('manualSeed makes rand and randn reproducible; different seeds differ', () => {
    manualSeed(42);
    const a = rand([1000]).data();
    const an = randn([1001]).data();
    const next = rand([1000]).data();
    manualSeed(42);
    expectExact(rand([1000]).data(), a);
    expectExact(randn([1001]).data(), an);
    manualSeed(43);
    const other = rand([1000]).data();
    expect(Array.from(other)).not.toEqual(Array.from(a));
    // the generator moves on between calls
    expect(Array.from(next)).not.toEqual(Array.from(a));
  });

  it('the same seed gives the same numbers whatever the thread count', () => {
    const before = getNumThreads();
    try {
      setNumThreads(1);
      manualSeed(7);
      const one = rand([300_000]).data();
      const oneN = randn([300_000]).data();
      setNumThreads(2);
      manualSeed(7);
      expectExact(rand([300_000]).data(), one);
      expectExact(randn([300_000]).data(), oneN);
    } finally {
      setNumThreads(before);
    }
  });
});

describe('Tensor.from and data()', () => {
  it('shares memory with the Float32Array both ways', () => {
    const arr = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = Tensor.from(arr, [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    arr[0] = 10;
    expect(t.toArray()).toEqual([[10, 2, 3], [4, 5, 6]]);
    expect(t.sum().item()).toBe(30);
    const d = t.data();
    expect(d.buffer).toBe(arr.buffer);
    d[5] = -6;
    expect(arr[5]).toBe(-6);
  });

  it('works on a subarray with a byte offset and on Int32Array', () => {
    const backing = new Float32Array([0, 1, 2, 3, 4, 5]);
    const t = Tensor.from(backing.subarray(2, 5));
    expect(Array.from(t.data())).toEqual([2, 3, 4]);
    backing[3] = 33;
    expect(t.get(1).item()).toBe(33);
    const ints = new Int32Array([1, 2]);
    const ti = Tensor.from(ints);
    expect(ti.dtype).toBe('int32');
    ints[1] = 20;
    expect(Array.from(ti.data())).toEqual([1, 20]);
  });

  it('data() of a row slice of shared memory starts at the slice (element offset, not bytes)', () => {
    const t = Tensor.from(Float32Array.from({ length: 18 }, (_, i) => i), [6, 3]);
    expect(Array.from(t.slice(1, 4).data())).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(t.get(5).data())).toEqual([15, 16, 17]);
    const ints = Tensor.from(Int32Array.from([1, 2, 3, 4]), [2, 2]);
    expect(Array.from(ints.get(1).data())).toEqual([3, 4]);
  });

  it('data() of a native contiguous tensor is a live view; of a transposed one a copy', () => {
    const z = zeros([3]);
    z.data()[1] = 5;
    expect(Array.from(z.data())).toEqual([0, 5, 0]);
    expect(z.sum().item()).toBe(5);
    const x = arange(6);
    const s = x.slice(2, 5);
    expect(Array.from(s.data())).toEqual([2, 3, 4]);
    s.data()[0] = 100;
    expect(x.get(2).item()).toBe(100);
    const m = arange(6).reshape(2, 3);
    const tdata = m.T.data();
    expect(Array.from(tdata)).toEqual([0, 3, 1, 4, 2, 5]);
    tdata[0] = 99;
    expect(m.get(0).get(0).item()).toBe(0);
  });

  it('item() and toArray()', () => {
    expect(tensor([[3.5]]).item()).toBe(3.5);
    expect(tensor([7], { dtype: 'int32' }).item()).toBe(7);
    expect(zeros([2, 0]).toArray()).toEqual([[], []]);
    expect(arange(4).reshape(2, 2).T.toArray()).toEqual([[0, 2], [1, 3]]);
  });
});

describe('shape metadata', () => {
  it('shape, strides, ndim, numel, size()', () => {
    const t = zeros(2, 3, 4);
    expect(t.shape).toEqual([2, 3, 4]);
    expect(t.strides).toEqual([12, 4, 1]);
    expect(t.ndim).toBe(3);
    expect(t.numel).toBe(24);
    expect(t.size()).toEqual([2, 3, 4]);
    expect(t.size(1)).toBe(3);
    expect(t.size(-1)).toBe(4);
    const shape = t.shape;
    shape[0] = 99;
    expect(t.shape).toEqual([2, 3, 4]);
    expect(thrown(() => t.size(3))).toBeInstanceOf(ArgumentError);
  });
});

describe('views', () => {
  const data3 = Array.from(randomValues(24, 11));
  const t3 = () => tensor(data3).reshape(2, 3, 4);

  it('reshape infers -1 and shares memory when it can', () => {
    const x = arange(12);
    const r = x.reshape(3, -1);
    expect(r.shape).toEqual([3, 4]);
    expect(x.reshape([-1, 6]).shape).toEqual([2, 6]);
    expect(x.reshape(2, 2, 3).toArray()).toEqual([[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]);
    r.data()[5] = -1;
    expect(x.get(5).item()).toBe(-1);
    expect(x.flatten().shape).toEqual([12]);
  });

  it('reshape of a transposed tensor copies in logical order', () => {
    const m = arange(6).reshape(2, 3);
    const flat = m.T.reshape(6);
    expect(Array.from(flat.data())).toEqual([0, 3, 1, 4, 2, 5]);
    flat.data()[0] = 50;
    expect(m.get(0).get(0).item()).toBe(0);
  });

  it('view shares memory, and throws ShapeError for a transposed tensor', () => {
    const x = arange(6);
    const v = x.view(2, 3);
    v.data()[0] = 42;
    expect(x.get(0).item()).toBe(42);
    const err = thrown(() => arange(6).reshape(2, 3).T.view(6));
    expect(err).toBeInstanceOf(ShapeError);
    expect(err.code).toBe('ERR_SHAPE');
    // a view that keeps the transposed dimension whole is still possible
    expect(arange(6).reshape(2, 3).T.view(3, 2, 1).toArray()).toEqual([[[0], [3]], [[1], [4]], [[2], [5]]]);
  });

  it('transpose and T match a plain-JS reference', () => {
    const x = t3();
    const y = x.transpose(0, 2);
    expect(y.shape).toEqual([4, 3, 2]);
    expect(y.strides).toEqual([1, 4, 12]);
    expectExact(y.data(), permuteRef(data3, [2, 3, 4], [2, 1, 0]));
    expectExact(x.transpose(-1, -2).data(), permuteRef(data3, [2, 3, 4], [0, 2, 1]));
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(m.T.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(m.T.T.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const v = arange(3);
    expect(v.T).toBe(v);
  });

  it('permute matches a plain-JS reference', () => {
    const x = t3();
    expectExact(x.permute(2, 0, 1).data(), permuteRef(data3, [2, 3, 4], [2, 0, 1]));
    expectExact(x.permute([1, 2, 0]).data(), permuteRef(data3, [2, 3, 4], [1, 2, 0]));
    expect(x.permute(1, 2, 0).shape).toEqual([3, 4, 2]);
    // permuting back restores the original
    expectExact(x.permute(2, 0, 1).permute(1, 2, 0).data(), data3);
  });

  it('slice with negative, clamped and stepped indices', () => {
    const x = arange(10);
    const vals = (t: Tensor) => Array.from(t.data());
    expect(vals(x.slice(2, 8, 2))).toEqual([2, 4, 6]);
    expect(vals(x.slice(-3))).toEqual([7, 8, 9]);
    expect(vals(x.slice(1, -1, 3))).toEqual([1, 4, 7]);
    expect(vals(x.slice(-100, 100))).toEqual(seq(10));
    expect(vals(x.slice(8, 100, 5))).toEqual([8]);
    expect(x.slice(5, 2).shape).toEqual([0]);
    expect(x.slice(12).shape).toEqual([0]);
    expect(x.slice(0, 10, 3).strides).toEqual([3]);
    const m = arange(12).reshape(4, 3);
    expect(m.slice(1, 4, 2).toArray()).toEqual([[3, 4, 5], [9, 10, 11]]);
    expect(m.slice(1).slice(1, 3).toArray()).toEqual([[6, 7, 8], [9, 10, 11]]);
    // slicing a transposed tensor slices its (logical) rows
    expect(m.T.slice(1, 3).toArray()).toEqual([[1, 4, 7, 10], [2, 5, 8, 11]]);
  });

  it('get(i) selects a row, negative from the end', () => {
    const m = arange(6).reshape(2, 3);
    expect(m.get(1).toArray()).toEqual([3, 4, 5]);
    expect(m.get(-2).toArray()).toEqual([0, 1, 2]);
    expect(m.get(1).get(-1).shape).toEqual([]);
    expect(m.get(1).get(-1).item()).toBe(5);
    expect(m.T.get(2).toArray()).toEqual([2, 5]);
    expect(thrown(() => m.get(2))).toBeInstanceOf(ArgumentError);
  });
});

describe('copies and conversion', () => {
  it('contiguous returns the tensor itself when already contiguous, else a copy', () => {
    const x = arange(6).reshape(2, 3);
    expect(x.contiguous()).toBe(x);
    expect(x.T.isContiguous()).toBe(false);
    const c = x.T.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.strides).toEqual([2, 1]);
    expect(Array.from(c.data())).toEqual([0, 3, 1, 4, 2, 5]);
    c.data()[0] = 7;
    expect(x.get(0).get(0).item()).toBe(0);
  });

  it('clone shares nothing', () => {
    const x = tensor([1, 2, 3]);
    const c = x.clone();
    c.data()[0] = 9;
    x.data()[2] = -3;
    expect(Array.from(x.data())).toEqual([1, 2, -3]);
    expect(Array.from(c.data())).toEqual([9, 2, 3]);
    const ct = arange(4).reshape(2, 2).T.clone();
    expect(ct.isContiguous()).toBe(true);
    expect(Array.from(ct.data())).toEqual([0, 2, 1, 3]);
  });

  it('int() truncates toward zero, float() converts back', () => {
    const x = tensor([1.5, -1.5, 2.7, -2.7, 0.2, -0.9, 100.99, -100.99]);
    const i = x.int();
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.data())).toEqual([1, -1, 2, -2, 0, 0, 100, -100]);
    const back = i.float();
    expect(back.dtype).toBe('float32');
    expect(Array.from(back.data())).toEqual([1, -1, 2, -2, 0, 0, 100, -100]);
    expect(i.int()).toBe(i);
    expect(Array.from(x.T.int().data())).toEqual(Array.from(i.data()));
    const tr = tensor([[1.9, 2.9], [-3.9, 4.9]]).T.int();
    expect(tr.toArray()).toEqual([[1, -3], [2, 4]]);
  });
});

describe('dispose', () => {
  it('makes every later use throw ArgumentError; views keep their memory', () => {
    const x = arange(6);
    const v = x.reshape(2, 3);
    x.dispose();
    expect(x.isDisposed).toBe(true);
    x.dispose(); // a second dispose is harmless
    for (const use of [() => x.add(1), () => x.data(), () => x.sum(), () => x.reshape(3, 2), () => x.toString(), () => x.exp()]) {
      const err = thrown(use);
      expect(err).toBeInstanceOf(ArgumentError);
      expect(err.message).toMatch(/disposed/);
    }
    expect(v.sum().item()).toBe(15);
    expect(v.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
  });
});
