/**
 * fit(): the training loop most programs write by hand, with validation, metrics, callbacks,
 * a scheduler, progress output and cancellation.
 *
 * It is async and yields to the event loop after every batch, so timers, I/O and an
 * AbortSignal keep working while a model trains on the main thread. Each batch is the classic
 *   optimizer.zeroGrad(); out = model.call(x); l = loss(out, y); l.backward(); optimizer.step();
 * and the metrics are read from that same `out`, under noGrad (no second forward pass).
 */
import { noGrad } from '../autograd.js';
import { lastTicket, planDeferred } from '../deferred.js';
import type { Module } from '../nn/module.js';
import { LRScheduler } from '../optim/lr_scheduler.js';
import { Optimizer } from '../optim/optimizer.js';
import { ReduceLROnPlateau } from '../optim/plateau.js';
import type { Tensor } from '../tensor.js';
import { checkInt, checkOptions, fail } from '../validate.js';
import { isDistributedModel, isRankZero, meanAcrossRanks } from './distributed.js';
import { runEvaluation } from './evaluate.js';
import { batchesOf, checkLoader, checkModel, forward, lengthOf, lossTotal, type LossFn, type LossSpec, pipelinedPass, saveModes, toLossFn } from './loader.js';
import { maybeSharedStep } from '../nn/shared.js';
import { defaultMetrics, isPlanned, type Metric, type MetricSpec, planMetricUpdate, resolveMetrics } from './metrics.js';
import { Progress, type ProgressStream } from './progress.js';
import { type Callback, type EpochLogs, type History, type Loader, type TrainContext, valName } from './types.js';

export interface FitOptions {
  optimizer: Optimizer<{ lr: number }>;
  /** A loss module (nn.CrossEntropyLoss) or a function (output, target) => one-element Tensor. */
  loss: LossSpec;
  /** Default 1. */
  epochs?: number;
  /** Evaluated after every epoch (loss and metrics, prefixed 'val' in the logs). */
  validation?: Loader;
  /** Default: ['accuracy'] when the targets are int32 class indices for (N, C) outputs, else none. 'topK' is top-5 accuracy. */
  metrics?: MetricSpec[];
  callbacks?: Callback[];
  /**
   * Aborting stops training after the batches in flight (the current one, and the next when no
   * onBatchEnd callback or user Metric keeps fit to one); fit then resolves with history.stopped = 'aborted'.
   */
  signal?: AbortSignal;
  /**
   * Stepped once after every epoch; ReduceLROnPlateau is given the validation loss (the training
   * loss without validation). Step a per-batch schedule (OneCycleLR) from onBatchEnd instead.
   */
  scheduler?: LRScheduler;
  /**
   * 'auto' (default) or true: a live progress line on a TTY, one plain line per epoch elsewhere; false: silent.
   * With a DistributedDataParallel model only rank 0 prints.
   */
  verbose?: boolean | 'auto';
  /** Where progress goes (default process.stdout). */
  output?: NodeJS.WritableStream | ProgressStream;
}

const OPTIONS = ['optimizer', 'loss', 'epochs', 'validation', 'metrics', 'callbacks', 'signal', 'scheduler', 'verbose', 'output'] as const;
const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;
type Hook = (typeof HOOKS)[number];

interface Run {
  model: Module<[Tensor], Tensor>;
  optimizer: Optimizer<{ lr: number }>;
  lossFn: LossFn;
  trainLoader: Loader;
  validation: Loader | undefined;
  /** undefined until the first batch shows which default applies. */
  metrics: Metric[] | undefined;
  callbacks: Callback[];
  signal: AbortSignal | undefined;
  progress: Progress | null;
  ctx: TrainContext;
  /** The model is a DistributedDataParallel: epoch logs are combined across ranks. */
  distributed: boolean;
}

/**
 * Trains model on trainLoader for options.epochs epochs and resolves with the history.
 *
 * Modes: every epoch trains in train mode and validates in eval mode; when fit returns (or
 * throws, or is aborted) each module is back in the mode it had before fit was called. An
 * abort leaves the model consistent (the last optimizer step is complete): it can predict,
 * be saved, or be trained again.
 */
