// lib/train: fit (learning, history, validation, schedulers, callbacks, abort, event loop,
// progress output), the metrics against hand-computed values, evaluate/predict, the built-in
// callbacks, learning-curve SVGs and hyper-parameter search. Data are plain arrays of
// [x, y] batches (and an async iterable), so nothing here depends on the DataLoader.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, IOError, isGradEnabled, manualSeed, nn, optim, ShapeError, type Tensor, tensor } from '../lib/index.js';
import * as train from '../lib/train/index.js';
import type { Batch, Callback, EpochLogs, History, TrainContext } from '../lib/train/index.js';

const values = (t: Tensor): number[] => Array.from(t.data());
const labels = (xs: number[]): Tensor => tensor(xs, { dtype: 'int32' });

/** Separable 2-D points (label: x1 + x2 > 0, with a margin), from a seeded LCG, in batches. */
function points(n: number, batchSize: number, seed = 1): Batch[] {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const xs: number[][] = [];
  const ys: number[] = [];
  while (xs.length < n) {
    const p = [rnd(), rnd()];
    if (Math.abs(p[0]! + p[1]!) < 0.3) continue;
    xs.push(p);
    ys.push(p[0]! + p[1]! > 0 ? 1 : 0);
  }
  const batches: Batch[] = [];
  for (let i = 0; i < n; i += batchSize) batches.push([tensor(xs.slice(i, i + batchSize)), labels(ys.slice(i, i + batchSize))]);
  return batches;
}

function setup(lr = 0.5, seed = 3): { model: nn.Linear; opt: optim.SGD; loss: nn.CrossEntropyLoss } {
  manualSeed(seed);
  const model = new nn.Linear(2, 2);
  return { model, opt: new optim.SGD(model.parameters(), { lr }), loss: new nn.CrossEntropyLoss() };
}

const snapshot = (m: nn.Module): Record<string, number[]> => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, values(t)]));

const trainData = points(64, 16, 1);
const valData = points(32, 16, 2);

