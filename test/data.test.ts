import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataLoader, type Dataset, defaultCollate, randomSplit, Subset, TensorDataset } from '../lib/data/index.js';
import { ArgumentError, arange, manualSeed, memoryStats, rand, ShapeError, Tensor, TensorgradError, tensor, zeros } from '../lib/index.js';
import { native } from '../lib/native.js';
import { getGc } from './helpers.js';

// x: row i is [3i, 3i+1, 3i+2]; y: i (int32). A batch's y values name its samples.
function xy(n: number): [Tensor, Tensor] {
  return [arange(n * 3).reshape(n, 3), arange(n, undefined, 1, { dtype: 'int32' })];
}
const ids = (batch: Tensor[]): number[] => Array.from(batch[1]!.data());
const epochIds = (batches: Iterable<Tensor[]>): number[][] => [...batches].map(ids);
async function asyncEpochIds(loader: AsyncIterable<Tensor[]>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of loader) out.push(ids(b));
  return out;
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (a: number[]) => [...a].sort((p, q) => p - q);

/** The error fn throws (or the promise rejects with), checked for class and message parts. */
function expectError(err: unknown, cls: typeof ArgumentError | typeof ShapeError, parts: string[]) {
  expect(err).toBeInstanceOf(TensorgradError);
  expect(err).toBeInstanceOf(cls);
  for (const p of parts) expect((err as Error).message).toContain(p);
}
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('TensorDataset', () => {
  it('sample i is the i-th row of each tensor, as views', () => {
    const buf = new Float32Array([0, 1, 2, 3, 4, 5]);
    const ds = new TensorDataset(Tensor.from(buf, [3, 2]), tensor([7, 8, 9]));
    expect(ds.length).toBe(3);
    expect(ds.tensors).toHaveLength(2);
    const [x, y] = ds.get(1);
    expect(x!.toArray()).toEqual([2, 3]);
    expect(y!.item()).toBe(8);
    buf[2] = 42;
    expect(x!.toArray()).toEqual([42, 3]);
  });

  it('rejects no tensors, different size(0), 0-d tensors, non-tensors and bad indices', () => {
    expectError(thrown(() => new TensorDataset()), ArgumentError, ['at least one tensor']);
    expectError(thrown(() => new TensorDataset(zeros(4, 2), zeros(5))), ShapeError, ['same size(0)', 'tensors[1] has 5', 'tensors[0] has 4']);
    expectError(thrown(() => new TensorDataset(tensor(1))), ShapeError, ['tensors[0]', '0-dimensional']);
    expectError(thrown(() => new TensorDataset(zeros(2), [1, 2] as never)), ArgumentError, ['tensors[1] must be a Tensor']);
    const ds = new TensorDataset(zeros(3));
    expectError(thrown(() => ds.get(3)), ArgumentError, ['TensorDataset.get', 'index must be an integer from 0 to 2', 'got the number 3']);
  });
});

describe('Subset', () => {
  it('maps indices through its dataset, and composes', () => {
    const ds = new TensorDataset(...xy(10));
    const s = new Subset(ds, [9, 0, 4, 4]);
    expect(s.length).toBe(4);
    expect(s.indices).toBeInstanceOf(Int32Array);
    expect(s.get(0)[1]!.item()).toBe(9);
    expect(s.get(3)[0]!.toArray()).toEqual([12, 13, 14]);
    const ss = new Subset(s, new Int32Array([2, 0]));
    expect(ss.get(0)[1]!.item()).toBe(4);
    expect(ss.get(1)[1]!.item()).toBe(9);
  });

  it('copies its indices', () => {
    const idx = [1, 2];
    const s = new Subset(new TensorDataset(zeros(3)), idx);
    idx[0] = 0;
    expect(Array.from(s.indices)).toEqual([1, 2]);
  });

  it('rejects indices out of range and datasets that are not', () => {
    const ds = new TensorDataset(zeros(3));
    expectError(thrown(() => new Subset(ds, [0, 3])), ArgumentError, ['indices[1]', 'from 0 to 2', 'got the number 3']);
    expectError(thrown(() => new Subset(ds, [0.5])), ArgumentError, ['indices[0]']);
    expectError(thrown(() => new Subset(ds, 'abc' as never)), ArgumentError, ['indices must be an array of integers']);
    expectError(thrown(() => new Subset({ length: 2 } as never, [0])), ArgumentError, ['Subset: dataset must be a Dataset']);
  });
});