export async function fit(model: Module<[Tensor], Tensor>, trainLoader: Loader, options: FitOptions): Promise<History> {
  const fn = 'fit';
  checkModel(fn, model);
  checkLoader(fn, 'trainLoader', trainLoader);
  if (options === undefined) fail(fn, 'options', 'an object with at least optimizer and loss', options);
  const o = checkOptions<FitOptions>(fn, options, OPTIONS);
  if (!(o.optimizer instanceof Optimizer)) fail(fn, 'options.optimizer', 'an Optimizer (optim.SGD, optim.Adam, ...)', o.optimizer);
  const optimizer = o.optimizer;
  const lossFn = toLossFn(fn, o.loss);
  const epochs = checkInt(fn, 'options.epochs', o.epochs ?? 1, 1);
  const validation = o.validation === undefined ? undefined : checkLoader(fn, 'options.validation', o.validation);
  const metrics = o.metrics === undefined ? undefined : resolveMetrics(fn, o.metrics);
  const callbacks = checkCallbacks(fn, o.callbacks ?? []);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) fail(fn, 'options.signal', 'an AbortSignal', o.signal);
  const scheduler = o.scheduler;
  if (scheduler !== undefined) {
    if (!(scheduler instanceof LRScheduler)) fail(fn, 'options.scheduler', 'an LRScheduler (optim.StepLR, optim.ReduceLROnPlateau, ...)', scheduler);
    if (scheduler.optimizer !== optimizer) fail(fn, 'options.scheduler', 'a scheduler of options.optimizer', scheduler);
  }
  const verbose = o.verbose ?? 'auto';
  if (verbose !== true && verbose !== false && verbose !== 'auto') fail(fn, 'options.verbose', "true, false or 'auto'", verbose);
  const output = (o.output ?? process.stdout) as ProgressStream;
  if (output === null || typeof output !== 'object' || typeof output.write !== 'function') fail(fn, 'options.output', 'a writable stream', output);

  const history: History = { epochs: [], stopped: 'completed', loss: [], ...(validation ? { valLoss: [] } : {}), metrics: {} };
  let stopRequested = false;
  const ctx: TrainContext = {
    model,
    optimizer,
    epochs,
    history,
    hasValidation: validation !== undefined,
    stopTraining: () => {
      stopRequested = true;
    },
  };
  const distributed = isDistributedModel(model);
  const progress = distributed && !isRankZero() ? null : Progress.create(verbose, output, epochs);
  const run: Run = { model, optimizer, lossFn, trainLoader, validation, metrics, callbacks, signal: o.signal, progress, ctx, distributed };

  const restoreModes = saveModes(model);
  try {
    await emit(run, 'onTrainBegin', ctx);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (run.signal?.aborted) {
        history.stopped = 'aborted';
        break;
      }
      if (stopRequested) {
        history.stopped = 'early-stopping';
        break;
      }
      const logs = await runEpoch(run, epoch);
      if (logs === null) {
        history.stopped = 'aborted';
        break;
      }
      if (scheduler instanceof ReduceLROnPlateau) scheduler.step(logs.valLoss ?? logs.loss);
      else scheduler?.step();
      record(history, logs);
      run.progress?.epochEnd(logs);
      await emit(run, 'onEpochEnd', epoch, logs, ctx);
    }
    await emit(run, 'onTrainEnd', history, ctx);
    return history;
  } finally {
    restoreModes();
  }
}

/** A batch whose step is queued: what is read once its work has run. */
interface InFlight {
  out: Tensor;
  loss: Tensor;
  x: Tensor;
  y: Tensor;
  size: number;
  ticket: number;
  commits: (() => void)[];
}

/**
 * One epoch of training, then validation; null when the signal aborted it.
 *
 * Each batch's step (zeroGrad, forward, loss, backward, step, the metrics' counts) is planned
 * in deferred mode: its kernels run on the executor thread while JS goes on. Up to two batches
 * are in flight, so the next batch's gather and step are planned while the last one runs; with
 * an onBatchEnd callback or a user Metric only one, so those see the model after their batch.
 */
