// The sequence and attention ops (lib/sequence.ts, nn.Embedding) beyond what the PyTorch
// fixtures check (test/autograd-ops.test.ts): result dtypes and autograd flags, views, int32
// inputs, in-place writes, Embedding's module behaviour, and every error naming its argument.
import { describe, expect, it } from 'vitest';
import * as tg from '../lib/index.js';
import { ArgumentError, DTypeError, F, nn, ShapeError, Tensor, TensorgradError } from '../lib/index.js';
import { thrown } from './helpers.js';

const int = (data: number[] | number[][]) => tg.tensor(data, { dtype: 'int32' });
const leaf = (data: number[] | number[][]) => tg.tensor(data, { requiresGrad: true });
const arr = (t: Tensor | null) => t!.toArray();

// Throws `kind` with a message matching every pattern (the argument's name among them).
function expectError(fn: () => unknown, kind: typeof TensorgradError, ...patterns: RegExp[]): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(kind);
  for (const p of patterns) expect(e.message).toMatch(p);
}

describe('comparisons', () => {
  it('give float32 1/0 that never requires grad, for tensors, numbers and broadcasting', () => {
    const x = leaf([[1, 2, 3], [4, 5, 6]]);
    const y = x.ge(tg.tensor([1, 5, 7]));
    expect([y.dtype, y.requiresGrad, y.gradFn]).toEqual(['float32', false, null]);
    expect(arr(y)).toEqual([[1, 0, 0], [1, 1, 0]]);
    expect(arr(x.ne(2))).toEqual([[1, 0, 1], [1, 1, 1]]);
    expect(arr(tg.lt(x, tg.tensor([[3], [5]])))).toEqual([[1, 1, 0], [1, 0, 0]]);
    expect(arr(x.mul(x.gt(3)))).toEqual([[0, 0, 0], [4, 5, 6]]); // a mask multiplies directly
  });

  it('work on int32, int32 against float32, and int32 against fractions and NaN', () => {
    const i = int([-1, 0, 1, 2]);
    expect(arr(i.eq(int([1, 0, 1, 3])))).toEqual([0, 1, 1, 0]);
    expect(arr(i.lt(0.5))).toEqual([1, 1, 0, 0]);
    expect(arr(i.le(tg.tensor([-1.5, 0, 0.5, 2])))).toEqual([0, 1, 0, 1]);
    expect(arr(tg.tensor([NaN, 1]).eq(NaN))).toEqual([0, 0]);
    expect(arr(tg.tensor([NaN, 1]).ne(NaN))).toEqual([1, 1]);
  });

  it('reject shapes that do not broadcast, naming both', () => {
    expectError(() => tg.ones([2, 3]).eq(tg.ones([4])), ShapeError, /eq/, /\[2, 3\]/, /\[4\]/);
    expectError(() => tg.ones([2]).gt('a' as never), ArgumentError, /other/);
  });
});

describe('where and maskedFill', () => {
  it('where takes numbers on either side and an int32 condition; the gradient skips the condition', () => {
    const x = leaf([1, -2, 3]);
    expect(arr(tg.where(int([1, 0, 2]), x, 0))).toEqual([1, 0, 3]);
    expect(arr(tg.where(x.gt(0), -1, 1))).toEqual([-1, 1, -1]);
    expect(arr(tg.where(x.gt(0), int([7, 7, 7]), 2))).toEqual([7, 2, 7]);
    expect(tg.where(x.gt(0), int([7, 7, 7]), 2).dtype).toBe('int32');
    const y = leaf([[10], [20]]);
    const w = tg.where(tg.tensor([1, 0, 1]), x, y);
    expect(w.shape).toEqual([2, 3]);
    w.sum().backward();
    expect(arr(x.grad)).toEqual([2, 0, 2]);
    expect(arr(y.grad)).toEqual([[1], [1]]);
  });

  it('maskedFill keeps the input shape; a mask that would grow it is a ShapeError', () => {
    const x = tg.ones([2, 3]);
    expect(arr(x.maskedFill(tg.tensor([0, 1, 0]), 5))).toEqual([[1, 5, 1], [1, 5, 1]]);
    expectError(() => tg.ones([3]).maskedFill(tg.ones([2, 3]), 0), ShapeError, /mask/, /\[2, 3\]/);
    expectError(() => x.maskedFill(tg.ones([3]), tg.ones([1])), ShapeError, /value/);
    expect(arr(int([1, 2, 3]).maskedFill(int([0, 1, 1]), -7))).toEqual([1, -7, -7]);
  });

  it('maskedFill_ writes in place, bumps the version and is refused on tracked tensors', () => {
    const x = tg.zeros([2, 2]);
    const y = x.maskedFill_(tg.tensor([[1, 0], [0, 1]]), 3);
    expect(y).toBe(x);
    expect(arr(x)).toEqual([[3, 0], [0, 3]]);
    const p = tg.zeros([2]).requiresGrad_();
    expectError(() => p.maskedFill_(tg.ones([2]), 1), ArgumentError, /leaf/);
    tg.noGrad(() => p.maskedFill_(tg.tensor([0, 1]), 1));
    expect(arr(p)).toEqual([0, 1]);
    // a backward that saved the old values refuses to run after the write
    const a = tg.tensor([1, 2]);
    const w = leaf([3, 4]);
    const out = w.mul(a);
    a.maskedFill_(tg.ones([2]), 0);
    expect(thrown(() => out.sum().backward())).toBeInstanceOf(TensorgradError);
  });
});

