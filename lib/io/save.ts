/**
 * save() and load(): trees of tensors and JSON values (a module's stateDict(), an optimizer's
 * stateDict(), or both in one object) in the TGSAVE format described in tgsave.ts.
 *
 * Saving is atomic: the file is written under a temporary name next to `path`, flushed to
 * disk and renamed over `path`, so an interrupted or failed save leaves any earlier file at
 * `path` as it was. Loading checks the whole file before it makes a tensor.
 */
import { checkPath, readFileBytes, readFileBytesSync, writeAtomic, writeAtomicSync } from './files.js';
import { chunks, decode, encode, snapshot } from './tgsave.js';

/**
 * Saves obj (Tensors, numbers including NaN and ±Infinity, strings, booleans, null, arrays
 * and plain objects, nested) to path. The tensors' values are copied when save() is called,
 * so training may go on while the file is written. Tensors load back without requiresGrad.
 */
export async function save(obj: unknown, path: string): Promise<void> {
  checkPath('save', path);
  const bytes = snapshot('save', encode('save', obj));
  await writeAtomic('save', path, bytes);
}

/** save(), synchronously; the tensors' memory is written straight from where it lies. */
export function saveSync(obj: unknown, path: string): void {
  checkPath('saveSync', path);
  writeAtomicSync('saveSync', path, chunks('saveSync', encode('saveSync', obj)));
}

/**
 * Reads what save() wrote: the same tree, with new Tensors in place of the saved ones. A
 * truncated or corrupt file gives an IOError naming it. The type parameter only states what
 * the caller expects (`load<Record<string, Tensor>>('model.tg')`); nothing checks it.
 */
export async function load<T = unknown>(path: string): Promise<T> {
  checkPath('load', path);
  return decode('load', path, await readFileBytes('load', path)) as T;
}

/** load(), synchronously. */
export function loadSync<T = unknown>(path: string): T {
  checkPath('loadSync', path);
  return decode('loadSync', path, readFileBytesSync('loadSync', path)) as T;
}