async function runEpoch(run: Run, epoch: number): Promise<EpochLogs | null> {
  const { model, optimizer, lossFn, progress, ctx } = run;
  // A DistributedSampler shuffles by epoch: every rank must draw the same epoch's order.
  const sampler = (run.trainLoader as { sampler?: { setEpoch?: (e: number) => void } }).sampler;
  if (typeof sampler?.setEpoch === 'function') sampler.setEpoch(epoch - 1);
  await emit(run, 'onEpochBegin', epoch, ctx);
  if (run.signal?.aborted) return null;
  const lr = optimizer.paramGroups[0]!.lr;
  const start = performance.now();
  progress?.epochBegin(epoch, lengthOf(run.trainLoader));
  model.train();
  run.metrics?.forEach((m) => m.reset());
  const perBatchHooks = run.callbacks.some((cb) => cb.onBatchEnd !== undefined);
  let lossSum = 0;
  let samples = 0;
  let batches = 0;
  const completed = await pipelinedPass(
    batchesOf('fit', 'trainLoader', run.trainLoader),
    // A model with shared weights takes their lock for the step (lib/nn/shared.ts).
    ({ x, y, size }) => planDeferred((): InFlight => ({ ...maybeSharedStep(model, () => {
      optimizer.zeroGrad();
      const out = forward('fit', model, x);
      const loss = lossFn(out, y);
      loss.backward();
      optimizer.step();
      run.metrics ??= defaultMetrics(out, y);
      const metrics = run.metrics;
      const commits = noGrad(() => metrics.map((m) => planMetricUpdate(m, out.detach(), y)));
      return { out, loss, x, y, size, commits };
    }), ticket: lastTicket() })),
    () => (perBatchHooks || run.metrics!.some((m) => !isPlanned(m)) ? 1 : 2),
    async (b) => {
      const batchLoss = b.loss.item();
      lossSum += lossTotal(run.lossFn, batchLoss, b.size);
      samples += b.size;
      for (const commit of b.commits) commit();
      // fit made these and nothing else holds them: freeing them now (rather than at the next
      // garbage collection) lets the allocator hand the same warm buffers to the next batch.
      if (b.out !== b.x && b.out !== b.y) b.out.dispose();
      if (b.loss !== b.out && b.loss !== b.x && b.loss !== b.y) b.loss.dispose();
      progress?.batch(batches + 1, samples, lossSum / samples, () => computeAll(run.metrics));
      await emit(run, 'onBatchEnd', batches, { loss: batchLoss, size: b.size }, ctx);
      batches += 1;
    },
    run.signal,
  );
  if (!completed) {
    progress?.aborted(batches);
    return null;
  }
  const trainSeconds = (performance.now() - start) / 1000;
  let train = { loss: lossSum / samples as number | undefined, metrics: computeAll(run.metrics), samples };
  if (run.distributed) train = await meanAcrossRanks(train.loss, train.metrics, samples);
  const logs: EpochLogs = { epoch, loss: train.loss!, metrics: train.metrics, lr, seconds: 0, samplesPerSecond: train.samples / trainSeconds };
  if (run.validation !== undefined) {
    const val = await runEvaluation('fit', 'options.validation', model, run.validation, lossFn, run.metrics, run.signal);
    if (val.aborted) {
      progress?.aborted(batches);
      return null;
    }
    const combined = run.distributed ? await meanAcrossRanks(val.loss, val.metrics, val.samples) : val;
    logs.valLoss = combined.loss!;
    logs.valMetrics = combined.metrics;
  }
  logs.seconds = (performance.now() - start) / 1000;
  return logs;
}

function computeAll(metrics: Metric[] | undefined): Record<string, number> {
  return Object.fromEntries((metrics ?? []).map((m) => [m.name, m.compute()]));
}

function record(history: History, logs: EpochLogs): void {
  history.epochs.push(logs);
  history.loss.push(logs.loss);
  if (logs.valLoss !== undefined) history.valLoss?.push(logs.valLoss);
  const add = (name: string, value: number): void => {
    (history.metrics[name] ??= []).push(value);
  };
  for (const [name, value] of Object.entries(logs.metrics)) add(name, value);
  for (const [name, value] of Object.entries(logs.valMetrics ?? {})) add(valName(name), value);
}

function checkCallbacks(fn: string, callbacks: unknown): Callback[] {
  if (!Array.isArray(callbacks)) fail(fn, 'options.callbacks', 'an array of callbacks', callbacks);
  callbacks.forEach((cb, i) => {
    if (cb === null || typeof cb !== 'object') fail(fn, `options.callbacks[${i}]`, `an object with some of ${HOOKS.join(', ')}`, cb);
    for (const hook of HOOKS) {
      const f = (cb as Record<string, unknown>)[hook];
      if (f !== undefined && typeof f !== 'function') fail(fn, `options.callbacks[${i}].${hook}`, 'a function', f);
    }
  });
  return callbacks as Callback[];
}

/** Calls one hook on every callback in order, awaiting each (called as a method, so `this` works). */
async function emit(run: Run, hook: Hook, ...args: unknown[]): Promise<void> {
  for (const cb of run.callbacks) {
    const f = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (f !== undefined) await f.apply(cb, args);
  }
}