describe('triu, tril, cumsum, repeat', () => {
  it('triu/tril are batched over leading dimensions, take int32, and need 2 dimensions', () => {
    const m = tg.arange(1, 10).reshape(3, 3);
    expect(arr(m.triu())).toEqual([[1, 2, 3], [0, 5, 6], [0, 0, 9]]);
    expect(arr(m.tril(-1))).toEqual([[0, 0, 0], [4, 0, 0], [7, 8, 0]]);
    expect(arr(tg.triu(int([[1, 2], [3, 4]]), 1))).toEqual([[0, 2], [0, 0]]);
    const b = tg.ones([2, 2, 3]).tril();
    expect(arr(b)).toEqual([[[1, 0, 0], [1, 1, 0]], [[1, 0, 0], [1, 1, 0]]]);
    expectError(() => tg.ones([3]).triu(), ShapeError, /triu/, /2 dimensions/);
    expectError(() => m.tril(0.5), ArgumentError, /diagonal/);
  });

  it('cumsum is float32 along a checked dim', () => {
    expect(arr(tg.cumsum(tg.tensor([[1, 2], [3, 4]]), 0))).toEqual([[1, 2], [4, 6]]);
    expectError(() => int([1, 2]).cumsum(0), DTypeError, /cumsum/, /float32/);
    expectError(() => tg.ones([2, 2]).cumsum(2), ArgumentError, /dim/);
    expectError(() => (tg.ones([2]).cumsum as (d?: number) => Tensor)(), ArgumentError, /dim/);
  });

  it('repeat tiles like torch, takes a list or arguments and int32, and checks sizes', () => {
    const x = tg.tensor([1, 2]);
    expect(arr(x.repeat(2, 2))).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(x.repeat([3, 1, 2]).shape).toEqual([3, 1, 4]);
    expect(arr(int([[5]]).repeat(1, 3))).toEqual([[5, 5, 5]]);
    expect(x.repeat(0, 1).shape).toEqual([0, 2]);
    expectError(() => tg.ones([2, 2]).repeat(2), ArgumentError, /sizes/, /2/);
    expectError(() => x.repeat(-1), ArgumentError, /sizes/);
  });
});

