// The runner's one read of Fashion-MNIST: tensorgrad's IDX reader decodes the gzipped files
// once, and the images (scaled to [0, 1]) and labels are cached as raw little-endian arrays
// that every driver, in JavaScript or Python, reads without a decoder of its own.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../../dist/index.js';

const FILES = ['train-x.f32', 'train-y.i32', 'test-x.f32', 'test-y.i32'];

/** Writes the raw copies into dir unless they are there; throws a clear message without the dataset. */
export async function prepareFashionData(root, dir) {
  // The stamp names the folder the copies came from, and is written last: a copy of another
  // root, or an interrupted one, is made again.
  const stamp = join(dir, 'source');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === root && FILES.every((f) => existsSync(join(dir, f)))) return dir;
  mkdirSync(dir, { recursive: true });
  const arrays = [];
  for (const train of [true, false]) {
    const { images, labels } = await tg.datasets.fashionMnist({ root, train });
    arrays.push(images.data(), labels.data());
  }
  FILES.forEach((name, i) => {
    const bytes = arrays[i];
    // Temp file + rename: an interrupted run never leaves a short file that looks complete.
    writeFileSync(join(dir, `${name}.tmp`), new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
  });
  writeFileSync(stamp, root);
  return dir;
}
