// Transforms: Normalize fitted on the training split only, flatten, oneHot.
import { describe, expect, it } from 'vitest';
import { ArgumentError, data, DTypeError, randn, tensor, zeros } from '../lib/index.js';

const values = (t: { data(): ArrayLike<number> }): number[] => Array.from(t.data());

describe('Normalize', () => {
  it('measures only the rows of the split it is given', () => {
    const x = tensor([[0, 10], [2, 10], [100, 10], [200, 10]]);
    const ds = new data.TensorDataset(x, tensor([0, 1, 0, 1], { dtype: 'int32' }));
    const trainSplit = new data.Subset(ds, [0, 1]);
    const perFeature = data.Normalize.fit(trainSplit, { perFeature: true });
    expect(values(perFeature.mean)).toEqual([1, 10]);
    // Feature 1 is constant in the split: its std counts as 1, so it stays finite.
    expect(values(perFeature.std)).toEqual([1, 1]);
    expect(values(perFeature.apply(x))).toEqual([-1, 0, 1, 0, 99, 0, 199, 0]);
    const global = data.Normalize.fit(trainSplit);
    expect(global.mean.item()).toBeCloseTo(5.5, 6);
    expect(global.std.item()).toBeCloseTo(Math.sqrt((5.5 ** 2 + 3.5 ** 2 + 4.5 ** 2 * 2) / 4), 5);
  });

  it('fits a tensor, a nested Subset, and any chosen column', () => {
    const x = randn(50, 3).mul(4).add(2);
    const n = data.Normalize.fit(x);
    expect(n.apply(x).mean().item()).toBeCloseTo(0, 5);
    expect(n.apply(x).pow(2).mean().item()).toBeCloseTo(1, 4);
    const ds = new data.TensorDataset(zeros([4, 2]), tensor([1, 2, 3, 4]));
    const inner = new data.Subset(new data.Subset(ds, [3, 2, 1]), [0, 1]);
    expect(data.Normalize.fit(inner, { column: 1 }).mean.item()).toBe(3.5);
    expect(() => data.Normalize.fit(inner, { column: 2 })).toThrow(/options.column must be an integer from 0 to 1/);
    expect(() => data.Normalize.fit({ length: 1, get: () => [zeros([1])] })).toThrow(ArgumentError);
    expect(() => new data.Normalize(0, 0)).toThrow(/std must be a finite number > 0/);
  });
});

describe('flatten and oneHot', () => {
  it('flatten keeps the batch dimension', () => {
    expect(data.flatten(zeros([5, 28, 28])).shape).toEqual([5, 784]);
    expect(data.flatten(zeros([5, 3, 4, 4]), 2).shape).toEqual([5, 3, 16]);
  });

  it('oneHot turns class indices into float vectors', () => {
    const h = data.oneHot(tensor([2, 0, 1], { dtype: 'int32' }), 4);
    expect(h.dtype).toBe('float32');
    expect(h.toArray()).toEqual([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]]);
    expect(data.oneHot(tensor([[1], [0]], { dtype: 'int32' }), 2).shape).toEqual([2, 1, 2]);
    expect(() => data.oneHot(tensor([0, 4], { dtype: 'int32' }), 4)).toThrow(/must lie in \[0, 3\], got values from 0 to 4/);
    expect(() => data.oneHot(tensor([0.5]), 4)).toThrow(DTypeError);
  });
});
