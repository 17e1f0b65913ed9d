/**
 * Batch normalisation: normalises each channel with the batch's statistics in training (and
 * keeps running averages of them), with the running averages in eval. One fused native op
 * forward and backward (F.batchNorm).
 */
import { full, zeros } from '../creation.js';
import { ShapeError } from '../errors.js';
import { native } from '../native.js';
import { checkTensor, type Tensor } from '../tensor.js';
import { checkBool, checkInt, checkNumber, checkOptions, fail } from '../validate.js';
import { batchNorm } from './functional_norm.js';
import { ones as initOnes, zeros as initZeros } from './init.js';
import { Module, pyBool, pyFloat, type StateKeys } from './module.js';
import { Parameter } from './parameter.js';

export interface BatchNormOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running averages (default 0.1); null: a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running averages for eval (default true); without them eval uses batch statistics. */
  trackRunningStats?: boolean;
}

abstract class BatchNorm extends Module {
  static override readonly stateKeys: StateKeys = { runningMean: 'running_mean', runningVar: 'running_var', numBatchesTracked: 'num_batches_tracked' };
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked: Tensor | null;

  protected constructor(fn: string, numFeatures: number, options: BatchNormOptions | undefined) {
    super();
    this.numFeatures = checkInt(fn, 'numFeatures', numFeatures, 1);
    const opts = checkOptions<BatchNormOptions>(fn, options, ['eps', 'momentum', 'affine', 'trackRunningStats']);
    this.eps = checkNumber(fn, 'options.eps', opts.eps ?? 1e-5, { finite: true });
    if (this.eps < 0) fail(fn, 'options.eps', 'a number >= 0', this.eps);
    const momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (momentum !== null && (checkNumber(fn, 'options.momentum', momentum) < 0 || momentum > 1)) {
      fail(fn, 'options.momentum', 'a number in [0, 1] or null', momentum);
    }
    this.momentum = momentum;
    this.affine = opts.affine === undefined ? true : checkBool(fn, 'options.affine', opts.affine);
    this.trackRunningStats = opts.trackRunningStats === undefined ? true : checkBool(fn, 'options.trackRunningStats', opts.trackRunningStats);
    this.weight = this.affine ? new Parameter(zeros([numFeatures])) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures])) : null;
    this.registerBuffer('runningMean', this.trackRunningStats ? zeros([numFeatures]) : null);
    this.registerBuffer('runningVar', this.trackRunningStats ? full([numFeatures], 1) : null);
    this.registerBuffer('numBatchesTracked', this.trackRunningStats ? zeros([], { dtype: 'int32' }) : null);
    this.resetParameters();
  }

  /** Running statistics back to mean 0, variance 1, count 0. */
  resetRunningStats(): void {
    if (this.runningMean === null) return;
    initZeros(this.runningMean);
    initOnes(this.runningVar!);
    this.numBatchesTracked!.fill_(0);
  }

  /** Scale 1 and shift 0 (PyTorch's default), and fresh running statistics. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight !== null) initOnes(this.weight);
    if (this.bias !== null) initZeros(this.bias);
  }

  protected abstract checkInput(input: Tensor): void;

  forward(input: Tensor): Tensor {
    checkTensor(this.constructor.name, 'input', input);
    this.checkInput(input);
    if (input.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${this.constructor.name}: input has ${input.shape[1]} channels (dimension 1), expected ${this.numFeatures}`);
    }
    let momentum = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked !== null) {
      const count = this.#trackedCount(this.numBatchesTracked) + 1;
      this.numBatchesTracked.fill_(count);
      this.#tracked = { tensor: this.numBatchesTracked, count, version: native.version(this.numBatchesTracked._h) };
      if (this.momentum === null) momentum = 1 / count;
    }
    // Batch statistics in training, and in eval when no running averages are kept.
    const useBatchStats = this.training || this.runningMean === null;
    return batchNorm(input, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum,
      eps: this.eps,
    });
  }

  // The count as last written here, while nothing else has written the buffer since (its
  // version says): reading it back would make deferred training wait for queued work. Not for
  // borrowed memory (shared weights, Tensor.from): JS and other threads write it unversioned.
  #tracked: { tensor: Tensor; count: number; version: number } | undefined;
  #trackedCount(t: Tensor): number {
    const c = this.#tracked;
    const fresh = c !== undefined && c.tensor === t && c.version === native.version(t._h) && native.sharedArrayOf(t._h) === null;
    return fresh ? c.count : t.item();
  }

  override extraRepr(): string {
    const momentum = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** Over (N, C) or (N, C, L) input: statistics per channel C. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options?: BatchNormOptions) {
    super('BatchNorm1d', numFeatures, options);
  }
  protected checkInput(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new ShapeError(`BatchNorm1d: expected 2D or 3D input (N, C) or (N, C, L), got shape [${input.shape.join(', ')}]`);
    }
  }
}

/** Over (N, C, H, W) input: statistics per channel C, over the batch and every position. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options?: BatchNormOptions) {
    super('BatchNorm2d', numFeatures, options);
  }
  protected checkInput(input: Tensor): void {
    if (input.ndim !== 4) throw new ShapeError(`BatchNorm2d: expected 4D input (N, C, H, W), got shape [${input.shape.join(', ')}]`);
  }
}
