/**
 * IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 *
 *   bytes 0-1  0x00 0x00
 *   byte  2    element type: 0x08 unsigned byte, 0x09 signed byte, 0x0B short (2 bytes),
 *              0x0C int (4), 0x0D float (4), 0x0E double (8)
 *   byte  3    number of dimensions n (1..255)
 *   then n big-endian u32 sizes, then the elements in row-major order, big-endian.
 *
 * Files may be gzipped (recognised by the 1f 8b magic, whatever their name). A corrupt or
 * lying header is caught before anything of the size it claims is allocated: a raw file's
 * header is checked against the file's real size, and a gzip stream is inflated with a cap
 * of the size the header announces (plus one byte, to see that nothing follows).
 */
import { constants as bufferConstants } from 'node:buffer';
import { constants as zlibConstants, gunzip, gunzipSync, type ZlibOptions } from 'node:zlib';
import { IOError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { MAX_DIMS, MAX_NUMEL } from '../validate.js';
import { checkPath, readFileBytes, readFileBytesSync } from './files.js';

interface ElementType {
  name: string;
  size: number;
  /** Decodes `numel` big-endian elements that start at byte `start` of `bytes`. */
  decode(bytes: Uint8Array, start: number, numel: number): Int32Array | Float32Array;
}

// Element decoders. Integers become int32 (every IDX integer type fits); float and double
// become float32 (doubles lose precision: tensors here are float32).
function bigEndian<T extends Int32Array | Float32Array>(make: (n: number) => T, size: number, get: (v: DataView, at: number) => number) {
  return (bytes: Uint8Array, start: number, numel: number): T => {
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, numel * size);
    const out = make(numel);
    for (let i = 0; i < numel; i++) out[i] = get(view, i * size);
    return out;
  };
}

const TYPES: Record<number, ElementType> = {
  0x08: {
    name: 'unsigned byte',
    size: 1,
    decode: (bytes, start, numel) => {
      const out = new Int32Array(numel);
      out.set(bytes.subarray(start, start + numel)); // widens each byte
      return out;
    },
  },
  0x09: {
    name: 'signed byte',
    size: 1,
    decode: (bytes, start, numel) => {
      const out = new Int32Array(numel);
      out.set(new Int8Array(bytes.buffer, bytes.byteOffset + start, numel));
      return out;
    },
  },
  0x0b: { name: 'short', size: 2, decode: bigEndian((n) => new Int32Array(n), 2, (v, at) => v.getInt16(at)) },
  0x0c: { name: 'int', size: 4, decode: bigEndian((n) => new Int32Array(n), 4, (v, at) => v.getInt32(at)) },
  0x0d: { name: 'float', size: 4, decode: bigEndian((n) => new Float32Array(n), 4, (v, at) => v.getFloat32(at)) },
  0x0e: { name: 'double', size: 8, decode: bigEndian((n) => new Float32Array(n), 8, (v, at) => v.getFloat64(at)) },
};

const KNOWN_TYPES = Object.entries(TYPES)
  .map(([code, t]) => `0x${Number(code).toString(16).padStart(2, '0')} (${t.name})`)
  .join(', ');

/** The largest header: 4 bytes of magic and 255 sizes. */
const MAX_HEADER_BYTES = 4 + 4 * 255;