describe('fit', () => {
  it('learns a separable problem and reports a complete history', async () => {
    const { model, opt, loss } = setup();
    const h = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 15, verbose: false });
    expect(h.stopped).toBe('completed');
    expect(h.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(h.loss).toEqual(h.epochs.map((e) => e.loss));
    expect(h.valLoss).toBeUndefined();
    expect(Object.keys(h.metrics)).toEqual(['accuracy']); // the default for int32 class targets
    expect(h.metrics.accuracy!.at(-1)).toBe(1);
    expect(h.loss.at(-1)!).toBeLessThan(h.loss[0]! / 2);
    for (const e of h.epochs) {
      expect(Object.keys(e).sort()).toEqual(['epoch', 'loss', 'lr', 'metrics', 'samplesPerSecond', 'seconds']);
      expect(e.lr).toBe(0.5);
      expect(e.seconds).toBeGreaterThan(0);
      expect(e.samplesPerSecond).toBeGreaterThan(0);
    }
    expect((await train.evaluate(model, trainData)).metrics.accuracy).toBe(1);
  });

  it('reports the epoch loss as the size-weighted mean of the batch losses', async () => {
    const { model, opt, loss } = setup(0.1);
    const uneven = [...points(20, 8, 5)]; // batches of 8, 8 and 4
    const seen: { loss: number; size: number }[] = [];
    const h = await train.fit(model, uneven, { optimizer: opt, loss, verbose: false, metrics: [], callbacks: [{ onBatchEnd: (_b, logs) => void seen.push(logs) }] });
    expect(seen.map((s) => s.size)).toEqual([8, 8, 4]);
    const mean = seen.reduce((a, s) => a + s.loss * s.size, 0) / 20;
    expect(h.epochs[0]!.loss).toBeCloseTo(mean, 10);
    expect(h.metrics).toEqual({});
  });

  it('validates every epoch and records validation loss and metrics', async () => {
    const { model, opt, loss } = setup();
    const h = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 4, validation: valData, metrics: ['accuracy'], verbose: false });
    expect(h.valLoss).toHaveLength(4);
    expect(Object.keys(h.metrics)).toEqual(['accuracy', 'valAccuracy']);
    const last = h.epochs.at(-1)!;
    expect(last.valMetrics).toEqual({ accuracy: h.metrics.valAccuracy!.at(-1) });
    const direct = await train.evaluate(model, valData, { loss });
    expect(direct.samples).toBe(32);
    expect(direct.loss).toBeCloseTo(last.valLoss!, 6);
    expect(direct.metrics.accuracy).toBe(last.valMetrics!.accuracy);
  });

  it('accepts custom metrics, loss functions and async loaders', async () => {
    const { model, opt } = setup();
    const asyncLoader = {
      length: trainData.length,
      async *[Symbol.asyncIterator]() {
        for (const b of trainData) yield b;
      },
    };
    const h = await train.fit(model, asyncLoader, {
      optimizer: opt,
      loss: (out, y) => nn.functional.crossEntropy(out, y),
      epochs: 3,
      metrics: [new train.Accuracy(), new train.TopKAccuracy(2)],
      verbose: false,
    });
    expect(Object.keys(h.metrics)).toEqual(['accuracy', 'top2Accuracy']);
    expect(h.metrics.top2Accuracy).toEqual([1, 1, 1]); // 2 classes: always in the top 2
  });

  it('refuses a one-shot generator read for a second epoch', async () => {
    const { model, opt, loss } = setup();
    const once = (function* () {
      yield* trainData;
    })();
    await expect(train.fit(model, once, { optimizer: opt, loss, epochs: 2, verbose: false })).rejects.toThrow(/produced no batches/);
  });

  it('steps the scheduler once per epoch and logs the lr each epoch trained with', async () => {
    const { model, opt, loss } = setup(0.4);
    const scheduler = new optim.StepLR(opt, { stepSize: 1, gamma: 0.5 });
    const h = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 3, scheduler, verbose: false });
    expect(h.epochs.map((e) => e.lr)).toEqual([0.4, 0.2, 0.1]);
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.05, 12);
  });

  it('gives ReduceLROnPlateau the validation loss, or the training loss without validation', async () => {
    class Recording extends optim.ReduceLROnPlateau {
      metrics: number[] = [];
      override step(metric?: number | { item(): number }): void {
        this.metrics.push(metric as number);
        super.step(metric);
      }
    }
    for (const validation of [valData, undefined]) {
      const { model, opt, loss } = setup();
      const scheduler = new Recording(opt);
      const h = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 3, scheduler, validation, verbose: false });
      expect(scheduler.metrics).toEqual(validation ? h.valLoss : h.loss);
    }
  });

  it('calls the callbacks in order, with their arguments, awaiting promises', async () => {
    const { model, opt, loss } = setup();
    const events: string[] = [];
    let ctxSeen: TrainContext | undefined;
    const epochLogs: EpochLogs[] = [];
    let slowDone = false;
    const cb: Callback = {
      onTrainBegin: (ctx) => {
        ctxSeen = ctx;
        events.push('trainBegin');
      },
      onEpochBegin: (epoch, ctx) => {
        expect(ctx).toBe(ctxSeen);
        if (epoch === 2) expect(slowDone).toBe(true);
        events.push(`epochBegin ${epoch}`);
      },
      onBatchEnd: (batch, logs) => {
        expect(logs.size).toBe(16);
        expect(Number.isFinite(logs.loss)).toBe(true);
        events.push(`batch ${batch}`);
      },
      onEpochEnd: async (epoch, logs, ctx) => {
        epochLogs.push(logs);
        expect(ctx.history.epochs.at(-1)).toBe(logs); // recorded before the callbacks run
        events.push(`epochEnd ${epoch}`);
        await new Promise((r) => setTimeout(r, 10));
        slowDone = true;
      },
      onTrainEnd: (history) => {
        expect(history.epochs).toEqual(epochLogs);
        events.push('trainEnd');
      },
    };
    const second: Callback = { onTrainBegin: () => void events.push('second trainBegin') };
    const h = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 2, callbacks: [cb, second], verbose: false });
    const batches = ['batch 0', 'batch 1', 'batch 2', 'batch 3'];
    expect(events).toEqual(['trainBegin', 'second trainBegin', 'epochBegin 1', ...batches, 'epochEnd 1', 'epochBegin 2', ...batches, 'epochEnd 2', 'trainEnd']);
    expect(ctxSeen!.model).toBe(model);
    expect(ctxSeen!.optimizer).toBe(opt);
    expect(ctxSeen!.epochs).toBe(2);
    expect(ctxSeen!.history).toBe(h);
  });

  it('stops after the epoch in which a callback called stopTraining()', async () => {
    const { model, opt, loss } = setup();
    const h = await train.fit(model, trainData, {
      optimizer: opt,
      loss,
      epochs: 10,
      verbose: false,
      callbacks: [{ onBatchEnd: (b, _l, ctx) => (b === 1 ? ctx.stopTraining() : undefined) }],
    });
    expect(h.epochs).toHaveLength(1);
    expect(h.stopped).toBe('early-stopping');
  });

  it('aborts after the current batch, resolves with the history, and leaves the model usable', async () => {
    const { model, opt, loss } = setup();
    model.eval(); // fit trains in train mode, then restores this
    const ac = new AbortController();
    let batches = 0;
    let epochEnds = 0;
    const h = await train.fit(model, trainData, {
      optimizer: opt,
      loss,
      epochs: 5,
      signal: ac.signal,
      verbose: false,
      callbacks: [
        {
          onBatchEnd: (batch, _logs, ctx) => {
            batches++;
            expect(ctx.model.training).toBe(true);
            if (ctx.history.epochs.length === 1 && batch === 2) ac.abort();
          },
          onEpochEnd: () => void epochEnds++,
        },
      ],
    });
    expect(h.stopped).toBe('aborted');
    expect(batches).toBe(4 + 3);
    expect(epochEnds).toBe(1);
    expect(h.epochs).toHaveLength(1);
    expect(model.training).toBe(false);
    const out = train.predict(model, trainData[0]![0]);
    expect(out.shape).toEqual([16, 2]);
    const again = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 2, verbose: false });
    expect(again.stopped).toBe('completed');
    expect(again.epochs).toHaveLength(2);
  });

  it('trains nothing with an already-aborted signal', async () => {
    const { model, opt, loss } = setup();
    const before = snapshot(model);
    let batches = 0;
    const h = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 3, signal: AbortSignal.abort(), verbose: false, callbacks: [{ onBatchEnd: () => void batches++ }] });
    expect(h).toMatchObject({ stopped: 'aborted', epochs: [], loss: [] });
    expect(batches).toBe(0);
    expect(snapshot(model)).toEqual(before);
  });

  it('keeps the event loop running: timers tick, and a timer can abort training', async () => {
    const { model, opt, loss } = setup(0.01);
    const many = points(512, 4, 7); // 128 small batches an epoch
    let ticks = 0;
    const interval = setInterval(() => ticks++, 1);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 40);
    try {
      const h = await train.fit(model, many, { optimizer: opt, loss, epochs: 1000, signal: ac.signal, verbose: false });
      expect(h.stopped).toBe('aborted');
      expect(h.epochs.length).toBeLessThan(1000);
    } finally {
      clearInterval(interval);
      clearTimeout(timer);
    }
    expect(ticks).toBeGreaterThan(3);
  });

  it('validates its arguments and options', async () => {
    const { model, opt, loss } = setup();
    const bad = async (options: unknown, pattern: RegExp, loader: unknown = trainData, m: unknown = model) => {
      const p = train.fit(m as nn.Linear, loader as Batch[], options as train.FitOptions);
      await expect(p).rejects.toThrow(ArgumentError);
      await expect(p).rejects.toThrow(pattern);
    };
    await bad({ optimizer: opt, loss, epoch: 3 }, /unknown option "epoch"/);
    await bad({ optimizer: opt, loss, epochs: 0 }, /options\.epochs must be an integer >= 1, got the number 0/);
    await bad({ optimizer: opt, loss, epochs: 1.5 }, /options\.epochs/);
    await bad({ optimizer: {}, loss }, /options\.optimizer must be an Optimizer/);
    await bad({ optimizer: opt, loss: 'mse' }, /options\.loss must be a loss Module/);
    await bad({ optimizer: opt, loss, signal: {} }, /options\.signal must be an AbortSignal/);
    await bad({ optimizer: opt, loss, callbacks: {} }, /options\.callbacks must be an array/);
    await bad({ optimizer: opt, loss, callbacks: [{ onEpochEnd: 3 }] }, /options\.callbacks\[0\]\.onEpochEnd must be a function/);
    await bad({ optimizer: opt, loss, metrics: ['f1'] }, /options\.metrics\[0\]/);
    await bad({ optimizer: opt, loss, metrics: ['accuracy', new train.Accuracy()] }, /distinct names/);
    await bad({ optimizer: opt, loss, verbose: 'yes' }, /options\.verbose must be true, false or 'auto'/);
    await bad({ optimizer: opt, loss, output: 3 }, /options\.output must be a writable stream/);
    await bad({ optimizer: opt, loss, scheduler: {} }, /options\.scheduler must be an LRScheduler/);
    const other = new optim.SGD(new nn.Linear(2, 2).parameters(), { lr: 0.1 });
    await bad({ optimizer: opt, loss, scheduler: new optim.StepLR(other, { stepSize: 1 }) }, /a scheduler of options\.optimizer/);
    await bad({ optimizer: opt, loss, validation: 5 }, /options\.validation must be an iterable/);
    await bad(undefined, /options must be an object with at least optimizer and loss/);
    await bad({ optimizer: opt, loss }, /trainLoader must be an iterable/, 42);
    await bad({ optimizer: opt, loss }, /model must be a Module/, trainData, {});
    await bad({ optimizer: opt, loss }, /trainLoader batch 0 must be an \[input, target\] pair/, [[trainData[0]![0]]]);
    await bad({ optimizer: opt, loss: (o: Tensor) => o }, /options\.loss must return a one-element Tensor/);
  });
});