describe('split and chunk', () => {
  it('return views with torch’s sizes', () => {
    const x = tg.arange(0, 10).reshape(5, 2);
    expect(x.split(2).map((p) => p.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(x.split([1, 4]).map((p) => p.shape)).toEqual([[1, 2], [4, 2]]);
    expect(tg.chunk(x, 2, 1).map((p) => p.shape)).toEqual([[5, 1], [5, 1]]);
    expect(x.chunk(4).map((p) => p.shape[0])).toEqual([2, 2, 1]); // ceil(5 / 4) = 2: three chunks
    expect(tg.zeros([0, 3]).chunk(3).map((p) => p.shape)).toEqual([[0, 3], [0, 3], [0, 3]]);
    expect(tg.zeros([0, 3]).split(2).length).toBe(1);
    const [first] = x.split(3);
    first!.data()[0] = 42; // shares x's memory
    expect(x.data()[0]).toBe(42);
  });

  it('check their sizes and dim, naming the argument', () => {
    const x = tg.ones([4, 3]);
    expectError(() => x.split([1, 2]), ArgumentError, /splitSizeOrSections/, /add up/, /4/);
    expectError(() => x.split([5, -1]), ArgumentError, /splitSizeOrSections/);
    expectError(() => x.split(0), ArgumentError, /splitSizeOrSections/);
    expectError(() => x.split(1.5), ArgumentError, /splitSizeOrSections/);
    expectError(() => x.split(2, 2), ArgumentError, /dim/);
    expectError(() => x.chunk(0), ArgumentError, /chunks/);
    expectError(() => x.chunk(2, -3), ArgumentError, /dim/);
    expectError(() => tg.tensor(1).split(1), ShapeError, /0-D/);
  });

  it('route the gradient of each piece back', () => {
    const x = leaf([[1, 2, 3], [4, 5, 6]]);
    const [a, b] = x.split([1, 2], 1);
    a!.mul(2).sum().add(b!.mul(3).sum()).backward();
    expect(arr(x.grad)).toEqual([[2, 3, 3], [2, 3, 3]]);
  });
});

describe('embedding', () => {
  it('looks up rows for int32 indices of any shape, checking dtype, shape and range', () => {
    const w = tg.arange(0, 12).reshape(4, 3);
    const y = F.embedding(int([[3, 0], [1, 1]]), w);
    expect(y.shape).toEqual([2, 2, 3]);
    expect(arr(y)).toEqual([[[9, 10, 11], [0, 1, 2]], [[3, 4, 5], [3, 4, 5]]]);
    expect(arr(F.embedding(tg.tensor(2, { dtype: 'int32' }), w))).toEqual([6, 7, 8]);
    expectError(() => F.embedding(tg.tensor([1]), w), DTypeError, /input/, /int32/);
    expectError(() => F.embedding(int([1]), int([[1, 2]])), DTypeError, /weight/);
    expectError(() => F.embedding(int([1]), tg.ones([4])), ShapeError, /weight/, /2-D/);
    expectError(() => F.embedding(int([[1, 4]]), w), ArgumentError, /embedding/, /index 4/, /size 4/);
    expectError(() => F.embedding(int([-1]), w), ArgumentError, /embedding/, /-1/);
    expectError(() => F.embedding(int([1]), w, { paddingIdx: 4 }), ArgumentError, /paddingIdx/);
    expectError(() => F.embedding(int([1]), w, { maxNorm: 0 }), ArgumentError, /maxNorm/);
    expectError(() => F.embedding(int([1]), w, { foo: 1 } as never), ArgumentError, /foo/);
  });

  it('an out-of-range index in deferred mode fails at the next wait, before the weight is touched', async () => {
    const w = tg.ones([3, 2]);
    const before = Array.from(w.data());
    const e = await tg
      .deferred(() => F.embedding(int([0, 5]), w, { maxNorm: 0.5 }))
      .then((t) => t.dataAsync())
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as Error).message).toMatch(/embedding: index 5/);
    expect(Array.from(w.data())).toEqual(before);
  });

  it('nn.Embedding: N(0, 1) init from the seed, a zero padding row that gets no gradient, PyTorch’s repr and keys', () => {
    tg.manualSeed(3);
    const e = new nn.Embedding(200, 50, { paddingIdx: -2 });
    expect(e.paddingIdx).toBe(198);
    const w = e.weight;
    expect([w.shape, w.requiresGrad]).toEqual([[200, 50], true]);
    expect(arr(w.get(198))).toEqual(new Array(50).fill(0));
    const mean = w.mean().item();
    const std = w.sub(mean).pow(2).mean().sqrt().item();
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(std - 1)).toBeLessThan(0.02);
    tg.manualSeed(3);
    expect(Array.from(new nn.Embedding(200, 50, { paddingIdx: -2 }).weight.data())).toEqual(Array.from(w.data()));
    e.call(int([[198, 1], [198, 2]])).sum().backward();
    expect(arr(w.grad!.get(198))).toEqual(new Array(50).fill(0));
    expect(arr(w.grad!.get(1))).toEqual(new Array(50).fill(1));
    expect(Object.keys(e.stateDict())).toEqual(['weight']);
    expect(e.toString()).toBe('Embedding(200, 50, padding_idx=198)');
    expect(new nn.Embedding(5, 2, { maxNorm: 1, normType: 1, scaleGradByFreq: true }).toString()).toBe(
      'Embedding(5, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)',
    );
  });

  it('maxNorm renormalises the looked-up rows of the weight in place, only those', () => {
    const e = nn.Embedding.fromPretrained(tg.tensor([[3, 4], [0.3, 0.4], [6, 8]]), { maxNorm: 1, freeze: false });
    const y = e.call(int([0, 1, 0]));
    const w = arr(e.weight) as number[][];
    expect(w[0]![0]).toBeCloseTo(0.6, 5);
    expect(w[0]![1]).toBeCloseTo(0.8, 5);
    expect(w[1]).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    expect(w[2]).toEqual([6, 8]);
    expect((arr(y) as number[][])[2]![1]).toBeCloseTo(0.8, 5);
  });

  it('fromPretrained shares the given weights, frozen by default', () => {
    const weights = tg.tensor([[1, 2], [3, 4]]);
    const frozen = nn.Embedding.fromPretrained(weights);
    expect([frozen.numEmbeddings, frozen.embeddingDim, frozen.weight.requiresGrad]).toEqual([2, 2, false]);
    expect(frozen.parameters().length).toBe(1);
    weights.data()[0] = 9;
    expect(arr(frozen.call(int([0])))).toEqual([[9, 2]]);
    expect(frozen.call(int([1])).requiresGrad).toBe(false);
    const trained = nn.Embedding.fromPretrained(weights, { freeze: false, paddingIdx: 1 });
    expect(trained.weight.requiresGrad).toBe(true);
    expect(arr(trained.weight.get(1))).toEqual([3, 4]); // left as given, as torch
    expectError(() => nn.Embedding.fromPretrained(tg.ones([3])), ShapeError, /embeddings/);
    expectError(() => new nn.Embedding(2, 3, { _weight: tg.ones([3, 2]) }), ShapeError, /_weight/);
    expectError(() => new nn.Embedding(-1, 3), ArgumentError, /numEmbeddings/);
  });

  it('trains: an optimizer step moves only the rows looked up (and never the padding row)', () => {
    tg.manualSeed(0);
    const e = new nn.Embedding(4, 3, { paddingIdx: 0 });
    const before = arr(e.weight) as number[][];
    const opt = new tg.optim.SGD(e.parameters(), { lr: 0.5 });
    e.call(int([0, 2, 2])).pow(2).sum().backward();
    opt.step();
    const after = arr(e.weight) as number[][];
    expect([after[0], after[1], after[3]]).toEqual([before[0], before[1], before[3]]);
    expect(after[2]).not.toEqual(before[2]);
  });
});

