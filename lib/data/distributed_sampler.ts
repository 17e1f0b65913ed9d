/**
 * DistributedSampler (torch.utils.data.distributed.DistributedSampler): each rank's share of a
 * dataset for data-parallel training. The epoch's order (the dataset's, or a shuffle drawn from
 * (seed, epoch) alone, so every rank draws the same one) is padded by repeating its start until
 * it divides evenly -- or, with dropLast, cut to a multiple of numReplicas -- and rank r takes
 * positions r, r + numReplicas, ... Every rank gets the same number of samples, so none waits
 * for a step that another never takes.
 */
import { ArgumentError } from '../errors.js';
import { getRank, getWorldSize, isInitialized } from '../distributed/process_group.js';
import { checkBool, checkInt, checkOptions } from '../validate.js';
import type { Sampler } from './dataloader.js';
import { checkDataset, checkSeed, type Dataset } from './dataset.js';
import { permutation, Xoshiro128 } from './random.js';

export interface DistributedSamplerOptions {
  /** Number of ranks sharing the dataset (default: the process group's world size). */
  numReplicas?: number;
  /** This rank, in [0, numReplicas) (default: the process group's rank). */
  rank?: number;
  /** A new order every epoch, the same on every rank (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle; must be the same on every rank (default 0). */
  seed?: number;
  /** Leave out the tail that does not divide evenly instead of padding (default false). */
  dropLast?: boolean;
}

const OPTIONS = ['numReplicas', 'rank', 'shuffle', 'seed', 'dropLast'];

export class DistributedSampler implements Sampler {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Samples this rank gets per epoch (the same on every rank). */
  readonly numSamples: number;
  /** numSamples * numReplicas: the padded (or cut) epoch length. */
  readonly totalSize: number;
  readonly #datasetSize: number;
  #epoch = 0;

  constructor(dataset: Dataset<unknown>, options?: DistributedSamplerOptions) {
    const n = checkDataset('DistributedSampler', 'dataset', dataset).length;
    const opts = checkOptions<DistributedSamplerOptions>('DistributedSampler', options, OPTIONS);
    const needGroup = opts.numReplicas === undefined || opts.rank === undefined;
    if (needGroup && !isInitialized()) {
      throw new ArgumentError(
        'DistributedSampler: options.numReplicas and options.rank are needed when the process group is not initialised ' +
          '(call distributed.initProcessGroup first, or pass both)',
      );
    }
    this.numReplicas = opts.numReplicas === undefined ? getWorldSize() : checkInt('DistributedSampler', 'options.numReplicas', opts.numReplicas, 1);
    this.rank = opts.rank === undefined ? getRank() : checkInt('DistributedSampler', 'options.rank', opts.rank, 0, this.numReplicas - 1);
    this.shuffle = opts.shuffle === undefined ? true : checkBool('DistributedSampler', 'options.shuffle', opts.shuffle);
    this.seed = opts.seed === undefined ? 0 : checkSeed('DistributedSampler', 'options.seed', opts.seed);
    this.dropLast = opts.dropLast === undefined ? false : checkBool('DistributedSampler', 'options.dropLast', opts.dropLast);
    this.#datasetSize = n;
    // As torch: with dropLast the tail is cut so no index repeats; otherwise padded.
    this.numSamples = this.dropLast && n % this.numReplicas !== 0 ? Math.ceil((n - this.numReplicas) / this.numReplicas) : Math.ceil(n / this.numReplicas);
    this.totalSize = this.numSamples * this.numReplicas;
  }

  get length(): number {
    return this.numSamples;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** The epoch whose shuffle the next iteration uses; call it at the start of every epoch, with the same e on every rank. */
  setEpoch(epoch: number): void {
    this.#epoch = checkInt('DistributedSampler.setEpoch', 'epoch', epoch, 0);
  }

  /** This rank's indices for the current epoch. */
  indices(): Int32Array {
    const n = this.#datasetSize;
    const order = this.shuffle ? permutation(n, new Xoshiro128(this.seed, this.#epoch)) : Int32Array.from({ length: n }, (_, i) => i);
    const padded = new Int32Array(this.totalSize);
    // Padding repeats the order from its start, as many times as it takes (a dataset smaller than numReplicas).
    for (let i = 0; i < this.totalSize; i++) padded[i] = order[i % n]!;
    const mine = new Int32Array(this.numSamples);
    for (let i = 0; i < this.numSamples; i++) mine[i] = padded[this.rank + i * this.numReplicas]!;
    return mine;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}
