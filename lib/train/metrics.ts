/**
 * Classification metrics, computed by native ops (argmax, differences, step, sums): only a
 * count per batch comes back to JS, and the Metric classes accumulate counts, never averages of
 * averages, so the last smaller batch of an epoch weighs what it should.
 *
 * Which task a pair (output, target) is:
 * - class indices: output (N, C) scores (logits or probabilities), target int32 (N) in [0, C);
 *   the prediction is the first index of the largest score (ties go to the lower class).
 * - class distributions: output (N, C > 1) and a float target of the same shape (one-hot, as
 *   data.oneHot makes, or soft labels): right when the two argmaxes agree (Keras's
 *   categorical accuracy).
 * - binary: one score per sample, output (N) or (N, 1), and a 0/1 target of that shape (or (N)
 *   against (N, 1)). Both are thresholded at 0.5: an output > 0.5 predicts 1, so pass
 *   probabilities (apply sigmoid to logits first).
 */
import { arange } from '../creation.js';
import { noGrad } from '../autograd.js';
import { isDeferred } from '../deferred.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { gather, sub } from '../ops.js';
import { checkTensor, requireFloat, type Tensor, valueRange } from '../tensor.js';
import { checkInt, describe, fail } from '../validate.js';

/** A metric accumulated over batches: update() per batch, compute() for the value so far, reset() between epochs. */
export interface Metric {
  /** Its key in the logs ('accuracy'); the validation value is logged as 'valAccuracy'. */
  readonly name: string;
  update(output: Tensor, target: Tensor): void;
  compute(): number;
  reset(): void;
}

/** What fit() and evaluate() accept in options.metrics: a Metric, or the name of a built-in one. */
export type MetricSpec = Metric | 'accuracy' | 'topK';

/** k of the 'topK' shorthand (Keras's top_k_categorical_accuracy uses 5 too). */
export const DEFAULT_TOP_K = 5;

// 1 where a == b, else 0 (exact: used on integer-valued floats).
const equal = (a: Tensor, b: Tensor | number): Tensor => sub(1, a.sub(b).abs().step());

// classes: (N, C) scores and int32 labels; distributions: (N, C > 1) scores and float targets of
// the same shape (one-hot or soft labels: the class is the argmax of each); binary: one score per
// sample (N or (N, 1)) and a 0/1 target, both thresholded at 0.5.
type Task = 'classes' | 'distributions' | 'binary';

function taskOf(fn: string, output: Tensor, target: Tensor): Task {
  checkTensor(fn, 'output', output);
  checkTensor(fn, 'target', target);
  requireFloat(fn, output, 'output');
  const [o, t] = [output.shape, target.shape];
  if (o.length === 2 && o[1]! > 1 && o.join() === t.join()) return 'distributions';
  if (o.join() === t.join() || (o.length === 2 && o[1] === 1 && t.length === 1 && t[0] === o[0])) return 'binary';
  if (o.length === 2 && t.length === 1 && o[0] === t[0]) {
    if (target.dtype !== 'int32') fail(fn, 'target', 'int32 class indices for (N, C) scores (or a target of the same shape as output)', target);
    return 'classes';
  }
  throw new ShapeError(
    `${fn}: output and target do not match: expected output (N, C) with an int32 target (N), or a target of the same shape as output; got output [${o.join(', ')}] and target [${t.join(', ')}]`,
  );
}

/**
 * A batch's count planned as ops: the tensors are read once their work has run (fit and
 * evaluate keep the next batch queued meanwhile); resolveCount reads them.
 */
export interface PlannedCount {
  fn: string;
  correct: Tensor | number;
  total: number;
  /** Label tensors to check against [0, numClasses): their min and max, planned. */
  labels: { lo: Tensor; hi: Tensor; numClasses: number }[];
}

// Labels outside [0, C) would silently count as wrong (or break gather): refused from their
// min and max. Eager code checks at once, before any op reads the labels; deferred code plans
// the min and max, and resolveCount checks them.
function planLabels(fn: string, labels: Tensor, numClasses: number): PlannedCount['labels'] {
  if (!isDeferred()) {
    checkLabels(fn, labels, numClasses);
    return [];
  }
  const f = labels.float();
  return [{ lo: f.min(), hi: f.max(), numClasses }];
}

function checkRange(fn: string, lo: number, hi: number, numClasses: number): void {
  if (lo < 0 || hi >= numClasses) throw new ArgumentError(`${fn}: target must hold class indices in [0, ${numClasses - 1}], got values from ${lo} to ${hi}`);
}

function checkLabels(fn: string, labels: Tensor, numClasses: number): void {
  const [lo, hi] = valueRange(labels) ?? [0, 0];
  checkRange(fn, lo, hi, numClasses);
}