describe('gradients', () => {
  it('carry PyTorch’s node names', () => {
    const x = leaf([[1, 2], [3, 4]]);
    const names: Array<[string, Tensor]> = [
      ['WhereBackward0', tg.where(x.gt(2), x, 0)],
      ['MaskedFillBackward0', x.maskedFill(tg.tensor([1, 0]), 0)],
      ['TriuBackward0', x.triu()],
      ['TrilBackward0', x.tril()],
      ['CumsumBackward0', x.cumsum(0)],
      ['RepeatBackward0', x.repeat(2, 1)],
      ['EmbeddingBackward0', F.embedding(int([1]), x)],
    ];
    expect(names.map(([, t]) => t.gradFn)).toEqual(names.map(([n]) => n));
  });

  it('pass gradcheck where the fixtures do not reach: a 0-D tensor value, batched triangles, cumsum of a view', () => {
    tg.manualSeed(5); // fixed draws: none within gradcheck's step of where's switch at 0
    const x = tg.randn([2, 3, 4]).requiresGrad_();
    const v = tg.tensor(0.5, { requiresGrad: true });
    const m = tg.tensor([[1, 0, 0, 1]]);
    expect(tg.gradcheck((a, b) => a.maskedFill(m, b).mul(a), [x, v])).toBe(true);
    expect(tg.gradcheck((a) => a.tril(1).add(a.triu(-1)).transpose(1, 2).cumsum(1), [x])).toBe(true);
    expect(tg.gradcheck((a) => tg.where(a.gt(0), a.mul(a), a.repeat(1, 1, 1)), [x])).toBe(true);
  });
});
