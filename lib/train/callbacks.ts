/**
 * Built-in callbacks: EarlyStopping and ModelCheckpoint (Keras's, with camelCase options).
 * Both watch one value of the epoch logs, the monitor: 'loss', 'valLoss', a training metric
 * ('accuracy') or a validation metric ('valAccuracy').
 */
import { ArgumentError } from '../errors.js';
import type { StateDict } from '../nn/module.js';
import { DistributedDataParallel } from '../nn/parallel/distributed.js';
import { checkBool, checkInt, checkOptions, checkRange, fail } from '../validate.js';
import { isRankZero } from './distributed.js';
import { type Callback, type EpochLogs, monitorsOf, readMonitor, type TrainContext } from './types.js';

export type MonitorMode = 'auto' | 'min' | 'max';

/** 'auto' reads a monitor named like an accuracy (or auc, f1, precision, recall) as 'max', anything else as 'min'. */
export function resolveMode(monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|auc|f1|precision|recall/i.test(monitor) ? 'max' : 'min';
}

// The monitored value and whether it beats the best so far, shared by both callbacks.
class Watch {
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  best: number;

  constructor(fn: string, monitor: unknown, mode: unknown, minDelta: number) {
    if (typeof monitor !== 'string' || monitor === '') fail(fn, 'options.monitor', "a name from the epoch logs ('valLoss', 'loss', 'valAccuracy', ...)", monitor);
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') fail(fn, 'options.mode', "'auto', 'min' or 'max'", mode);
    this.monitor = monitor;
    this.mode = resolveMode(monitor, mode);
    this.minDelta = minDelta;
    this.best = this.worst();
  }

  worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  /** The monitored value; an error naming what the logs do have when it is missing. */
  read(fn: string, logs: EpochLogs): number {
    const value = readMonitor(logs, this.monitor);
    if (value === undefined) {
      const hint = this.monitor.startsWith('val') && logs.valLoss === undefined ? ' (validation values need options.validation in fit)' : '';
      throw new ArgumentError(`${fn}: monitor ${JSON.stringify(this.monitor)} is not in the epoch logs, which have ${monitorsOf(logs).join(', ')}${hint}`);
    }
    return value;
  }

  /** Before any epoch: a validation value to watch needs validation data (else it would fail only after an epoch). */
  checkAvailable(fn: string, ctx: TrainContext): void {
    if (this.monitor.startsWith('val') && !ctx.hasValidation) {
      throw new ArgumentError(`${fn}: monitor ${JSON.stringify(this.monitor)} needs options.validation in fit (or monitor 'loss')`);
    }
  }

  /** Better than the best by more than minDelta; NaN never is. */
  improves(value: number): boolean {
    return this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
  }
}

export interface EarlyStoppingOptions {
  /** Default 'valLoss'. */
  monitor?: string;
  /** Default 'auto' (see resolveMode). */
  mode?: MonitorMode;
  /** Epochs in a row without improvement before training stops (0 behaves as 1). Default 0. */
  patience?: number;
  /** A change smaller than this is no improvement. Default 0. */
  minDelta?: number;
  /** At the end of training, however it ended, load back the weights of the best epoch. Default false. */
  restoreBestWeights?: boolean;
}

/** Stops training (after the current epoch) once the monitored value has stopped improving. */
// What EarlyStopping and ModelCheckpoint share: a watched value and its best so far.
abstract class WatchingCallback {
  protected readonly watch: Watch;
  protected constructor(watch: Watch) {
    this.watch = watch;
  }
  /** The best monitored value so far. */
  get best(): number {
    return this.watch.best;
  }
  get monitor(): string {
    return this.watch.monitor;
  }
  /** 'min' or 'max', after 'auto' was resolved. */
  get mode(): 'min' | 'max' {
    return this.watch.mode;
  }
}

