// Semantics at the edges of fit/evaluate and the loaders: accuracy with one-hot targets, the
// epoch loss of a sum-reduced loss, an empty validation pass, and a worker_thread terminated
// while its DataLoader has native work in flight.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { data, evaluate, fit, manualSeed, nn, optim, randn, tensor, train } from '../lib/index.js';

describe('accuracy', () => {
  it('compares argmaxes for one-hot (or soft) float targets', () => {
    const out = tensor([[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0, 0, 1]]);
    const labels = tensor([1, 1, 0, 2], { dtype: 'int32' });
    expect(train.accuracy(out, labels)).toBe(0.5);
    expect(train.accuracy(out, data.oneHot(labels, 3))).toBe(0.5);
    expect(train.accuracy(out, tensor([[0.1, 0.8, 0.1], [0, 1, 0], [0.6, 0.2, 0.2], [0, 0.4, 0.6]]))).toBe(0.5);
  });

  it('thresholds one score per sample at 0.5', () => {
    expect(train.accuracy(tensor([[0.9], [0.2], [0.6]]), tensor([1, 0, 0]))).toBeCloseTo(2 / 3, 6);
  });
});

describe('epoch loss', () => {
  it('is the mean per sample for mean- and sum-reduced losses alike', async () => {
    manualSeed(2);
    const x = randn(50, 3);
    const y = randn(50, 1);
    const batches = [0, 25].map((s) => [x.narrow(0, s, 25), y.narrow(0, s, 25)] as [typeof x, typeof y]);
    const model = new nn.Linear(3, 1);
    const expected = new nn.MSELoss().call(model.call(x), y).item();
    for (const reduction of ['mean', 'sum'] as const) {
      const r = await evaluate(model, batches, { loss: new nn.MSELoss({ reduction }) });
      expect(r.loss).toBeCloseTo(expected, 5);
    }
    const sgd = new optim.SGD(model.parameters(), { lr: 0 });
    const h = await fit(model, batches, { optimizer: sgd, loss: new nn.MSELoss({ reduction: 'sum' }), verbose: false });
    expect(h.loss[0]).toBeCloseTo(expected, 5);
  });
});

describe('empty passes', () => {
  it('names batchSize and dropLast when a validation loader has no batches', async () => {
    const ds = new data.TensorDataset(randn(50, 2), tensor(Array.from({ length: 50 }, () => 0), { dtype: 'int32' }));
    const val = new data.DataLoader(ds, { batchSize: 64, dropLast: true });
    const model = new nn.Linear(2, 2);
    const run = fit(model, new data.DataLoader(ds, { batchSize: 10 }), {
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: new nn.CrossEntropyLoss(),
      validation: val,
      verbose: false,
    });
    await expect(run).rejects.toThrow(/its length is 0: with dropLast.*dataset length 50, batchSize 64, dropLast true/);
  });
});

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distCjs = join(root, 'dist', 'index.cjs');

describe.runIf(existsSync(distCjs))('worker_threads', () => {
  it('terminating workers with loader work in flight does not bring the process down', () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      const code = \`
        const { parentPort } = require('node:worker_threads');
        const tg = require(${JSON.stringify(distCjs)});
        const x = tg.rand([4000, 784]); const y = tg.zeros([4000]).int();
        const dl = new tg.data.DataLoader(new tg.data.TensorDataset(x, y), { batchSize: 2000, shuffle: true, seed: 1 });
        (async () => { parentPort.postMessage('go'); for (;;) { for await (const b of dl) {} for (const b of dl) b[0].mul(2); } })();
      \`;
      (async () => {
        for (let i = 0; i < 24; i++) {
          const w = new Worker(code, { eval: true });
          await new Promise((r) => w.once('message', r));
          await new Promise((r) => setTimeout(r, i % 4));
          await w.terminate();
        }
        console.log('survived');
      })();
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe('survived');
    expect(r.status).toBe(0);
  });
});