describe('progress output', () => {
  function fakeStream(isTTY: boolean): { chunks: string[]; isTTY: boolean; columns: number; write(s: string): boolean } {
    return { chunks: [], isTTY, columns: 300, write(s: string) { this.chunks.push(s); return true; } };
  }

  it('redraws a live line with \\r on a TTY, then writes a summary per epoch', async () => {
    const { model, opt, loss } = setup();
    const out = fakeStream(true);
    await train.fit(model, trainData, { optimizer: opt, loss, epochs: 2, validation: valData, output: out });
    const text = out.chunks.join('');
    expect(text).toContain('\r');
    expect(text).toMatch(/Epoch 1\/2 \[=*>? *\] 1\/4 {2}loss \d+\.\d{4} {2}acc \d+\.\d%  [\d,]+ samples\/s {2}ETA \d+:\d\d/);
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    const summaries = lines.map((l) => l.slice(l.lastIndexOf('\r') + 1).trimEnd());
    expect(summaries[0]).toMatch(/^Epoch 1\/2 {2}loss \d+\.\d{4} {2}acc \d+\.\d% {2}val_loss \d+\.\d{4} {2}val_acc \d+\.\d% {2}[\d,]+ samples\/s {2}\d+\.\ds$/);
    expect(summaries[1]).toMatch(/^Epoch 2\/2 /);
    expect(text).not.toContain('\x1b');
  });

  it('writes one plain line per epoch elsewhere, and nothing when verbose is false', async () => {
    const { model, opt, loss } = setup();
    const out = fakeStream(false);
    await train.fit(model, trainData, { optimizer: opt, loss, epochs: 3, output: out, verbose: 'auto' });
    const text = out.chunks.join('');
    expect(text).not.toMatch(/[\r\x1b]/);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, 10))).toEqual(['Epoch 1/3 ', 'Epoch 2/3 ', 'Epoch 3/3 ']);
    expect(lines[0]).toMatch(/loss \d+\.\d{4} {2}acc \d+\.\d%/);
    const quiet = fakeStream(true);
    await train.fit(model, trainData, { optimizer: opt, loss, output: quiet, verbose: false });
    expect(quiet.chunks).toEqual([]);
  });

  it('counts batches without a bar or ETA when the loader has no length', async () => {
    const { model, opt, loss } = setup();
    const out = fakeStream(true);
    const noLength = { async *[Symbol.asyncIterator]() { yield* trainData; } };
    await train.fit(model, noLength, { optimizer: opt, loss, output: out });
    const text = out.chunks.join('');
    expect(text).toMatch(/\rEpoch 1\/1 batch 1 {2}loss /);
    expect(text).not.toMatch(/\[|ETA/);
  });

  it('says when an epoch was aborted', async () => {
    const { model, opt, loss } = setup();
    const out = fakeStream(false);
    const ac = new AbortController();
    await train.fit(model, trainData, { optimizer: opt, loss, output: out, signal: ac.signal, callbacks: [{ onBatchEnd: (b) => (b === 1 ? ac.abort() : undefined) }] });
    expect(out.chunks.join('')).toBe('Epoch 1/1  aborted after 2/4 batches\n');
  });
});