describe('randomSplit', () => {
  // Every split's samples, as rows of the underlying dataset.
  const rowsOf = (parts: Subset<Tensor[]>[]) => parts.map((p) => range(p.length).map((i) => p.get(i)[1]!.item()));

  it('splits by counts into disjoint parts that cover the dataset', () => {
    const parts = randomSplit(new TensorDataset(...xy(10)), [3, 5, 2], { seed: 1 });
    expect(parts.map((p) => p.length)).toEqual([3, 5, 2]);
    expect(sorted(rowsOf(parts).flat())).toEqual(range(10));
  });

  it('splits by fractions, giving the remainder round-robin as PyTorch does', () => {
    const ds = new TensorDataset(zeros(10));
    expect(randomSplit(ds, [0.5, 0.3, 0.2], { seed: 0 }).map((p) => p.length)).toEqual([5, 3, 2]);
    expect(randomSplit(ds, [0.34, 0.33, 0.33], { seed: 0 }).map((p) => p.length)).toEqual([4, 3, 3]);
    expect(randomSplit(new TensorDataset(zeros(11)), [0.5, 0.5], { seed: 0 }).map((p) => p.length)).toEqual([6, 5]);
    // floor gives [1, 1, 1, 1, 1] of 7: the 2 left go to the first two
    expect(randomSplit(new TensorDataset(zeros(7)), [0.2, 0.2, 0.2, 0.2, 0.2], { seed: 0 }).map((p) => p.length)).toEqual([2, 2, 1, 1, 1]);
    const parts = randomSplit(new TensorDataset(...xy(50)), [0.7, 0.3], { seed: 5 });
    expect(sorted(rowsOf(parts).flat())).toEqual(range(50));
  });

  it('is reproducible for a seed, differs between seeds, and follows manualSeed without one', () => {
    const ds = new TensorDataset(...xy(40));
    expect(rowsOf(randomSplit(ds, [20, 20], { seed: 3 }))).toEqual(rowsOf(randomSplit(ds, [20, 20], { seed: 3 })));
    expect(rowsOf(randomSplit(ds, [20, 20], { seed: 3 }))).not.toEqual(rowsOf(randomSplit(ds, [20, 20], { seed: 4 })));
    manualSeed(11);
    const a = rowsOf(randomSplit(ds, [20, 20]));
    const a2 = rowsOf(randomSplit(ds, [20, 20]));
    manualSeed(11);
    expect(rowsOf(randomSplit(ds, [20, 20]))).toEqual(a);
    expect(a2).not.toEqual(a);
  });

  it('works on any Dataset', () => {
    const ds: Dataset<string> = { length: 4, get: (i) => 'abcd'[i]! };
    const parts = randomSplit(ds, [2, 2], { seed: 9 });
    expect(sorted([...parts[0]!.indices, ...parts[1]!.indices])).toEqual([0, 1, 2, 3]);
    expect(parts[0]!.get(0)).toBe('abcd'[parts[0]!.indices[0]!]);
  });

  it('rejects lengths that do not fit', () => {
    const ds = new TensorDataset(zeros(10));
    expectError(thrown(() => randomSplit(ds, [3, 3])), ArgumentError, ['counts summing to the dataset\'s length (10)', 'which sum to 6']);
    expectError(thrown(() => randomSplit(ds, [0.5, 0.4])), ArgumentError, ['fractions summing to 1']);
    expectError(thrown(() => randomSplit(ds, [5.5, 4.5])), ArgumentError, ['lengths[0] is 5.5']);
    expectError(thrown(() => randomSplit(ds, [-1, 11])), ArgumentError, ['lengths[0] must be a non-negative number']);
    expectError(thrown(() => randomSplit(ds, [])), ArgumentError, ['lengths must be a non-empty array']);
    expectError(thrown(() => randomSplit(ds, [10], { seed: -1 })), ArgumentError, ['options.seed must be a non-negative safe integer']);
    expectError(thrown(() => randomSplit(ds, [10], { sed: 1 } as never)), ArgumentError, ['unknown option "sed"']);
  });
});

