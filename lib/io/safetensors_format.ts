/**
 * The safetensors format (https://github.com/huggingface/safetensors), as the reference
 * implementation (Rust, safetensors/src/tensor.rs) reads and writes it:
 *
 *   offset 0    8 bytes  N, the byte length of the header (u64, little-endian), at most 100,000,000
 *   offset 8    N bytes  the header, UTF-8 JSON starting with '{', padded with spaces (0x20) so
 *                        that 8 + N is a multiple of 8:
 *                          { "__metadata__": { "format": "pt", ... },          (optional, strings only)
 *                            "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24] }, ... }
 *   offset 8+N  the data: each tensor's elements, row-major, little-endian, at data_offsets
 *               [begin, end) relative to the start of the data. Sorted by begin, the tensors
 *               cover the data exactly: the first begins at 0, each begins where the previous
 *               one ends, and the last one ends where the file does.
 *
 * The writer orders tensors as the reference's `prepare` does (dtype alignment descending, so
 * F32 before I32, then by name as UTF-8 bytes) and writes the JSON as serde_json does, so a
 * file is byte for byte what `safetensors.torch.save_file` writes for the same tensors and
 * metadata (with more than one metadata key the reference's order is a hash map's; ours is the
 * object's).
 *
 * The reader refuses, before it allocates anything for tensor data: a header length over the
 * limit or beyond the file, a header that is not UTF-8 JSON starting with '{', a key repeated
 * in any object (JSON.parse would silently keep the last), `__metadata__` that is not a map of
 * strings to strings, an entry without a known dtype, a valid shape or two data offsets, a byte
 * count that is not the shape's, and offsets with a gap, an overlap or a tail of other bytes.
 */
import { IOError } from '../errors.js';
import { SourceType, type SourceTypeCode } from '../native.js';
import { describe, type DType, MAX_DIMS, MAX_NUMEL } from '../validate.js';

/** The reference's MAX_HEADER_SIZE. */
export const MAX_HEADER_SIZE = 100_000_000;
/** The length field's size, and the alignment of the data section. */
export const LENGTH_BYTES = 8;
export const METADATA_KEY = '__metadata__';

export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface FileDType {
  /** Bytes per element. */
  size: number;
  /** The tensor dtype it loads as. */
  loadsAs: DType;
  /** The native conversion to run; null when the bytes already are float32 / int32. */
  convert: SourceTypeCode | null;
  /** One element as text, for the error that reports a value out of range. */
  show(view: DataView, at: number): string;
}

const showFloat64 = (v: DataView, at: number) => String(v.getFloat64(at, true));
const showUint32 = (v: DataView, at: number) => String(v.getUint32(at, true));
const showNone = () => '';

/** The dtypes tensorgrad loads, and what each becomes. */
export const FILE_DTYPES: Record<string, FileDType> = {
  F32: { size: 4, loadsAs: 'float32', convert: null, show: showNone },
  I32: { size: 4, loadsAs: 'int32', convert: null, show: showNone },
  F16: { size: 2, loadsAs: 'float32', convert: SourceType.f16, show: showNone },
  BF16: { size: 2, loadsAs: 'float32', convert: SourceType.bf16, show: showNone },
  F64: { size: 8, loadsAs: 'float32', convert: SourceType.f64, show: showFloat64 },
  I64: { size: 8, loadsAs: 'int32', convert: SourceType.i64, show: (v, at) => String(v.getBigInt64(at, true)) },
  U64: { size: 8, loadsAs: 'int32', convert: SourceType.u64, show: (v, at) => String(v.getBigUint64(at, true)) },
  U32: { size: 4, loadsAs: 'int32', convert: SourceType.u32, show: showUint32 },
  I16: { size: 2, loadsAs: 'int32', convert: SourceType.i16, show: showNone },
  U16: { size: 2, loadsAs: 'int32', convert: SourceType.u16, show: showNone },
  I8: { size: 1, loadsAs: 'int32', convert: SourceType.i8, show: showNone },
  U8: { size: 1, loadsAs: 'int32', convert: SourceType.u8, show: showNone },
  BOOL: { size: 1, loadsAs: 'int32', convert: SourceType.bool, show: (v, at) => String(v.getUint8(at)) },
};

/** Dtypes the format defines that tensorgrad cannot represent: refused by name, not as unknown. */
const UNSUPPORTED_DTYPES = ['F4', 'F6_E2M3', 'F6_E3M2', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'C64'];