/** The planned count's numbers; throws ArgumentError for labels outside [0, numClasses). */
export function resolveCount(p: PlannedCount): { correct: number; total: number } {
  for (const { lo, hi, numClasses } of p.labels) checkRange(p.fn, lo.item(), hi.item(), numClasses);
  return { correct: typeof p.correct === 'number' ? p.correct : p.correct.item(), total: p.total };
}

/** planCorrect's tensors, without reading them. */
export function planCorrect(fn: string, output: Tensor, target: Tensor): PlannedCount {
  const task = taskOf(fn, output, target);
  if (task === 'distributions') {
    const n = output.shape[0]!;
    return { fn, correct: n === 0 ? 0 : equal(output.detach().argmax(1).float(), target.detach().argmax(1).float()).sum(), total: n, labels: [] };
  }
  if (task === 'binary') {
    const predicted = output.detach().reshape(-1).sub(0.5).step();
    const truth = target.float().reshape(-1).sub(0.5).step();
    return { fn, correct: output.numel === 0 ? 0 : equal(predicted, truth).sum(), total: output.numel, labels: [] };
  }
  const n = output.shape[0]!;
  if (n === 0) return { fn, correct: 0, total: 0, labels: [] };
  return { fn, correct: equal(output.detach().argmax(1).float(), target.float()).sum(), total: n, labels: planLabels(fn, target, output.shape[1]!) };
}

/** The number of correct predictions in a batch, and the number of predictions. */
export function countCorrect(fn: string, output: Tensor, target: Tensor): { correct: number; total: number } {
  return resolveCount(planCorrect(fn, output, target));
}

/** countTopK's tensors, without reading them. */
export function planTopK(fn: string, output: Tensor, target: Tensor, k: number): PlannedCount {
  checkInt(fn, 'k', k, 1);
  if (taskOf(fn, output, target) !== 'classes') {
    throw new ShapeError(`${fn}: needs output (N, C) scores with an int32 target (N), got output [${output.shape.join(', ')}] and target [${target.shape.join(', ')}]`);
  }
  const [n, c] = output.shape as [number, number];
  if (k > c) fail(fn, 'k', `an integer from 1 to ${c} (the number of classes)`, k);
  if (n === 0) return { fn, correct: 0, total: 0, labels: [] };
  // Deferred, gather's kernel refuses an out-of-range label itself, before resolveCount could.
  const labels = planLabels(fn, target, c);
  const scores = output.detach();
  const targetScore = gather(scores, 1, target.reshape(n, 1)); // (N, 1)
  const diff = scores.sub(targetScore); // (N, C): > 0 where a class beats the target
  const higher = diff.step().sum(1);
  const lowerIndex = target.float().reshape(n, 1).sub(arange(c)).step(); // 1 where class j < target
  const tiedBefore = equal(diff, 0).mul(lowerIndex).sum(1);
  const rank = higher.add(tiedBefore);
  return { fn, correct: sub(k - 0.5, rank).step().sum(), total: n, labels };
}

/**
 * How many rows have their target among the k best scores. A target's rank is the number of
 * classes scoring strictly higher, plus the tied ones with a lower index: the order argmax
 * uses, so k = 1 agrees with accuracy exactly. A NaN score makes the count NaN.
 */
export function countTopK(fn: string, output: Tensor, target: Tensor, k: number): { correct: number; total: number } {
  return resolveCount(planTopK(fn, output, target, k));
}

/** The fraction of correct predictions (see the file comment for the two kinds of target). NaN for an empty batch. */
export function accuracy(output: Tensor, target: Tensor): number {
  const { correct, total } = countCorrect('accuracy', output, target);
  return correct / total;
}

/** The fraction of rows whose target class is among the k highest scores; output (N, C), target int32 (N), 1 <= k <= C. */
export function topKAccuracy(output: Tensor, target: Tensor, k: number): number {
  const { correct, total } = countTopK('topKAccuracy', output, target, k);
  return correct / total;
}

/**
 * Counts of (true class, predicted class) pairs: an int32 [C, C] tensor whose row i, column j
 * is the number of samples of class i predicted as j. output is (N, C) scores (predicted class:
 * argmax) or int32 (N) predicted labels; target int32 (N). Built as one-hot(target)ᵀ · one-hot(pred)
 * by a native matmul (exact: counts stay far below float32's 2^24).
 */
