/**
 * evaluate() and predict(): a model in eval mode with graph recording off. Both put every
 * module back in the mode it was in, even when they throw.
 */
import { noGrad } from '../autograd.js';
import { lastTicket, planDeferred } from '../deferred.js';
import type { Module } from '../nn/module.js';
import { cat } from '../ops.js';
import { checkTensor, Tensor } from '../tensor.js';
import { checkInt, checkOptions, fail } from '../validate.js';
import { batchesOf, checkLoader, checkModel, forward, lossTotal, type LossFn, type LossSpec, ownedTensor, pipelinedPass, saveModes, toLossFn } from './loader.js';
import { defaultMetrics, isPlanned, type Metric, type MetricSpec, planMetricUpdate, resolveMetrics } from './metrics.js';
import type { Loader } from './types.js';

export interface EvaluateOptions {
  /** When given, the result has the mean loss over all samples. */
  loss?: LossSpec;
  /** Default: ['accuracy'] for int32 class-index targets, none otherwise. */
  metrics?: MetricSpec[];
}

export interface EvaluateResult {
  loss?: number;
  metrics: Record<string, number>;
  /** Samples seen. */
  samples: number;
}

/** @internal The pass evaluate() makes, also run by fit() for validation (which may abort it). */
export async function runEvaluation(
  fn: string,
  arg: string,
  model: Module<[Tensor], Tensor>,
  loader: Loader,
  lossFn: LossFn | undefined,
  metrics: Metric[] | undefined,
  signal?: AbortSignal,
): Promise<EvaluateResult & { aborted: boolean }> {
  const restore = saveModes(model);
  model.eval();
  try {
    let lossSum = 0;
    let samples = 0;
    let active = metrics;
    active?.forEach((m) => m.reset());
    // As in fit: each batch is planned in deferred mode and read once its work has run, with
    // the next batch planned meanwhile (one batch at a time with a user Metric).
    const completed = await pipelinedPass(
      batchesOf(fn, arg, loader),
      // noGrad takes a synchronous function only, so it wraps each batch, not the loop.
      ({ x, y, size }) => planDeferred(() => noGrad(() => {
        const out = forward(fn, model, x);
        active ??= defaultMetrics(out, y);
        const loss = lossFn !== undefined ? lossFn(out, y) : null;
        return { loss, size, commits: active.map((m) => planMetricUpdate(m, out, y)), ticket: lastTicket() };
      })),
      () => (active!.every(isPlanned) ? 2 : 1),
      (b) => {
        if (b.loss !== null) lossSum += lossTotal(lossFn!, b.loss.item(), b.size);
        for (const commit of b.commits) commit();
        samples += b.size;
      },
      signal,
    );
    if (!completed) return { metrics: {}, samples, aborted: true };
    const values = Object.fromEntries((active ?? []).map((m) => [m.name, m.compute()]));
    return { ...(lossFn !== undefined ? { loss: lossSum / samples } : {}), metrics: values, samples, aborted: false };
  } finally {
    restore();
  }
}

/**
 * The model's mean loss (with options.loss) and metrics over every batch of the loader, in eval
 * mode and without recording the graph. Each module's mode is restored afterwards.
 */
export async function evaluate(model: Module<[Tensor], Tensor>, loader: Loader, options?: EvaluateOptions): Promise<EvaluateResult> {
  const fn = 'evaluate';
  checkModel(fn, model);
  checkLoader(fn, 'loader', loader);
  const opts = checkOptions<EvaluateOptions>(fn, options, ['loss', 'metrics']);
  const lossFn = opts.loss === undefined ? undefined : toLossFn(fn, opts.loss);
  const metrics = opts.metrics === undefined ? undefined : resolveMetrics(fn, opts.metrics);
  const { aborted: _aborted, ...result } = await runEvaluation(fn, 'loader', model, loader, lossFn, metrics);
  return result;
}

export interface PredictOptions {
  /** Run a tensor input through the model this many rows at a time (default: all at once). */
  batchSize?: number;
}

/**
 * The model's outputs, in eval mode and without the graph: for a tensor, model(input) (in
 * slices of batchSize rows if given); for a synchronous loader, the outputs of every batch
 * joined along the first dimension (a batch is [input, target] or just the input). predict is
 * synchronous, so an async loader is refused: use evaluate(), or collect its inputs first. The
 * result comes back at once, planned in deferred mode: `await out.dataAsync()` reads it
 * without blocking, `out.data()` waits for it.
 */
export function predict(model: Module<[Tensor], Tensor>, input: Tensor | Loader | Iterable<Tensor>, options?: PredictOptions): Tensor {
  const fn = 'predict';
  checkModel(fn, model);
  const opts = checkOptions<PredictOptions>(fn, options, ['batchSize']);
  const batchSize = opts.batchSize === undefined ? undefined : checkInt(fn, 'options.batchSize', opts.batchSize, 1);
  let inputs: Iterable<Tensor>;
  if (input instanceof Tensor) {
    checkTensor(fn, 'input', input);
    // Its kernels run after predict returns: the caller may refill a borrowed input meanwhile.
    const own = planDeferred(() => ownedTensor(input));
    inputs = batchSize === undefined || own.ndim === 0 ? [own] : slices(own, batchSize);
  } else {
    if (batchSize !== undefined) fail(fn, 'options.batchSize', 'left out for a loader (its batches are used as they come)', batchSize);
    if (input === null || typeof input !== 'object' || !(Symbol.iterator in input)) {
      const async = input !== null && typeof input === 'object' && Symbol.asyncIterator in input;
      fail(fn, 'input', async ? 'a Tensor or a synchronous loader (predict is synchronous; use evaluate() for an async loader)' : 'a Tensor or a loader of batches', input);
    }
    inputs = inputsOf(fn, input as Iterable<unknown>);
  }
  const restore = saveModes(model);
  model.eval();
  try {
    // Planned in deferred mode: the result comes back at once and its values are computed on the
    // executor thread; out.data() waits for them, await out.dataAsync() without blocking.
    const outputs = planDeferred(() => noGrad(() => [...inputs].map((x) => forward(fn, model, x))));
    if (outputs.length === 0) fail(fn, 'input', 'a loader with at least one batch', input);
    return outputs.length === 1 ? outputs[0]! : planDeferred(() => cat(outputs, 0));
  } finally {
    restore();
  }
}

function* slices(t: Tensor, size: number): Generator<Tensor> {
  const n = t.shape[0]!;
  if (n === 0) yield t;
  for (let start = 0; start < n; start += size) yield t.slice(start, Math.min(start + size, n));
}

function* inputsOf(fn: string, loader: Iterable<unknown>): Generator<Tensor> {
  let index = 0;
  for (const batch of loader) {
    const x = batch instanceof Tensor ? batch : Array.isArray(batch) && batch[0] instanceof Tensor ? batch[0] : undefined;
    if (x === undefined) fail(fn, `input batch ${index}`, 'a Tensor or an [input, target] pair of Tensors', batch);
    index++;
    yield ownedTensor(x); // read by kernels queued after the loader refilled its buffer
  }
}