/** The reference's dtype order (increasing alignment) for the dtypes tensorgrad writes. */
const WRITE_ORDER: Record<DType, number> = { int32: 0, float32: 1 };
export const WRITTEN_DTYPE: Record<DType, string> = { float32: 'F32', int32: 'I32' };

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  numel: number;
  begin: number;
  end: number;
}

export interface ParsedHeader {
  metadata: Record<string, string>;
  /** Sorted by data offset, which is the order of the data. */
  entries: TensorEntry[];
}

/** The error for a malformed file; `source` is the path, or "the buffer". */
export function invalid(fn: string, source: string, what: string): IOError {
  return new IOError(`${fn}: ${source} is not a valid safetensors file: ${what}`);
}

/** Big-endian hosts would need every element byte-swapped; no platform tensorgrad ships for is one. */
export function checkHostEndianness(fn: string): void {
  if (!LITTLE_ENDIAN) {
    throw new IOError(`${fn}: safetensors stores little-endian elements, and this host is big-endian, which tensorgrad's safetensors support does not handle`);
  }
}

/**
 * N from the first 8 bytes of a file of `fileSize` bytes, checked as the reference checks it:
 * at most MAX_HEADER_SIZE (HeaderTooLarge) and within the file (InvalidHeaderLength).
 */
export function headerLength(fn: string, source: string, first: Uint8Array, fileSize: number): number {
  if (fileSize < LENGTH_BYTES) throw invalid(fn, source, `it has ${fileSize} bytes, fewer than the ${LENGTH_BYTES} of the header length`);
  const n = new DataView(first.buffer, first.byteOffset, LENGTH_BYTES).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) throw invalid(fn, source, `its header length ${n} is over the limit of ${MAX_HEADER_SIZE} bytes`);
  const length = Number(n);
  if (LENGTH_BYTES + length > fileSize) {
    throw invalid(fn, source, `its header length ${length} runs past the end: the header needs bytes 8 to ${8 + length}, the file has ${fileSize}`);
  }
  return length;
}

/**
 * The first key that appears twice in one object of `text` (valid JSON), with the keys of the
 * objects around it, or null. A small scanner: strings (with escapes) and nesting only.
 */
