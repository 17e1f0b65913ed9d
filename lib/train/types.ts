/**
 * The shapes that fit(), its callbacks and the learning-curve plot share: loaders, the logs of
 * an epoch, the history of a run, and the callback interface.
 */
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';

/** One batch: the input and the target. */
export type Batch = readonly [Tensor, Tensor];

/**
 * Anything that yields [input, target] batches, synchronously or not: a DataLoader, an array
 * of batches, an async generator. `length` (batches per epoch), when known, sizes the progress
 * bar. fit() iterates it once per epoch, so it must be re-iterable (a generator object is not).
 * A batch is typed as a Tensor array, as a DataLoader of a TensorDataset yields; that it holds
 * exactly [input, target] is checked when it arrives.
 */
export type Loader = (Iterable<Batch | readonly Tensor[]> | AsyncIterable<Batch | readonly Tensor[]>) & { readonly length?: number };

/** What one epoch did. Epochs are numbered from 1, as printed ("Epoch 3/10"). */
export interface EpochLogs {
  epoch: number;
  /** Mean training loss over the epoch's samples (each batch weighted by its size). */
  loss: number;
  /** Training metrics by name, accumulated over the epoch ({ accuracy: 0.97 }). */
  metrics: Record<string, number>;
  /** Present when fit() was given a validation loader. */
  valLoss?: number;
  valMetrics?: Record<string, number>;
  /** The learning rate this epoch trained with (the first param group's), before the scheduler stepped. */
  lr: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  /** Training samples per second (the training phase only). */
  samplesPerSecond: number;
}

export interface History {
  /** One entry per completed epoch (an epoch cut short by an abort is not listed). */
  epochs: EpochLogs[];
  /**
   * Why training ended: every epoch ran ('completed'; also when stopTraining() came in the last
   * epoch), the signal aborted it, or a callback called stopTraining() with epochs left.
   */
  stopped: 'completed' | 'aborted' | 'early-stopping';
  /** epochs[i].loss for each epoch. */
  loss: number[];
  /** epochs[i].valLoss for each epoch, when there is validation. */
  valLoss?: number[];
  /** Each metric per epoch: training ones by name ('accuracy'), validation ones prefixed ('valAccuracy'). */
  metrics: Record<string, number[]>;
}

/** What every callback receives. */
export interface TrainContext {
  readonly model: Module<[Tensor], Tensor>;
  readonly optimizer: Optimizer<{ lr: number }>;
  /** The number of epochs fit() was asked for. */
  readonly epochs: number;
  /** The history so far (updated after each epoch). */
  readonly history: History;
  /** Whether fit() was given options.validation (so 'val...' values will be in the epoch logs). */
  readonly hasValidation: boolean;
  /** Ends training once the current epoch is complete (validation and onEpochEnd included); history.stopped becomes 'early-stopping'. */
  stopTraining(): void;
}

/** Hooks fit() calls, in this order; any may return a Promise, which fit() awaits. */
export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  /** batch is the index of the batch within the epoch, from 0; loss is its mean loss; size its sample count. */
  onBatchEnd?(batch: number, logs: { loss: number; size: number }, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs, ctx: TrainContext): void | Promise<void>;
  /** Called however training ended (completed, aborted, stopped early), but not when it threw. */
  onTrainEnd?(history: History, ctx: TrainContext): void | Promise<void>;
}

/** 'accuracy' → 'valAccuracy': the name a validation metric has in history.metrics and to monitors. */
export function valName(name: string): string {
  return `val${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/**
 * The value a monitor names in an epoch's logs: 'loss', 'valLoss', a training metric
 * ('accuracy') or a validation one ('valAccuracy'). undefined when the logs do not have it.
 */
export function readMonitor(logs: EpochLogs, monitor: string): number | undefined {
  if (monitor === 'loss') return logs.loss;
  if (monitor === 'valLoss') return logs.valLoss;
  if (Object.hasOwn(logs.metrics, monitor)) return logs.metrics[monitor];
  for (const [name, value] of Object.entries(logs.valMetrics ?? {})) if (valName(name) === monitor) return value;
  return undefined;
}

/** Every name readMonitor() understands for these logs, for error messages. */
export function monitorsOf(logs: EpochLogs): string[] {
  const names = ['loss', ...Object.keys(logs.metrics)];
  if (logs.valLoss !== undefined) names.push('valLoss');
  names.push(...Object.keys(logs.valMetrics ?? {}).map(valName));
  return names;
}