export class EarlyStopping extends WatchingCallback implements Callback {
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  /** Epochs without improvement so far. */
  wait = 0;
  /** The epoch of the best value, and the epoch training was stopped at (undefined until then). */
  bestEpoch: number | undefined;
  stoppedEpoch: number | undefined;
  #bestState: StateDict | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    const fn = 'EarlyStopping';
    const o = checkOptions<EarlyStoppingOptions>(fn, options, ['monitor', 'mode', 'patience', 'minDelta', 'restoreBestWeights']);
    const patience = checkInt(fn, 'options.patience', o.patience ?? 0, 0);
    const minDelta = checkRange(fn, 'options.minDelta', o.minDelta ?? 0, { min: 0 });
    const restoreBestWeights = checkBool(fn, 'options.restoreBestWeights', o.restoreBestWeights ?? false);
    super(new Watch(fn, o.monitor ?? 'valLoss', o.mode ?? 'auto', minDelta));
    this.patience = patience;
    this.restoreBestWeights = restoreBestWeights;
  }


  onTrainBegin(ctx: TrainContext): void {
    this.watch.checkAvailable('EarlyStopping', ctx);
    this.watch.best = this.watch.worst();
    this.wait = 0;
    this.bestEpoch = undefined;
    this.stoppedEpoch = undefined;
    this.#bestState = null;
  }

  onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainContext): void {
    const value = this.watch.read('EarlyStopping', logs);
    if (this.watch.improves(value)) {
      this.watch.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      // A copy: stateDict() shares memory with the parameters, which keep training.
      if (this.restoreBestWeights) this.#bestState = Object.fromEntries(Object.entries(ctx.model.stateDict()).map(([k, t]) => [k, t.clone()]));
      return;
    }
    this.wait += 1;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      ctx.stopTraining();
    }
  }

  onTrainEnd(_history: unknown, ctx: TrainContext): void {
    if (this.#bestState !== null) ctx.model.loadStateDict(this.#bestState);
  }
}

export interface ModelCheckpointOptions {
  /** Where to save: a path, or a function of the epoch and its logs that returns one (`ckpt-${epoch}.tg`). */
  path: string | ((epoch: number, logs: EpochLogs) => string);
  /** Default 'valLoss'. */
  monitor?: string;
  mode?: MonitorMode;
  /** Save only when the monitored value improves (default true); false saves after every epoch. */
  saveBestOnly?: boolean;
  /**
   * Writes the state dict. By default a path ending in `.safetensors` gets that format (PyTorch
   * loads it with safetensors.torch.load_file) and any other the library's `.tg` (io.save);
   * both are written atomically.
   */
  save?: (stateDict: StateDict, path: string) => Promise<void>;
}

/**
 * Saves model.stateDict() at the end of an epoch: every epoch, or only those that improve the
 * monitored value. In a process group only rank 0 writes (every rank keeps the same history,
 * so all agree on which epochs are saved), and a DistributedDataParallel model is saved as the
 * module it wraps (keys without 'module.'), so the file loads into the plain model.
 */
export class ModelCheckpoint extends WatchingCallback implements Callback {
  readonly saveBestOnly: boolean;
  /** The path of the last save, undefined before the first. */
  lastSavedPath: string | undefined;
  readonly #path: ModelCheckpointOptions['path'];
  readonly #save: ((stateDict: StateDict, path: string) => Promise<void>) | undefined;

  constructor(options: ModelCheckpointOptions) {
    const fn = 'ModelCheckpoint';
    if (options === undefined) fail(fn, 'options', 'an object with a path', options);
    const o = checkOptions<ModelCheckpointOptions>(fn, options, ['path', 'monitor', 'mode', 'saveBestOnly', 'save']);
    if (!((typeof o.path === 'string' && o.path !== '') || typeof o.path === 'function')) {
      fail(fn, 'options.path', 'a non-empty string or a function (epoch, logs) => string', o.path);
    }
    if (o.save !== undefined && typeof o.save !== 'function') fail(fn, 'options.save', 'a function (stateDict, path) => Promise<void>', o.save);
    const saveBestOnly = checkBool(fn, 'options.saveBestOnly', o.saveBestOnly ?? true);
    super(new Watch(fn, o.monitor ?? 'valLoss', o.mode ?? 'auto', 0));
    this.#path = o.path;
    this.#save = o.save;
    this.saveBestOnly = saveBestOnly;
  }


  onTrainBegin(ctx: TrainContext): void {
    if (this.saveBestOnly) this.watch.checkAvailable('ModelCheckpoint', ctx);
    this.watch.best = this.watch.worst();
  }

  async onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainContext): Promise<void> {
    let value: number | undefined;
    if (this.saveBestOnly) {
      value = this.watch.read('ModelCheckpoint', logs);
      if (!this.watch.improves(value)) return;
    }
    const path = typeof this.#path === 'function' ? this.#path(epoch, logs) : this.#path;
    if (typeof path !== 'string' || path === '') fail('ModelCheckpoint', 'options.path', 'a function returning a non-empty string', path);
    if (isRankZero()) {
      const model = ctx.model instanceof DistributedDataParallel ? ctx.model.module : ctx.model;
      await (this.#save ?? defaultSave)(model.stateDict(), path);
    }
    // Only a checkpoint that was written counts as the best so far.
    if (value !== undefined) this.watch.best = value;
    this.lastSavedPath = path;
  }
}

// Loaded on first use, so this module does not depend on io at load time.
async function defaultSave(stateDict: StateDict, path: string): Promise<void> {
  const io = await import('../io/index.js');
  await (path.endsWith('.safetensors') ? io.saveSafetensors(stateDict, path) : io.save(stateDict, path));
}
