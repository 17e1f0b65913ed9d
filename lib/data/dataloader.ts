/**
 * DataLoader (torch.utils.data.DataLoader): batches of a Dataset, in order or freshly
 * shuffled each epoch. Each `for...of` (or `for await...of`) over the loader is one epoch.
 *
 * Shuffling draws the epoch-k order from (seed, k) alone, so two loaders with the same seed
 * give the same batches, epoch after epoch. The async iterator starts gathering batch k+1 on
 * a native worker thread before it hands out batch k, so loading overlaps the training step.
 */
import { checkBool, checkInt, checkOptions, fail } from '../validate.js';
import { defaultCollate, gatherRows, gatherRowsAsync, type TensorSource, tensorSource } from './collate.js';
import { checkDataset, checkSeed, type Dataset } from './dataset.js';
import { drawSeed, permutation, Xoshiro128 } from './random.js';

export interface DataLoaderOptions<T> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** A new random order every epoch (default false: the dataset's order). */
  shuffle?: boolean;
  /** Leave out the last batch when it would be smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Seed of the shuffle; without it one is drawn from the generator that manualSeed seeds. */
  seed?: number;
  /** Makes a batch from its samples; replaces the default (stacking tensors, one gather per tensor for a TensorDataset). */
  collate?: (items: T[]) => unknown;
  /**
   * The dataset indices of each epoch, in order (torch's sampler: DistributedSampler, or any
   * iterable of indices with a length). Excludes shuffle: the sampler decides the order.
   */
  sampler?: Sampler;
}

/** What DataLoader's sampler option takes: an iterable of dataset indices with its length. */
export interface Sampler extends Iterable<number> {
  readonly length: number;
}

const OPTIONS = ['batchSize', 'shuffle', 'dropLast', 'seed', 'collate', 'sampler'];

/** One pass over the dataset: its order and how to load batch k of it. */
interface Epoch<B> {
  readonly batches: number;
  load(k: number): B;
  /** Null when loading cannot leave the JS thread (datasets read through get()). */
  loadAsync: ((k: number) => Promise<B>) | null;
}