describe('metrics', () => {
  const scores = tensor([
    [0.1, 0.9],
    [0.8, 0.2],
    [0.5, 0.5], // a tie: argmax takes the lower class
    [0.3, 0.7],
  ]);

  it('accuracy of class scores against int32 targets', () => {
    expect(train.accuracy(scores, labels([1, 0, 1, 0]))).toBe(0.5);
    expect(train.accuracy(scores, labels([1, 0, 0, 1]))).toBe(1);
  });

  it('binary accuracy thresholds output and target at 0.5', () => {
    const probs = tensor([0.2, 0.7, 0.5, 0.9]); // 0.5 is not > 0.5: predicts 0
    expect(train.accuracy(probs, tensor([0, 1, 1, 1]))).toBe(0.75);
    expect(train.accuracy(probs.reshape(4, 1), tensor([0, 1, 1, 1]))).toBe(0.75);
    expect(train.accuracy(probs, labels([0, 1, 0, 1]))).toBe(1);
  });

  it('top-k accuracy ranks ties by class index, like argmax', () => {
    const out = tensor([
      [0.1, 0.5, 0.4], // target 2: one class higher -> rank 1
      [0.3, 0.3, 0.3], // target 2: two tied classes before it -> rank 2
      [0.9, 0.05, 0.05], // target 1: one higher, the tie is after it -> rank 1
      [0.2, 0.2, 0.6], // target 0: one higher, the tie is after it -> rank 1
    ]);
    const target = labels([2, 2, 1, 0]);
    expect(train.topKAccuracy(out, target, 1)).toBe(0);
    expect(train.topKAccuracy(out, target, 2)).toBe(0.75);
    expect(train.topKAccuracy(out, target, 3)).toBe(1);
    expect(train.accuracy(out, target)).toBe(0);
    expect(train.topKAccuracy(scores, labels([1, 0, 1, 0]), 1)).toBe(train.accuracy(scores, labels([1, 0, 1, 0])));
  });

  it('refuses k out of range, labels out of range and mismatched shapes', () => {
    expect(() => train.topKAccuracy(scores, labels([0, 1, 0, 1]), 3)).toThrow(/k must be an integer from 1 to 2 \(the number of classes\), got the number 3/);
    expect(() => train.topKAccuracy(scores, labels([0, 1, 0, 1]), 0)).toThrow(ArgumentError);
    expect(() => train.topKAccuracy(tensor([0.5, 0.2]), tensor([1, 0]), 1)).toThrow(ShapeError);
    expect(() => train.accuracy(scores, labels([0, 1, 2, 1]))).toThrow(/class indices in \[0, 1\], got values from 0 to 2/);
    expect(() => train.accuracy(scores, labels([0, 1, 1]))).toThrow(ShapeError);
    expect(() => train.accuracy(scores, tensor([0, 1, 1, 0]))).toThrow(/int32 class indices/);
  });

  it('confusion matrix: rows are true classes, columns predictions', () => {
    const target = labels([0, 1, 2, 2, 1]);
    const expected = [
      [1, 0, 0],
      [0, 1, 1],
      [0, 1, 1],
    ];
    const cm = train.confusionMatrix(labels([0, 2, 2, 1, 1]), target, 3);
    expect(cm.dtype).toBe('int32');
    expect(cm.toArray()).toEqual(expected);
    const logits = tensor([
      [3, 1, 0],
      [0, 1, 2],
      [0, 0, 5],
      [1, 4, 1],
      [2, 2, 1], // tie between 0 and 1: predicted 0
    ]);
    expect(train.confusionMatrix(logits, target, 3).toArray()).toEqual([
      [1, 0, 0],
      [1, 0, 1],
      [0, 1, 1],
    ]);
    expect(() => train.confusionMatrix(logits, target, 4)).toThrow(ShapeError);
    expect(() => train.confusionMatrix(labels([0, 1, 5, 0, 0]), target, 3)).toThrow(/class indices in \[0, 2\]/);
  });

  it('metric objects accumulate counts, not batch averages', () => {
    const acc = new train.Accuracy();
    expect(acc.compute()).toBeNaN();
    acc.update(tensor([[0, 1], [1, 0]]), labels([1, 0])); // 2 of 2
    acc.update(tensor([[0, 1], [1, 0], [1, 0]]), labels([0, 1, 0])); // 1 of 3
    expect(acc.compute()).toBeCloseTo(3 / 5, 12);
    acc.reset();
    expect(acc.compute()).toBeNaN();
    const top = new train.TopKAccuracy(1);
    expect(top.name).toBe('top1Accuracy');
    expect(new train.TopKAccuracy().name).toBe('top5Accuracy');
    expect(() => new train.TopKAccuracy(0)).toThrow(ArgumentError);
  });
});

