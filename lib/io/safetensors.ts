/**
 * safetensors files (the format of Hugging Face and `safetensors.torch`, described in
 * safetensors_format.ts): a flat { name: Tensor } such as a module's stateDict(), to and from
 * a path or a Buffer.
 *
 * Saving writes what `safetensors.torch.save_file` writes, atomically (see files.ts).
 * Loading from a path streams: the length and the header are read and checked against the
 * file's size first; only then is each tensor allocated, and its bytes are read straight into
 * its memory (F32, I32) or through a bounded scratch buffer that native code converts (F16,
 * BF16 and F64 to float32; the integer types and BOOL to int32, refusing values int32 cannot
 * hold). A large file never needs a second copy in memory.
 *
 * One loader serves files and buffers, sync and async: it is a generator that yields the reads
 * it needs ({ position, into }) and a driver performs them with readSync, a FileHandle or a copy.
 */
import { constants as bufferConstants } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ArgumentError, IOError } from '../errors.js';
import { native } from '../native.js';
import { checkTensor, Tensor } from '../tensor.js';
import { checkOptions, fail } from '../validate.js';
import { checkPath, systemError, writeAtomic, writeAtomicSync } from './files.js';
import {
  checkHostEndianness,
  encodeHeader,
  FILE_DTYPES,
  headerLength,
  invalid,
  isWellFormed,
  LENGTH_BYTES,
  MAX_HEADER_SIZE,
  METADATA_KEY,
  parseHeader,
  type ParsedHeader,
  type TensorEntry,
  type WrittenTensor,
  writeOrder,
} from './safetensors_format.js';

export interface SaveSafetensorsOptions {
  /** Strings stored in the header's __metadata__; default { format: 'pt' }, as safetensors.torch writes. */
  metadata?: Record<string, string>;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** In the order of the data; dtype as the file names it ('F16', 'I64', ...). */
  tensors: Record<string, { dtype: string; shape: number[]; dataOffsets: [number, number] }>;
}

/** The converted dtypes pass through a scratch buffer of at most this many bytes (a multiple of 8). */
const SCRATCH_BYTES = 4 << 20;

// ---- saving ---------------------------------------------------------------------------

interface Planned extends WrittenTensor {
  tensor: Tensor;
  where: string;
}

interface Plan {
  prefix: Uint8Array;
  tensors: Planned[];
}

function plan(fn: string, tensors: unknown, options: unknown): Plan {
  checkHostEndianness(fn);
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors) || tensors instanceof Tensor) {
    fail(fn, 'tensors', 'an object of named Tensors ({ name: Tensor }, such as a stateDict())', tensors);
  }
  const planned: Planned[] = [];
  for (const [name, value] of Object.entries(tensors)) {
    const where = `tensors[${JSON.stringify(name)}]`;
    if (name === '') throw new ArgumentError(`${fn}: tensors has an empty name; tensor names must be non-empty strings`);
    if (name === METADATA_KEY) throw new ArgumentError(`${fn}: tensors cannot have a tensor named "${METADATA_KEY}" (the format reserves it for the metadata)`);
    if (!isWellFormed(name)) throw new ArgumentError(`${fn}: the name ${where} has a lone surrogate and cannot be written as UTF-8`);
    const tensor = checkTensor(fn, where, value);
    planned.push({ name, tensor, where, dtype: tensor.dtype, shape: tensor.shape, byteLength: tensor.numel * 4 });
  }
  const opts = checkOptions<SaveSafetensorsOptions>(fn, options, ['metadata']);
  const metadata = opts.metadata === undefined ? { format: 'pt' } : opts.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) fail(fn, 'options.metadata', 'an object of strings', metadata);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') fail(fn, `options.metadata.${key}`, 'a string (safetensors metadata holds strings only)', value);
    if (!isWellFormed(key) || !isWellFormed(value)) throw new ArgumentError(`${fn}: options.metadata.${key} has a lone surrogate and cannot be written as UTF-8`);
  }
  const { prefix } = encodeHeader(writeOrder(planned), metadata);
  if (prefix.length - LENGTH_BYTES > MAX_HEADER_SIZE) {
    throw new ArgumentError(`${fn}: the header would take ${prefix.length - LENGTH_BYTES} bytes, over the format's limit of ${MAX_HEADER_SIZE}`);
  }
  return { prefix, tensors: planned };
}