describe('DataLoader: batches', () => {
  it('batches in order, with a last partial batch unless dropLast', () => {
    const loader = new DataLoader(new TensorDataset(...xy(10)), { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect([loader.batchSize, loader.shuffle, loader.dropLast]).toEqual([4, false, false]);
    const batches = [...loader];
    expect(batches.map((b) => b.map((t) => t.shape))).toEqual([
      [[4, 3], [4]],
      [[4, 3], [4]],
      [[2, 3], [2]],
    ]);
    expect(batches.map(ids)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batches[2]![0]!.toArray()).toEqual([
      [24, 25, 26],
      [27, 28, 29],
    ]);
    expect(batches[0]![1]!.dtype).toBe('int32');
    const dropped = new DataLoader(new TensorDataset(...xy(10)), { batchSize: 4, dropLast: true });
    expect(dropped.length).toBe(2);
    expect(epochIds(dropped)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(epochIds(new DataLoader(new TensorDataset(...xy(3))))).toEqual([[0], [1], [2]]);
  });

  it('gathers through Subsets of Subsets, and batches are plain data', () => {
    const [x, y] = xy(20);
    const inner = new Subset(new TensorDataset(x.requiresGrad_(), y), [19, 18, 17, 16, 15, 3, 2, 1]);
    const outer = new Subset(inner, [7, 0, 5, 2]);
    const batches = [...new DataLoader(outer, { batchSize: 3 })];
    expect(batches.map(ids)).toEqual([[1, 19, 3], [17]]);
    expect(batches[1]![0]!.toArray()).toEqual([[51, 52, 53]]);
    expect(batches[0]![0]!.requiresGrad).toBe(false);
  });

  it('an empty dataset gives no batches', async () => {
    const loader = new DataLoader(new TensorDataset(zeros(0, 3)), { batchSize: 2, shuffle: true, seed: 1 });
    expect(loader.length).toBe(0);
    expect([...loader]).toEqual([]);
    expect(await asyncEpochIds(loader)).toEqual([]);
    expect([...new DataLoader({ length: 0, get: () => 1 })]).toEqual([]);
  });
});

describe('DataLoader: shuffle', () => {
  const n = 37;
  const make = (seed?: number) => new DataLoader(new TensorDataset(...xy(n)), { batchSize: 8, shuffle: true, seed });

  it('visits every sample exactly once per epoch, in a new order each epoch', () => {
    const loader = make(7);
    const e0 = epochIds(loader);
    const e1 = epochIds(loader);
    expect(e0.map((b) => b.length)).toEqual([8, 8, 8, 8, 5]);
    expect(sorted(e0.flat())).toEqual(range(n));
    expect(sorted(e1.flat())).toEqual(range(n));
    expect(e1).not.toEqual(e0);
    expect(e0.flat()).not.toEqual(range(n));
  });

  it('is reproducible for a seed (epoch by epoch) and differs between seeds', () => {
    const a = make(7);
    const b = make(7);
    for (let epoch = 0; epoch < 3; epoch++) expect(epochIds(a)).toEqual(epochIds(b));
    expect(epochIds(make(7))).not.toEqual(epochIds(make(8)));
  });

  it('without a seed, follows manualSeed', () => {
    manualSeed(123);
    const a = make();
    manualSeed(123);
    const b = make();
    expect(epochIds(a)).toEqual(epochIds(b));
    expect(epochIds(a)).toEqual(epochIds(b));
    expect(epochIds(make())).not.toEqual(epochIds(make()));
  });

  it('a loader without shuffle leaves the generator alone', () => {
    manualSeed(5);
    const expected = Array.from(rand(4).data());
    manualSeed(5);
    new DataLoader(new TensorDataset(zeros(4)));
    expect(Array.from(rand(4).data())).toEqual(expected);
  });

  it('sync and async iteration give the same batches', async () => {
    const a = make(99);
    const b = make(99);
    for (let epoch = 0; epoch < 2; epoch++) {
      const sync = [...a];
      const asyncBatches: Tensor[][] = [];
      for await (const batch of b) asyncBatches.push(batch);
      expect(asyncBatches.map((t) => t.map((u) => u.toArray()))).toEqual(sync.map((t) => t.map((u) => u.toArray())));
    }
  });
});

describe('DataLoader: collate and other datasets', () => {
  it('a custom collate receives the samples and its result is the batch', async () => {
    const seen: number[] = [];
    const loader = new DataLoader<Tensor[], number[]>(new TensorDataset(...xy(5)), {
      batchSize: 2,
      collate: (items) => items.map(([, y]) => (seen.push(y!.item()), y!.item() * 10)),
    });
    expect([...loader]).toEqual([[0, 10], [20, 30], [40]]);
    const batches: number[][] = [];
    for await (const b of loader) batches.push(b);
    expect(batches).toEqual([[0, 10], [20, 30], [40]]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  });

  it('stacks tensors and tensors numbers from a generic dataset, position by position and key by key', async () => {
    const pairs: Dataset<[Tensor, number]> = { length: 5, get: (i) => [tensor([i, -i]), i / 2] };
    const [xs, ys] = [...new DataLoader<[Tensor, number], [Tensor, Tensor]>(pairs, { batchSize: 3 })][0]!;
    expect(xs.toArray()).toEqual([
      [0, -0],
      [1, -1],
      [2, -2],
    ]);
    expect(ys.toArray()).toEqual([0, 0.5, 1]);
    expect(ys.dtype).toBe('float32');

    const records = { length: 3, get: (i: number) => ({ x: tensor([[i]]), label: i }) };
    const all: { x: Tensor; label: Tensor }[] = [];
    for await (const b of new DataLoader<{ x: Tensor; label: number }, { x: Tensor; label: Tensor }>(records, { batchSize: 2 })) all.push(b);
    expect(all.map((b) => b.x.shape)).toEqual([
      [2, 1, 1],
      [1, 1, 1],
    ]);
    expect(all.map((b) => b.label.toArray())).toEqual([[0, 1], [2]]);

    const numbers = new DataLoader<number, Tensor>({ length: 4, get: (i) => i * i }, { batchSize: 4 });
    expect([...numbers][0]!.toArray()).toEqual([0, 1, 4, 9]);
  });

  it('a shuffled generic dataset visits every sample once, in the same order as a TensorDataset with the seed', () => {
    const generic = new DataLoader<number, Tensor>({ length: 12, get: (i) => i }, { batchSize: 5, shuffle: true, seed: 4 });
    const tensors = new DataLoader(new TensorDataset(...xy(12)), { batchSize: 5, shuffle: true, seed: 4 });
    const g = [...generic].map((b) => Array.from(b.data()));
    expect(g).toEqual(epochIds(tensors));
    expect(sorted(g.flat())).toEqual(range(12));
  });

  it('a class that overrides get() is read through get()', () => {
    class Doubled extends TensorDataset {
      override get(i: number): Tensor[] {
        return super.get(i).map((t) => t.mul(2));
      }
    }
    const [x] = [...new DataLoader(new Doubled(tensor([[1], [2]])), { batchSize: 2 })][0]!;
    expect(x!.toArray()).toEqual([[2], [4]]);
  });

  it('says what it cannot collate', () => {
    const strings = new DataLoader({ length: 2, get: (i) => `s${i}` }, { batchSize: 2 });
    expectError(thrown(() => [...strings]), ArgumentError, ['cannot collate sample', 'the string "s0"', 'options.collate']);
    const mixed = new DataLoader({ length: 2, get: (i) => [tensor([1]), i === 0 ? 1 : 'x'] }, { batchSize: 2 });
    expectError(thrown(() => [...mixed]), ArgumentError, ['sample[1]', 'same kind', 'number 1 is the string "x"']);
    const ragged = new DataLoader({ length: 2, get: (i) => range(i + 1) }, { batchSize: 2 });
    expectError(thrown(() => [...ragged]), ArgumentError, ['every sample must have 1 entries', 'number 1 has 2']);
    expectError(thrown(() => defaultCollate([])), ArgumentError, ['defaultCollate: items must be a non-empty array']);
  });
});

describe('DataLoader: errors', () => {
  const ds = new TensorDataset(zeros(4));
  const cases: [string, () => unknown, string[]][] = [
    ['batchSize 0', () => new DataLoader(ds, { batchSize: 0 }), ['DataLoader: options.batchSize must be an integer >= 1, got the number 0']],
    ['batchSize 1.5', () => new DataLoader(ds, { batchSize: 1.5 }), ['options.batchSize', 'got the number 1.5']],
    ['shuffle', () => new DataLoader(ds, { shuffle: 'yes' as never }), ['options.shuffle must be a boolean']],
    ['dropLast', () => new DataLoader(ds, { dropLast: 1 as never }), ['options.dropLast must be a boolean']],
    ['seed', () => new DataLoader(ds, { seed: 0.5 }), ['options.seed must be a non-negative safe integer']],
    ['collate', () => new DataLoader(ds, { collate: 1 as never }), ['options.collate must be a function']],
    ['unknown option', () => new DataLoader(ds, { batch_size: 2 } as never), ['unknown option "batch_size"', 'batchSize']],
    ['options', () => new DataLoader(ds, 3 as never), ['options must be an object']],
    ['null dataset', () => new DataLoader(null as never), ['DataLoader: dataset must be a Dataset', 'got null']],
    ['array dataset', () => new DataLoader([1, 2] as never), ['dataset must be a Dataset', 'got an array']],
    ['bad length', () => new DataLoader({ length: -1, get: () => 0 }), ['integer length >= 0']],
  ];
  it.each(cases)('%s', (_, fn, parts) => expectError(thrown(fn), ArgumentError, parts));

  it('a dataset tensor disposed after construction is named', () => {
    const x = zeros(4);
    const loader = new DataLoader(new TensorDataset(x));
    x.dispose();
    expectError(thrown(() => [...loader]), ArgumentError, ['dataset.tensors[0] was disposed']);
  });

  it('async iteration rejects with the error of get() or collate', async () => {
    const failing = new DataLoader({ length: 2, get: () => { throw new ArgumentError('no sample'); } });
    await expect(asyncEpochIds(failing as never)).rejects.toThrow('no sample');
  });
});

describe('DataLoader: async prefetch on a native worker', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('the gather of batch k+1 has started when batch k is handed out', async () => {
    const spy = vi.spyOn(native, 'indexSelectAsync');
    const loader = new DataLoader(new TensorDataset(...xy(10)), { batchSize: 3 });
    const nb = loader.length;
    const calls: number[] = [];
    const got: number[][] = [];
    for await (const batch of loader) {
      calls.push(spy.mock.calls.length);
      got.push(ids(batch));
    }
    // two tensors per batch: at batch k, batches 0..k+1 (capped at the last) have been requested
    expect(calls).toEqual(range(nb).map((k) => 2 * Math.min(k + 2, nb)));
    expect(got).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  });

  it('breaking out early is clean, and the next epoch starts afresh', async () => {
    const loader = new DataLoader(new TensorDataset(...xy(10)), { batchSize: 2 });
    for await (const batch of loader) {
      expect(ids(batch)).toEqual([0, 1]);
      break;
    }
    expect(await asyncEpochIds(loader)).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
  });

  it('native indexSelectAsync resolves to the gathered rows and rejects with the library errors', async () => {
    const [x] = xy(5);
    const index = Tensor.from(new Int32Array([4, 0]));
    const out = new Tensor(await native.indexSelectAsync(x._h, 0, index._h));
    expect(out.toArray()).toEqual([
      [12, 13, 14],
      [0, 1, 2],
    ]);
    const bad = native.indexSelectAsync(x._h, 0, Tensor.from(new Int32Array([5]))._h);
    await expect(bad).rejects.toBeInstanceOf(ArgumentError);
    await expect(bad).rejects.toThrow('index 5 at position [0] of index is out of range');
    await expect(native.indexSelectAsync(x._h, 0, tensor([1.5])._h)).rejects.toBeInstanceOf(TensorgradError);
    // a handle that is not a tensor fails at once, on the JS thread
    expect(() => native.indexSelectAsync({} as never, 0, index._h)).toThrow(ArgumentError);
  });

  it('keeps the inputs alive while the gather runs, even if JS disposes them', async () => {
    const x = arange(2000 * 64).reshape(2000, 64);
    const rows = Tensor.from(Int32Array.from(range(2000).reverse()));
    const pending = native.indexSelectAsync(x._h, 0, rows._h);
    x.dispose();
    rows.dispose();
    const out = new Tensor(await pending);
    expect(out.shape).toEqual([2000, 64]);
    expect(out.get(0).get(0).item()).toBe(1999 * 64);
  });
});

describe('DataLoader: memory', () => {
  const gc = getGc();
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  async function collect() {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await turn();
    }
  }
  const MB = 1 << 20;

  it('a batch gathered on the worker is charged to this environment and reported', async () => {
    const loader = new DataLoader(new TensorDataset(zeros(1024, 1024)), { batchSize: 1024 });
    await collect();
    const before = memoryStats().envLiveBytes;
    const { value } = await loader[Symbol.asyncIterator]().next();
    expect(value![0]!.shape).toEqual([1024, 1024]);
    // the 4 MiB batch was allocated on a libuv thread, under this environment's account
    expect(memoryStats().envLiveBytes - before).toBeGreaterThanOrEqual(4 * MB);
  });

  it.runIf(gc)('async iteration over a large dataset for several epochs keeps memory flat', async () => {
    const loader = new DataLoader(new TensorDataset(rand(8192, 128), arange(8192, undefined, 1, { dtype: 'int32' })), {
      batchSize: 256,
      shuffle: true,
      seed: 1,
    });
    const inUse: number[] = [];
    const envLive: number[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      let seen = 0;
      for await (const [x] of loader) seen += x!.size(0);
      expect(seen).toBe(8192);
      await collect();
      inUse.push(memoryStats().bytesInUse);
      envLive.push(memoryStats().envLiveBytes);
    }
    // one batch is 128 KiB: allow a few of them, far less than one epoch's 4 MiB of batches
    expect(Math.max(...inUse) - inUse[0]!).toBeLessThan(MB);
    expect(Math.max(...envLive) - envLive[0]!).toBeLessThan(MB);
  });
});