export function confusionMatrix(output: Tensor, target: Tensor, numClasses: number): Tensor {
  const fn = 'confusionMatrix';
  checkTensor(fn, 'output', output);
  checkTensor(fn, 'target', target);
  checkInt(fn, 'numClasses', numClasses, 1);
  if (target.dtype !== 'int32' || target.ndim !== 1) fail(fn, 'target', 'an int32 tensor of class indices (N)', target);
  const n = target.shape[0]!;
  let predicted: Tensor;
  if (output.dtype === 'int32') {
    if (output.shape.join() !== target.shape.join()) fail(fn, 'output', `int32 predicted labels of shape [${n}] (like target) or float32 scores (${n}, ${numClasses})`, output);
    checkLabels(fn, output, numClasses);
    predicted = output;
  } else {
    if (output.ndim !== 2 || output.shape[0] !== n || output.shape[1] !== numClasses) {
      throw new ShapeError(`${fn}: output must be scores of shape [${n}, ${numClasses}] (N, numClasses), got ${describe(output)}`);
    }
    predicted = output.detach().argmax(1);
  }
  checkLabels(fn, target, numClasses);
  const classes = arange(numClasses);
  const oneHot = (labels: Tensor): Tensor => equal(labels.float().reshape(n, 1), classes); // (N, C)
  return oneHot(target).T.matmul(oneHot(predicted)).int();
}

/**
 * @internal What fit/evaluate call per batch: the metric's update, planned now and completed by
 * the returned function once the batch's work has run. A user's Metric has no planned form:
 * its update runs then, on the batch's (finished) tensors.
 */
export function planMetricUpdate(m: Metric, output: Tensor, target: Tensor): () => void {
  if (m instanceof CountMetric) return m.planUpdate(output, target);
  return () => noGrad(() => m.update(output, target));
}

/** @internal Whether the metric's update can be planned (a built-in one). */
export function isPlanned(m: Metric): boolean {
  return m instanceof CountMetric;
}

// Accumulates (correct, total) counts over batches; compute() is their ratio (NaN before any sample).
abstract class CountMetric implements Metric {
  abstract readonly name: string;
  #correct = 0;
  #total = 0;
  protected abstract plan(output: Tensor, target: Tensor): PlannedCount;
  update(output: Tensor, target: Tensor): void {
    this.add(resolveCount(this.plan(output, target)));
  }
  /** @internal fit/evaluate: plans the batch's count now and returns what adds it once its work has run. */
  planUpdate(output: Tensor, target: Tensor): () => void {
    const planned = this.plan(output, target);
    return () => this.add(resolveCount(planned));
  }
  private add({ correct, total }: { correct: number; total: number }): void {
    this.#correct += correct;
    this.#total += total;
  }
  compute(): number {
    return this.#correct / this.#total;
  }
  reset(): void {
    this.#correct = 0;
    this.#total = 0;
  }
}

/** Fraction of correct predictions over every batch since the last reset(). */
export class Accuracy extends CountMetric {
  readonly name = 'accuracy';
  protected plan(output: Tensor, target: Tensor): PlannedCount {
    return planCorrect('Accuracy.update', output, target);
  }
}

/** Fraction of samples whose target is among the k highest scores; named 'top{k}Accuracy'. */
export class TopKAccuracy extends CountMetric {
  readonly name: string;
  readonly k: number;
  constructor(k: number = DEFAULT_TOP_K) {
    super();
    this.k = checkInt('TopKAccuracy', 'k', k, 1);
    this.name = `top${k}Accuracy`;
  }
  protected plan(output: Tensor, target: Tensor): PlannedCount {
    return planTopK('TopKAccuracy.update', output, target, this.k);
  }
}

/** Turns options.metrics into Metric objects, checking each and refusing two with one name. */
export function resolveMetrics(fn: string, specs: unknown): Metric[] {
  if (!Array.isArray(specs)) fail(fn, 'options.metrics', "an array of Metrics, 'accuracy' or 'topK'", specs);
  const metrics = specs.map((spec, i): Metric => {
    if (spec === 'accuracy') return new Accuracy();
    if (spec === 'topK') return new TopKAccuracy(DEFAULT_TOP_K);
    const m = spec as Partial<Metric> | null;
    const ok = m !== null && typeof m === 'object' && typeof m.name === 'string' && m.name !== '' &&
      typeof m.update === 'function' && typeof m.compute === 'function' && typeof m.reset === 'function';
    if (!ok) fail(fn, `options.metrics[${i}]`, "'accuracy', 'topK' or a Metric { name, update, compute, reset }", spec);
    return m as Metric;
  });
  const seen = new Set<string>();
  for (const m of metrics) {
    if (m.name === 'loss' || seen.has(m.name)) {
      throw new ArgumentError(`${fn}: options.metrics must have distinct names other than 'loss', got ${JSON.stringify(m.name)} ${m.name === 'loss' ? '' : 'twice'}`.trimEnd());
    }
    seen.add(m.name);
  }
  return metrics;
}

/** The metrics used when options.metrics is left out: accuracy for class-index targets, none otherwise. */
export function defaultMetrics(output: Tensor, target: Tensor): Metric[] {
  const classIndices = target.dtype === 'int32' && target.ndim === 1 && output.ndim === 2 && output.shape[0] === target.shape[0];
  return classIndices ? [new Accuracy()] : [];
}