export function findDuplicateKey(text: string): string[] | null {
  // One entry per open bracket: the keys seen so far ({) or null ([), and the key it sits under.
  const stack: { keys: Set<string> | null; under: string | null }[] = [];
  let expectKey = false;
  let lastKey: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string; // decodes escapes: "\u0061" is "a"
        if (top.keys.has(key)) return [...stack.slice(1).map((s) => s.under!), key];
        top.keys.add(key);
        lastKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      stack.push({ keys: c === '{' ? new Set() : null, under: lastKey });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1]?.keys != null;
    }
  }
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseEntry(bad: (what: string) => IOError, name: string, info: unknown): TensorEntry {
  const wrong = (what: string) => bad(`tensor ${JSON.stringify(name)} ${what}`);
  if (!isObject(info)) throw wrong(`must be an object with dtype, shape and data_offsets, got ${describe(info)}`);
  for (const field of ['dtype', 'shape', 'data_offsets']) if (!(field in info)) throw wrong(`has no "${field}"`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string') throw wrong(`has a dtype that is not a string: ${describe(dtype)}`);
  const fileDType = Object.hasOwn(FILE_DTYPES, dtype) ? FILE_DTYPES[dtype]! : undefined;
  if (fileDType === undefined) {
    if (UNSUPPORTED_DTYPES.includes(dtype)) throw wrong(`has dtype ${dtype}, which tensorgrad does not support (it loads ${Object.keys(FILE_DTYPES).join(', ')})`);
    throw wrong(`has an unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || shape.length > MAX_DIMS || !shape.every(isCount)) {
    throw wrong(`has an invalid shape ${describe(shape)}: expected at most ${MAX_DIMS} non-negative integers`);
  }
  const numel = shape.reduce((a: number, b: number) => a * b, 1);
  if (numel > MAX_NUMEL) throw wrong(`has shape [${shape.join(', ')}], more than 2^48 elements`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw wrong(`has invalid data_offsets ${describe(offsets)}: expected two non-negative integers [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw wrong(`has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end - begin !== numel * fileDType.size) {
    throw wrong(`has ${end - begin} bytes (data_offsets [${begin}, ${end}]), but shape [${shape.join(', ')}] of ${dtype} needs ${numel * fileDType.size}`);
  }
  return { name, dtype, shape: shape as number[], numel, begin, end };
}

/** Parses and checks the header bytes against `dataLength`, the bytes the file has after them. */
export function parseHeader(fn: string, source: string, header: Uint8Array, dataLength: number): ParsedHeader {
  const bad = (what: string) => invalid(fn, source, what);
  // The byte, not the decoded text: TextDecoder would quietly drop a leading byte-order mark.
  if (header[0] !== 0x7b) throw bad(`its header must start with '{', got ${header.length === 0 ? 'an empty header' : `the byte 0x${header[0]!.toString(16).padStart(2, '0')}`}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(header);
  } catch {
    throw bad('its header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw bad(`its header is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(json)) throw bad(`its header must be a JSON object, got ${describe(json)}`);
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) {
    const key = duplicate[duplicate.length - 1]!;
    const where = duplicate.length === 1 ? 'its header' : `its header's ${duplicate.slice(0, -1).map((k) => JSON.stringify(k)).join(' → ')}`;
    throw bad(`${where} has the key ${JSON.stringify(key)} twice`);
  }

  const metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name !== METADATA_KEY) {
      entries.push(parseEntry(bad, name, value));
      continue;
    }
    if (!isObject(value)) throw bad(`its ${METADATA_KEY} must be an object of strings, got ${describe(value)}`);
    for (const [key, v] of Object.entries(value)) {
      if (typeof v !== 'string') throw bad(`its ${METADATA_KEY} must map strings to strings, but ${JSON.stringify(key)} is ${describe(v)}`);
      Object.defineProperty(metadata, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }

  // The data's order; ties (empty tensors at one offset) keep the header's order.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.begin !== pos) {
      const how = e.begin > pos ? `a gap of ${e.begin - pos} bytes before it` : `it overlaps the tensor before it by ${pos - e.begin} bytes`;
      throw bad(`tensor ${JSON.stringify(e.name)} begins at data offset ${e.begin}, not at ${pos} where ${pos === 0 ? 'the data starts' : 'the previous one ends'} (${how})`);
    }
    pos = e.end;
  }
  if (pos > dataLength) throw bad(`it is truncated: its header describes ${pos} bytes of data, the file has ${dataLength}`);
  if (pos < dataLength) throw bad(`it has ${dataLength - pos} trailing bytes after the ${pos} bytes of data its header describes`);
  return { metadata, entries };
}

// ---- writing ----------------------------------------------------------------------------

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether s can be written as UTF-8: no lone surrogates (isWellFormed, which our TypeScript lib does not declare). */
export const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

export interface WrittenTensor {
  name: string;
  dtype: DType;
  shape: number[];
  byteLength: number;
}

/** Compares names as the reference does: as UTF-8 bytes (JS's < compares UTF-16 units). */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The reference's order of the tensors in the file (sorts `tensors` in place and returns it). */
export function writeOrder<T extends WrittenTensor>(tensors: T[]): T[] {
  return tensors.sort((a, b) => WRITE_ORDER[b.dtype] - WRITE_ORDER[a.dtype] || byUtf8(a.name, b.name));
}

/**
 * The length field and the padded header for tensors already in writeOrder. JSON.stringify
 * escapes strings exactly as serde_json does (well-formed strings: the caller checks).
 */
export function encodeHeader(tensors: readonly WrittenTensor[], metadata: Record<string, string>): { prefix: Uint8Array; dataLength: number } {
  const fields = [`${JSON.stringify(METADATA_KEY)}:{${Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`];
  let offset = 0;
  for (const t of tensors) {
    const info = `{"dtype":"${WRITTEN_DTYPE[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + t.byteLength}]}`;
    fields.push(`${JSON.stringify(t.name)}:${info}`);
    offset += t.byteLength;
  }
  const json = Buffer.from(`{${fields.join(',')}}`, 'utf8');
  const n = Math.ceil(json.length / LENGTH_BYTES) * LENGTH_BYTES;
  const prefix = new Uint8Array(LENGTH_BYTES + n).fill(0x20, LENGTH_BYTES + json.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(n), true);
  prefix.set(json, LENGTH_BYTES);
  return { prefix, dataLength: offset };
}