/** The file's bytes, chunk by chunk; each tensor's memory is reached only when its turn comes. */
function* chunks(fn: string, p: Plan): Generator<Uint8Array> {
  yield p.prefix;
  for (const { tensor, where, byteLength } of p.tensors) {
    checkTensor(fn, where, tensor);
    const data = tensor.data(); // a view of a contiguous tensor's memory, else a contiguous copy
    if (data.byteLength !== byteLength) throw new ArgumentError(`${fn}: ${where} changed size while it was being saved`);
    yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
}

/** All the chunks, copied now, so an asynchronous save writes the values it was called with. */
const snapshot = (fn: string, p: Plan) => Array.from(chunks(fn, p), (c) => c.slice());

/** Saves tensors ({ name: Tensor }) to path as safetensors, atomically; the values are copied first. */
export async function saveSafetensors(tensors: Record<string, Tensor>, path: string, options?: SaveSafetensorsOptions): Promise<void> {
  const fn = 'saveSafetensors';
  checkPath(fn, path);
  await writeAtomic(fn, path, snapshot(fn, plan(fn, tensors, options)));
}

/** saveSafetensors(), synchronously; the tensors' memory is written straight from where it lies. */
export function saveSafetensorsSync(tensors: Record<string, Tensor>, path: string, options?: SaveSafetensorsOptions): void {
  const fn = 'saveSafetensorsSync';
  checkPath(fn, path);
  writeAtomicSync(fn, path, chunks(fn, plan(fn, tensors, options)));
}

/** The bytes saveSafetensors() would write, in a new Buffer (a copy of the tensors' values). */
export function saveSafetensorsToBuffer(tensors: Record<string, Tensor>, options?: SaveSafetensorsOptions): Buffer {
  const fn = 'saveSafetensorsToBuffer';
  return Buffer.concat([...chunks(fn, plan(fn, tensors, options))]);
}

// ---- loading --------------------------------------------------------------------------

/** A read the loader needs: `into.length` bytes at `position`, all of them. */
interface Read {
  position: number;
  into: Uint8Array;
}

interface Header extends ParsedHeader {
  dataStart: number;
}

/** Reads and checks the length and the header of a source of `size` bytes. */
function* readHeader(fn: string, source: string, size: number): Generator<Read, Header, void> {
  checkHostEndianness(fn);
  const first = new Uint8Array(LENGTH_BYTES);
  if (size >= LENGTH_BYTES) yield { position: 0, into: first };
  const n = headerLength(fn, source, first, size);
  const header = new Uint8Array(n); // n is at most 100 MB, and the file has those bytes
  yield { position: LENGTH_BYTES, into: header };
  const dataStart = LENGTH_BYTES + n;
  return { ...parseHeader(fn, source, header, size - dataStart), dataStart };
}

function allocate(fn: string, source: string, e: TensorEntry): Float32Array | Int32Array {
  const bytes = e.numel * 4;
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw new IOError(`${fn}: tensor ${JSON.stringify(e.name)} of ${source} needs ${bytes} bytes, more than one array can hold here (${bufferConstants.MAX_LENGTH})`);
  }
  try {
    return FILE_DTYPES[e.dtype]!.loadsAs === 'float32' ? new Float32Array(e.numel) : new Int32Array(e.numel);
  } catch (err) {
    throw new IOError(`${fn}: cannot allocate ${bytes} bytes for tensor ${JSON.stringify(e.name)} of ${source}`, { cause: err });
  }
}

/** The reported element, named with its value, as an IOError. */
function outOfRange(fn: string, source: string, e: TensorEntry, index: number, scratch: Uint8Array, at: number): IOError {
  const fileDType = FILE_DTYPES[e.dtype]!;
  const value = fileDType.show(new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength), at);
  const why =
    e.dtype === 'F64' ? 'beyond the range of float32' : e.dtype === 'BOOL' ? 'not a boolean (0 or 1)' : 'outside the range of int32 [-2147483648, 2147483647]';
  return new IOError(`${fn}: tensor ${JSON.stringify(e.name)} of ${source} (${e.dtype}) holds ${value} at element ${index}, ${why}; it cannot be loaded without changing it`);
}

/** Reads every tensor of a checked header: straight into its memory, or converted through scratch. */
function* readTensors(fn: string, source: string, header: Header): Generator<Read, Record<string, Tensor>, void> {
  const converted = header.entries.filter((e) => FILE_DTYPES[e.dtype]!.convert !== null && e.numel > 0);
  const scratchBytes = Math.min(SCRATCH_BYTES, Math.max(0, ...converted.map((e) => e.end - e.begin)));
  const scratch = new Uint8Array(scratchBytes);
  const loaded: [string, Tensor][] = [];
  for (const e of header.entries) {
    const out = allocate(fn, source, e);
    const { size, convert } = FILE_DTYPES[e.dtype]!;
    const position = header.dataStart + e.begin;
    if (convert === null) {
      if (e.numel > 0) yield { position, into: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) };
    } else {
      const perChunk = Math.floor(scratchBytes / size);
      for (let first = 0; first < e.numel; first += perChunk) {
        const count = Math.min(perChunk, e.numel - first);
        const chunk = scratch.subarray(0, count * size);
        yield { position: position + first * size, into: chunk };
        const bad = native.convertElements(chunk, convert, out, first);
        if (bad >= 0) throw outOfRange(fn, source, e, first + bad, chunk, bad * size);
      }
    }
    loaded.push([e.name, Tensor.from(out, e.shape)]);
  }
  return Object.fromEntries(loaded); // own properties: a tensor named "__proto__" stays data
}

