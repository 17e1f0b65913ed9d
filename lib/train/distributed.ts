/**
 * What fit and its callbacks do differently when the model is a DistributedDataParallel:
 * progress from rank 0 only, epoch logs combined across ranks so that every rank keeps the
 * same history (and so takes the same early-stopping and learning-rate decisions), and
 * checkpoints written by rank 0 only.
 */
import { allReduce } from '../distributed/collectives.js';
import { getRank, isInitialized } from '../distributed/process_group.js';
import type { Module } from '../nn/module.js';
import { DistributedDataParallel } from '../nn/parallel/distributed.js';
import { Tensor } from '../tensor.js';

export function isDistributedModel(model: Module<[Tensor], Tensor>): boolean {
  return model instanceof DistributedDataParallel;
}

/** True unless this process is a rank other than 0 of an initialised process group. */
export function isRankZero(): boolean {
  return !isInitialized() || getRank() === 0;
}

/**
 * Means over every rank's samples: each rank's mean loss and metric values, weighted by its
 * sample count, summed with one all-reduce. Exact for means (the loss, accuracy); a metric that
 * is not a mean over samples is combined the same way, as an approximation.
 */
export async function meanAcrossRanks(
  loss: number | undefined,
  metrics: Record<string, number>,
  samples: number,
): Promise<{ loss: number | undefined; metrics: Record<string, number>; samples: number }> {
  const names = Object.keys(metrics);
  const values = [samples, (loss ?? 0) * samples, ...names.map((name) => metrics[name]! * samples)];
  const t = Tensor.from(Float32Array.from(values), [values.length]);
  await allReduce(t, { op: 'sum', asyncOp: true }).wait();
  const [total, lossSum, ...metricSums] = Array.from(t.data());
  return {
    loss: loss === undefined ? undefined : lossSum! / total!,
    metrics: Object.fromEntries(names.map((name, i) => [name, metricSums[i]! / total!])),
    samples: total!,
  };
}