describe('evaluate and predict', () => {
  class Probe extends nn.Module {
    lin = new nn.Linear(2, 2);
    drop = new nn.Dropout(0.5);
    seen: { training: boolean; grad: boolean }[] = [];
    forward(x: Tensor): Tensor {
      this.seen.push({ training: this.training, grad: isGradEnabled() });
      return this.drop.call(this.lin.call(x));
    }
  }

  it('evaluates in eval mode without the graph, then restores every module mode', async () => {
    manualSeed(1);
    const probe = new Probe();
    probe.drop.training = false; // a deliberately frozen submodule stays so
    const r = await train.evaluate(probe, valData, { loss: new nn.CrossEntropyLoss(), metrics: ['accuracy'] });
    expect(probe.seen).toEqual([{ training: false, grad: false }, { training: false, grad: false }]);
    expect(probe.training).toBe(true);
    expect(probe.lin.training).toBe(true);
    expect(probe.drop.training).toBe(false);
    expect(r.samples).toBe(32);
    expect(Object.keys(r)).toEqual(['loss', 'metrics', 'samples']);
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0);
    const noLoss = await train.evaluate(probe, valData);
    expect(noLoss.loss).toBeUndefined();
    expect(Object.keys(noLoss.metrics)).toEqual(['accuracy']);
    await expect(train.evaluate(probe, valData, { lossFn: 1 } as never)).rejects.toThrow(/unknown option "lossFn"/);
  });

  it('predicts on a tensor (whole or in slices) and on loaders', () => {
    manualSeed(2);
    const probe = new Probe();
    const x = tensor(Array.from({ length: 8 }, (_, i) => [i / 8, 1 - i / 4]));
    const whole = train.predict(probe, x);
    expect(whole.requiresGrad).toBe(false);
    expect(probe.training).toBe(true);
    expect(values(train.predict(probe, x, { batchSize: 3 }))).toEqual(values(whole));
    const loader: Batch[] = [[x.slice(0, 5), labels([0, 0, 0, 0, 0])], [x.slice(5), labels([1, 1, 1])]];
    expect(values(train.predict(probe, loader))).toEqual(values(whole));
    expect(values(train.predict(probe, [x.slice(0, 2), x.slice(2)]))).toEqual(values(whole));
    expect(probe.seen.every((s) => !s.training && !s.grad)).toBe(true);
    const asyncLoader = { async *[Symbol.asyncIterator]() { yield [x, x] as Batch; } };
    expect(() => train.predict(probe, asyncLoader)).toThrow(/synchronous/);
    expect(() => train.predict(probe, x, { batchSize: 0 })).toThrow(ArgumentError);
  });
});