interface IdxHeader {
  type: ElementType;
  dims: number[];
  numel: number;
  headerBytes: number;
  /** Header plus payload: the exact size of a valid (decompressed) file. */
  totalBytes: number;
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Parses the header at the start of `bytes`. With complete = false, `bytes` is only a prefix
 * of the (decompressed) file and null means "need more bytes"; with complete = true a short
 * header is an error.
 */
function parseHeader(fn: string, path: string, bytes: Uint8Array, complete: boolean): IdxHeader | null {
  const bad = (what: string) => new IOError(`${fn}: ${path} is not a valid IDX file: ${what}`);
  if (bytes.length < 4) {
    if (!complete) return null;
    throw bad(`it has ${bytes.length} bytes, fewer than the 4 of the magic number`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw bad(`the magic number must start with two zero bytes, got ${hex(bytes[0]!)} ${hex(bytes[1]!)}`);
  }
  const type = TYPES[bytes[2]!];
  if (type === undefined) throw bad(`unknown element type code ${hex(bytes[2]!)}; IDX knows ${KNOWN_TYPES}`);
  const ndim = bytes[3]!;
  if (ndim === 0) throw bad('the header declares 0 dimensions (IDX needs 1 to 255)');
  if (ndim > MAX_DIMS) throw bad(`it has ${ndim} dimensions; tensors have at most ${MAX_DIMS}`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    if (!complete) return null;
    throw bad(`truncated header: ${ndim} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  let numel = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i); // unsigned, so never negative; 0 is allowed
    dims.push(d);
    numel *= d;
  }
  // With no zero size the running product only grows, so once it passes 2^48 (where it is
  // still exact) rounding further on cannot bring it back under: the check holds for any header.
  if (dims.some((d) => d === 0)) numel = 0;
  if (numel > MAX_NUMEL) {
    throw bad(`the header's sizes [${dims.join(', ')}] give ${numel} elements, more than the 2^48 a tensor can hold`);
  }
  return { type, dims, numel, headerBytes, totalBytes: headerBytes + numel * type.size };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Deflate expands at most about 1032:1, so this cap never cuts a valid prefix short. */
const MAX_DEFLATE_RATIO = 1032;

/** How much of a gzip stream may be inflated to find the header (stored blocks need ~1 KiB). */
const MAX_HEADER_PREFIX = 16384;

/**
 * Reads the IDX header of a gzipped file by inflating growing prefixes of it (64 bytes,
 * then 256, ... up to 16 KiB): the header is at most 1024 bytes, and a prefix can only
 * expand so much, so this allocates little whatever the stream holds.
 */
function gzipHeader(fn: string, path: string, file: Buffer): IdxHeader {
  for (let len = 64; ; len *= 4) {
    if (len > MAX_HEADER_PREFIX) {
      throw new IOError(`${fn}: ${path} is not a valid IDX file: its gzip stream yields no complete IDX header in its first ${MAX_HEADER_PREFIX} bytes`);
    }
    const prefix = file.subarray(0, Math.min(len, file.length));
    const complete = prefix.length === file.length;
    let out: Buffer;
    try {
      out = gunzipSync(prefix, {
        finishFlush: zlibConstants.Z_SYNC_FLUSH, // a cut-off stream yields what it has, no error
        maxOutputLength: Math.min(prefix.length * MAX_DEFLATE_RATIO + MAX_HEADER_BYTES, bufferConstants.MAX_LENGTH),
      });
    } catch (err) {
      throw gzipError(fn, path, err);
    }
    const header = parseHeader(fn, path, out, complete || out.length >= MAX_HEADER_BYTES);
    if (header !== null) return header;
  }
}

function gzipError(fn: string, path: string, err: unknown): IOError {
  const reason = (err as Error)?.message ?? String(err);
  return new IOError(`${fn}: ${path} is a corrupt gzip stream (${reason})`, { cause: err });
}

function truncated(fn: string, path: string, header: IdxHeader, actual: number, gzipped: boolean): IOError {
  const what = gzipped ? 'its decompressed contents have' : 'the file has';
  return new IOError(
    `${fn}: ${path} is truncated: the IDX header ([${header.dims.join(', ')}] of ${header.type.name}) needs ${header.totalBytes} bytes, ${what} ${actual}`,
  );
}

function trailing(fn: string, path: string, header: IdxHeader, actual: string, gzipped: boolean): IOError {
  const what = gzipped ? 'its decompressed contents have' : 'the file has';
  return new IOError(
    `${fn}: ${path} has trailing bytes: the IDX header ([${header.dims.join(', ')}] of ${header.type.name}) needs ${header.totalBytes} bytes, ${what} ${actual}`,
  );
}

// The inflate cap: one byte more than a valid payload, so trailing data shows up as
// "too large" without inflating all of it (Node caps any Buffer at MAX_LENGTH).
function inflateOptions(header: IdxHeader): ZlibOptions {
  return { maxOutputLength: Math.min(header.totalBytes + 1, bufferConstants.MAX_LENGTH) };
}

/** Turns a failed bounded inflate into the IOError that says what is wrong with the file. */
function inflateError(fn: string, path: string, file: Buffer, header: IdxHeader, err: unknown): IOError {
  const code = (err as { code?: unknown })?.code;
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    if (header.totalBytes >= bufferConstants.MAX_LENGTH) {
      return new IOError(`${fn}: ${path} is too large to read: its IDX header announces ${header.totalBytes} bytes`);
    }
    return trailing(fn, path, header, `more than ${header.totalBytes}`, true);
  }
  if (code === 'Z_BUF_ERROR') {
    // The stream ends early: inflate what there is (capped as before) to report how much.
    try {
      const partial = gunzipSync(file, { ...inflateOptions(header), finishFlush: zlibConstants.Z_SYNC_FLUSH });
      if (partial.length < header.totalBytes) return truncated(fn, path, header, partial.length, true);
      return new IOError(`${fn}: ${path} is a truncated gzip stream: the data is all there, but the stream's end (its checksum) is missing`);
    } catch {
      /* fall through to the plain message */
    }
  }
  return gzipError(fn, path, err);
}

/** Checks the payload's size against the header and decodes it into a tensor. */
function toTensor(fn: string, path: string, header: IdxHeader, bytes: Uint8Array, gzipped: boolean): Tensor {
  if (bytes.length < header.totalBytes) throw truncated(fn, path, header, bytes.length, gzipped);
  if (bytes.length > header.totalBytes) throw trailing(fn, path, header, String(bytes.length), gzipped);
  return Tensor.from(header.type.decode(bytes, header.headerBytes, header.numel), header.dims);
}

/**
 * Reads an IDX file (gzipped or raw) into a tensor shaped as its header says. Integer types
 * (unsigned/signed byte, short, int) give an int32 tensor; float and double give float32
 * (doubles are rounded to float32). Any malformed file gives an IOError naming it.
 */
export function readIdxSync(path: string): Tensor {
  const fn = 'readIdxSync';
  checkPath(fn, path);
  // Reading the file allocates its real size; the header's claim is checked before the
  // decoded tensor (or, for gzip, more than the announced size) is ever allocated.
  const file = readFileBytesSync(fn, path);
  if (!isGzip(file)) return toTensor(fn, path, parseHeader(fn, path, file, true)!, file, false);
  const header = gzipHeader(fn, path, file);
  let bytes: Buffer;
  try {
    bytes = gunzipSync(file, inflateOptions(header));
  } catch (err) {
    throw inflateError(fn, path, file, header, err);
  }
  return toTensor(fn, path, header, bytes, true);
}

/** readIdxSync without blocking: the file is read and inflated off the main thread. */
export async function readIdx(path: string): Promise<Tensor> {
  const fn = 'readIdx';
  checkPath(fn, path);
  const file = await readFileBytes(fn, path);
  if (!isGzip(file)) return toTensor(fn, path, parseHeader(fn, path, file, true)!, file, false);
  const header = gzipHeader(fn, path, file);
  const bytes = await new Promise<Buffer>((resolve, reject) =>
    gunzip(file, inflateOptions(header), (err, out) => (err ? reject(inflateError(fn, path, file, header, err)) : resolve(out))),
  );
  return toTensor(fn, path, header, bytes, true);
}