function* readFile(fn: string, source: string, size: number): Generator<Read, Record<string, Tensor>, void> {
  return yield* readTensors(fn, source, yield* readHeader(fn, source, size));
}

function headerResult({ metadata, entries }: ParsedHeader): SafetensorsHeader {
  const tensors = Object.fromEntries(entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape, dataOffsets: [e.begin, e.end] as [number, number] }]));
  return { metadata, tensors };
}

// ---- drivers: who performs the reads ----------------------------------------------------

function runSync<T>(steps: Generator<Read, T, void>, read: (r: Read) => void): T {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    read(step.value);
  }
}

async function runAsync<T>(steps: Generator<Read, T, void>, read: (r: Read) => Promise<void>): Promise<T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await read(step.value);
  }
}

const shrunk = (fn: string, path: string, r: Read, got: number) =>
  new IOError(`${fn}: ${path} ended at byte ${r.position + got} while ${r.into.length} bytes were being read from ${r.position}; did the file change while it was read?`);

/** Opens path, runs the loader over it with readSync, and closes it. */
function withFileSync<T>(fn: string, path: string, make: (size: number) => Generator<Read, T, void>): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw systemError(fn, 'read', path, err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new IOError(`${fn}: cannot read ${path}: it is not a regular file`);
    return runSync(make(stat.size), (r) => {
      for (let done = 0; done < r.into.length; ) {
        let got: number;
        try {
          got = readSync(fd, r.into, done, r.into.length - done, r.position + done);
        } catch (err) {
          throw systemError(fn, 'read', path, err);
        }
        if (got === 0) throw shrunk(fn, path, r, done);
        done += got;
      }
    });
  } finally {
    closeSync(fd);
  }
}

async function withFile<T>(fn: string, path: string, make: (size: number) => Generator<Read, T, void>): Promise<T> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw systemError(fn, 'read', path, err);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new IOError(`${fn}: cannot read ${path}: it is not a regular file`);
    return await runAsync(make(stat.size), async (r) => {
      for (let done = 0; done < r.into.length; ) {
        let got: number;
        try {
          got = (await handle.read(r.into, done, r.into.length - done, r.position + done)).bytesRead;
        } catch (err) {
          throw systemError(fn, 'read', path, err);
        }
        if (got === 0) throw shrunk(fn, path, r, done);
        done += got;
      }
    });
  } finally {
    await handle.close();
  }
}

function checkBytes(fn: string, bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array)) fail(fn, 'bytes', 'a Uint8Array or Buffer', bytes);
  return bytes;
}

/** Runs the loader over bytes in memory; each read is a copy, so the result does not share them. */
function fromBytes<T>(bytes: Uint8Array, make: (size: number) => Generator<Read, T, void>): T {
  return runSync(make(bytes.length), (r) => r.into.set(bytes.subarray(r.position, r.position + r.into.length)));
}

/** Loads a safetensors file: { name: Tensor } in the order of the data. */
export async function loadSafetensors(path: string): Promise<Record<string, Tensor>> {
  const fn = 'loadSafetensors';
  checkPath(fn, path);
  return withFile(fn, path, (size) => readFile(fn, path, size));
}

/** loadSafetensors(), synchronously. */
export function loadSafetensorsSync(path: string): Record<string, Tensor> {
  const fn = 'loadSafetensorsSync';
  checkPath(fn, path);
  return withFileSync(fn, path, (size) => readFile(fn, path, size));
}

/** Loads safetensors bytes (a download, say); the tensors get copies, not views, of the bytes. */
export function loadSafetensorsFromBuffer(bytes: Uint8Array): Record<string, Tensor> {
  const fn = 'loadSafetensorsFromBuffer';
  checkBytes(fn, bytes);
  return fromBytes(bytes, (size) => readFile(fn, 'the buffer', size));
}

/** The metadata and each tensor's dtype, shape and offsets; from a path, only the header is read. */
export function readSafetensorsHeader(pathOrBytes: string | Uint8Array): SafetensorsHeader {
  const fn = 'readSafetensorsHeader';
  if (typeof pathOrBytes === 'string') {
    checkPath(fn, pathOrBytes);
    return headerResult(withFileSync(fn, pathOrBytes, (size) => readHeader(fn, pathOrBytes, size)));
  }
  if (!(pathOrBytes instanceof Uint8Array)) fail(fn, 'pathOrBytes', 'a file path or a Uint8Array', pathOrBytes);
  return headerResult(fromBytes(pathOrBytes, (size) => readHeader(fn, 'the buffer', size)));
}