describe('callbacks', () => {
  const logsOf = (epoch: number, valLoss: number, acc = 0.5): EpochLogs => ({
    epoch, loss: valLoss + 1, metrics: { accuracy: acc }, valLoss, valMetrics: { accuracy: acc }, lr: 0.1, seconds: 1, samplesPerSecond: 1,
  });
  // Feeds a sequence of monitored values through the hooks, as fit would; returns the epoch it stopped at.
  function drive(cb: train.EarlyStopping, valLosses: number[]): number | undefined {
    let stop = false;
    const ctx = { stopTraining: () => (stop = true), hasValidation: true } as unknown as TrainContext;
    cb.onTrainBegin(ctx);
    for (let i = 0; i < valLosses.length; i++) {
      cb.onEpochEnd(i + 1, logsOf(i + 1, valLosses[i]!), ctx);
      if (stop) return i + 1;
    }
    return undefined;
  }

  it('EarlyStopping waits `patience` epochs without improvement', () => {
    const es = new train.EarlyStopping({ patience: 3 });
    expect(es.monitor).toBe('valLoss');
    expect(es.mode).toBe('min');
    expect(drive(es, [1, 0.9, 0.95, 0.96, 0.97, 0.5])).toBe(5);
    expect(es.bestEpoch).toBe(2);
    expect(es.best).toBe(0.9);
    expect(drive(new train.EarlyStopping({ patience: 0 }), [1, 0.9, 0.95])).toBe(3);
    expect(drive(new train.EarlyStopping({ patience: 2 }), [1, 0.9, 0.8, 0.7])).toBeUndefined();
  });

  it('EarlyStopping ignores changes below minDelta', () => {
    expect(drive(new train.EarlyStopping({ patience: 2, minDelta: 0.1 }), [1, 0.95, 0.93, 0.5])).toBe(3);
    expect(drive(new train.EarlyStopping({ patience: 2 }), [1, 0.95, 0.93, 0.5])).toBeUndefined();
  });

  it("EarlyStopping 'auto' mode maximises accuracies", () => {
    expect(new train.EarlyStopping({ monitor: 'valAccuracy' }).mode).toBe('max');
    expect(new train.EarlyStopping({ monitor: 'loss', mode: 'max' }).mode).toBe('max');
    expect(() => new train.EarlyStopping({ patience: -1 })).toThrow(/options\.patience/);
    expect(() => new train.EarlyStopping({ mode: 'up' as never })).toThrow(/options\.mode/);
    expect(() => new train.EarlyStopping({ monitorr: 'loss' } as never)).toThrow(/unknown option "monitorr"/);
  });

  it('EarlyStopping in fit stops, and restoreBestWeights really restores the best weights', async () => {
    const { model, opt, loss } = setup(0.2);
    const weights: Record<string, number[]>[] = [];
    const recorder: Callback = { onEpochEnd: (_e, _l, ctx) => void weights.push(snapshot(ctx.model)) };
    // The training loss falls every epoch, so in 'max' mode epoch 1 stays the best.
    const es = new train.EarlyStopping({ monitor: 'loss', mode: 'max', patience: 2, restoreBestWeights: true });
    const h = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 10, callbacks: [recorder, es], verbose: false });
    expect(h.stopped).toBe('early-stopping');
    expect(h.epochs).toHaveLength(3);
    expect(es.bestEpoch).toBe(1);
    expect(es.stoppedEpoch).toBe(3);
    expect(weights[2]).not.toEqual(weights[0]);
    expect(snapshot(model)).toEqual(weights[0]);
  });

  it('EarlyStopping names what the logs have when its monitor is missing', async () => {
    const { model, opt, loss } = setup();
    const p = train.fit(model, trainData, { optimizer: opt, loss, epochs: 2, callbacks: [new train.EarlyStopping()], verbose: false });
    // Before the first epoch: the validation value it watches can never appear.
    await expect(p).rejects.toThrow(/EarlyStopping: monitor "valLoss" needs options.validation in fit/);
    const q = train.fit(model, trainData, { optimizer: opt, loss, epochs: 1, callbacks: [new train.EarlyStopping({ monitor: 'f1' })], verbose: false });
    await expect(q).rejects.toThrow(/monitor "f1" is not in the epoch logs, which have loss, accuracy/);
  });

  it('ModelCheckpoint saves the best epochs through the save function', async () => {
    const saved: { keys: string[]; path: string }[] = [];
    const save = async (state: Record<string, Tensor>, path: string): Promise<void> => {
      await new Promise((r) => setTimeout(r, 1));
      saved.push({ keys: Object.keys(state), path });
    };
    manualSeed(1);
    const model = new nn.Linear(2, 2);
    const ctx = { model, hasValidation: true } as unknown as TrainContext;
    const best = new train.ModelCheckpoint({ path: (epoch, logs) => `ckpt-${epoch}-${logs.valLoss}.tg`, save });
    best.onTrainBegin(ctx);
    for (const [i, v] of [1, 0.5, 0.7, 0.4].entries()) await best.onEpochEnd(i + 1, logsOf(i + 1, v), ctx);
    expect(saved.map((s) => s.path)).toEqual(['ckpt-1-1.tg', 'ckpt-2-0.5.tg', 'ckpt-4-0.4.tg']);
    expect(saved[0]!.keys).toEqual(['weight', 'bias']);
    expect(best.lastSavedPath).toBe('ckpt-4-0.4.tg');
    expect(best.best).toBe(0.4);

    saved.length = 0;
    const every = new train.ModelCheckpoint({ path: 'last.tg', saveBestOnly: false, save });
    const loss = new nn.CrossEntropyLoss();
    await train.fit(model, trainData, { optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), loss, epochs: 3, callbacks: [every], verbose: false });
    expect(saved.map((s) => s.path)).toEqual(['last.tg', 'last.tg', 'last.tg']); // each save awaited before the next epoch
    expect(() => new train.ModelCheckpoint({ path: '' })).toThrow(/options\.path/);
    expect(() => new train.ModelCheckpoint({ path: 'x', save: 'no' } as never)).toThrow(/options\.save/);
  });
});