export class DataLoader<T, B = T> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** The sampler that orders each epoch, when one was given. */
  readonly sampler: Sampler | undefined;
  readonly #seed: number;
  readonly #collate: ((items: T[]) => unknown) | undefined;
  #epoch = 0;

  constructor(dataset: Dataset<T>, options?: DataLoaderOptions<T>) {
    this.dataset = checkDataset<T>('DataLoader', 'dataset', dataset);
    const opts = checkOptions<DataLoaderOptions<T>>('DataLoader', options, OPTIONS);
    this.batchSize = opts.batchSize === undefined ? 1 : checkInt('DataLoader', 'options.batchSize', opts.batchSize, 1);
    this.shuffle = opts.shuffle === undefined ? false : checkBool('DataLoader', 'options.shuffle', opts.shuffle);
    this.dropLast = opts.dropLast === undefined ? false : checkBool('DataLoader', 'options.dropLast', opts.dropLast);
    if (opts.collate !== undefined && typeof opts.collate !== 'function') fail('DataLoader', 'options.collate', 'a function', opts.collate);
    this.#collate = opts.collate;
    if (opts.sampler !== undefined) {
      const sampler = opts.sampler as Partial<Sampler> | null;
      if (sampler === null || typeof sampler !== 'object' || typeof sampler[Symbol.iterator] !== 'function' || !Number.isInteger(sampler.length)) {
        fail('DataLoader', 'options.sampler', 'a sampler (an iterable of indices with an integer length)', opts.sampler);
      }
      if (this.shuffle) fail('DataLoader', 'options.shuffle', 'false with a sampler (the sampler decides the order)', this.shuffle);
    }
    this.sampler = opts.sampler;
    // Drawn only for a shuffling loader: one that keeps the dataset's order leaves the
    // generator (and so, say, the next model's initial weights) as it was.
    if (opts.seed !== undefined) this.#seed = checkSeed('DataLoader', 'options.seed', opts.seed);
    else this.#seed = this.shuffle ? drawSeed() : 0;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.#batchCount(this.sampler !== undefined ? this.sampler.length : checkDataset('DataLoader', 'dataset', this.dataset).length);
  }

  #batchCount(n: number): number {
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The next epoch's order and loaders. The order is fixed here, when iteration starts. */
  #nextEpoch(): Epoch<B> {
    const datasetSize = checkDataset<T>('DataLoader', 'dataset', this.dataset).length;
    const epoch = this.#epoch++;
    const order = this.#orderOf(datasetSize, epoch);
    const n = order.length;
    const batches = this.#batchCount(n);
    const size = this.batchSize;
    // Batch k's entries of a per-position array (the order, or the rows it maps to).
    const batchOf = (a: Int32Array, k: number): Int32Array => a.subarray(k * size, Math.min(n, (k + 1) * size));
    const source: TensorSource | null = this.#collate === undefined ? tensorSource(this.dataset) : null;
    if (source !== null) {
      // Dataset positions -> tensor rows, once per epoch; each batch is then a slice of them.
      const rows = source.rows === null ? order : order.map((i) => source.rows![i]!);
      return {
        batches,
        load: (k) => gatherRows(source.tensors, batchOf(rows, k)) as B,
        loadAsync: (k) => gatherRowsAsync(source.tensors, batchOf(rows, k)) as Promise<B>,
      };
    }
    const collate = this.#collate ?? ((items: T[]) => defaultCollate(items));
    return {
      batches,
      load: (k) => collate(Array.from(batchOf(order, k), (i) => this.dataset.get(i))) as B,
      loadAsync: null,
    };
  }

  #orderOf(datasetSize: number, epoch: number): Int32Array {
    if (this.sampler === undefined) {
      return this.shuffle ? permutation(datasetSize, new Xoshiro128(this.#seed, epoch)) : Int32Array.from({ length: datasetSize }, (_, i) => i);
    }
    const order = Int32Array.from(this.sampler);
    for (const i of order) {
      if (i < 0 || i >= datasetSize) fail('DataLoader', 'options.sampler', `indices in [0, ${datasetSize})`, i);
    }
    return order;
  }

  /** One epoch, batch by batch, on the JS thread. */
  *[Symbol.iterator](): Iterator<B> {
    // A generator's body starts at the first next(): the epoch is taken then.
    const epoch = this.#nextEpoch();
    for (let k = 0; k < epoch.batches; k++) yield epoch.load(k);
  }

  /**
   * One epoch, with batch k+1 already being gathered (on a native worker thread) when batch k
   * is handed out. Datasets read through get() load each batch when it is asked for.
   */
  [Symbol.asyncIterator](): AsyncIterator<B> {
    let epoch: Epoch<B> | undefined;
    let k = 0;
    let finished = false;
    let prefetched: Promise<B> | undefined;
    const start = (e: Epoch<B>, j: number): Promise<B> | undefined => {
      if (e.loadAsync === null || j >= e.batches) return undefined;
      const p = e.loadAsync(j);
      // If the caller stops before asking for it, its failure must not be an unhandled rejection.
      p.catch(() => undefined);
      return p;
    };
    return {
      next: async (): Promise<IteratorResult<B>> => {
        if (finished) return { done: true, value: undefined };
        epoch ??= this.#nextEpoch();
        if (k >= epoch.batches) {
          finished = true;
          return { done: true, value: undefined };
        }
        const current = prefetched ?? start(epoch, k);
        prefetched = start(epoch, ++k);
        return { done: false, value: current === undefined ? epoch.load(k - 1) : await current };
      },
      return: async (): Promise<IteratorResult<B>> => {
        finished = true;
        prefetched = undefined;
        return { done: true, value: undefined };
      },
    };
  }
}