describe('learning curves', () => {
  let history: History;
  let dir: string;
  beforeAll(async () => {
    const { model, opt, loss } = setup();
    history = await train.fit(model, trainData, { optimizer: opt, loss, epochs: 5, validation: valData, verbose: false });
    dir = await mkdtemp(join(tmpdir(), 'tg-train-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Checks that every element opened is closed in order; returns the element names seen. */
  function parseSvg(svg: string): string[] {
    const stack: string[] = [];
    const names: string[] = [];
    for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
      const [, close, name, , selfClose] = m;
      names.push(name!);
      if (close) expect(stack.pop()).toBe(name);
      else if (!selfClose) stack.push(name!);
    }
    expect(stack).toEqual([]);
    return names;
  }

  it('draws loss and accuracy panels, training and validation, with axes and a legend', () => {
    const svg = train.historyToSvg(history, { title: 'A < B & "C"' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    parseSvg(svg);
    expect(svg).toContain('A &lt; B &amp; &quot;C&quot;');
    expect(svg.match(/class="panel"/g)).toHaveLength(2);
    expect(svg.match(/data-series="training"/g)).toHaveLength(2);
    expect(svg.match(/data-series="validation"/g)).toHaveLength(2);
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>loss</text>');
    expect(svg).toContain('>accuracy</text>');
    expect(svg).toMatch(/>\d+(\.\d+)?%<\/text>/); // accuracy ticks as percentages
    const points = [...svg.matchAll(/points="([^"]*)"/g)].map((m) => m[1]!.split(' ').length);
    expect(points).toEqual([5, 5, 5, 5]);
    expect(svg).not.toContain('NaN');
  });

  it('has one panel without accuracy, and copes with one epoch and non-finite losses', () => {
    const one: History = { epochs: [{ epoch: 1, loss: 0.5, metrics: {}, lr: 0.1, seconds: 1, samplesPerSecond: 10 }], stopped: 'completed', loss: [0.5], metrics: {} };
    const svg = train.historyToSvg(one);
    parseSvg(svg);
    expect(svg.match(/class="panel"/g)).toHaveLength(1);
    const broken = { ...one, epochs: [1, 2, 3].map((epoch) => ({ ...one.epochs[0]!, epoch, loss: epoch === 2 ? NaN : 1 / epoch })) };
    const svg2 = train.historyToSvg(broken, { width: 400, height: 200 });
    parseSvg(svg2);
    expect(svg2).toContain('width="400" height="200"');
    expect(svg2).not.toContain('NaN');
    expect(svg2.match(/<polyline/g)).toHaveLength(2); // the line breaks at the NaN
    expect(() => train.historyToSvg({} as History)).toThrow(/history must be a History/);
    expect(() => train.historyToSvg(one, { width: 10 })).toThrow(/options\.width/);
  });

  it('writeHistorySvg writes the file atomically (temp file + rename) and reports failures as IOError', async () => {
    const path = join(dir, 'curves.svg');
    await writeFile(path, 'old contents');
    await train.writeHistorySvg(history, path, { title: 'run' });
    expect(await readFile(path, 'utf8')).toBe(train.historyToSvg(history, { title: 'run' }));
    expect(await readdir(dir)).toEqual(['curves.svg']); // no temporary file left behind
    const missing = join(dir, 'no-such-dir', 'curves.svg');
    await expect(train.writeHistorySvg(history, missing)).rejects.toThrow(IOError);
    expect(await readdir(dir)).toEqual(['curves.svg']);
  });
});

describe('search', () => {
  it('grid: tries every combination and sorts best first', async () => {
    const calls: unknown[] = [];
    const r = await train.search({ a: [1, 2], b: ['x', 'y', 'z'] }, async (p) => {
      calls.push(p);
      return { score: p.a * 10 + ['x', 'y', 'z'].indexOf(p.b), note: `${p.a}${p.b}` };
    });
    expect(calls).toEqual([
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' },
      { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
    expect(r.results.map((x) => x.score)).toEqual([22, 21, 20, 12, 11, 10]);
    expect(r.best).toEqual({ params: { a: 2, b: 'z' }, score: 22, note: '2z' });
    const min = await train.search({ a: [1, 2], b: ['x', 'y', 'z'] }, (p) => ({ score: p.a * 10 + ['x', 'y', 'z'].indexOf(p.b) }), { mode: 'min' });
    expect(min.best.params).toEqual({ a: 1, b: 'x' });
  });

  it('ranks NaN scores last', async () => {
    const r = await train.search({ lr: [1, 2, 3] }, ({ lr }) => ({ score: lr === 2 ? NaN : lr }));
    expect(r.results.map((x) => x.params.lr)).toEqual([3, 1, 2]);
  });

  it('random: seeded, reproducible, the number of trials asked', async () => {
    const space = { lr: (random: () => number) => 10 ** (-4 + 3 * random()), hidden: [16, 32, 64] };
    const run = async (seed: number) => {
      let calls = 0;
      const r = await train.search(space, ({ lr, hidden }) => ({ score: -Math.abs(Math.log10(lr) + 2) + hidden / 1000, calls: ++calls }), { strategy: 'random', trials: 7, seed });
      return { r, calls };
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(a.calls).toBe(7);
    expect(a.r.results).toHaveLength(7);
    expect(a.r.results).toEqual(b.r.results);
    expect(a.r.results.map((x) => x.params)).not.toEqual(c.r.results.map((x) => x.params));
    for (const x of a.r.results) {
      expect(x.params.lr).toBeGreaterThanOrEqual(1e-4);
      expect(x.params.lr).toBeLessThan(0.1);
      expect([16, 32, 64]).toContain(x.params.hidden);
    }
    const scores = a.r.results.map((x) => x.score);
    expect(scores).toEqual([...scores].sort((p, q) => q - p));
  });

  it('validates the space, the trial results and the options', async () => {
    await expect(train.search({ a: [] }, () => ({ score: 1 }))).rejects.toThrow(/space\.a must be a non-empty array/);
    await expect(train.search({ a: () => 1 }, () => ({ score: 1 }), { strategy: 'grid' })).rejects.toThrow(/space\.a is a function/);
    await expect(train.search({ a: [1] }, () => ({ score: 1 }), { trials: 3 })).rejects.toThrow(/options\.trials only applies to strategy 'random'/);
    await expect(train.search({ a: [1] }, () => ({ accuracy: 1 }) as never)).rejects.toThrow(/trial 0 \(\{"a":1\}\) must resolve to \{ score: number/);
    await expect(train.search({ a: [1] }, () => ({ score: 1 }), { strategy: 'random', trials: 0 })).rejects.toThrow(/options\.trials/);
    await expect(train.search({ a: [1] }, () => ({ score: 1 }), { mode: 'best' as never })).rejects.toThrow(/options\.mode/);
  });
});
