/**
 * The save file format (TGSAVE, version 1): a tree of JSON values and tensors, such as a
 * module's stateDict() or an optimizer's.
 *
 *   offset 0    8 bytes  magic "TGSAVE1\n"
 *   offset 8    4 bytes  H, the byte length of the JSON header (u32, little-endian)
 *   offset 12   H bytes  the header, UTF-8 JSON: { "version": 1, "dataLength": D, "root": tree }
 *               zero bytes up to the next multiple of 64, where the data section starts
 *   dataStart   D bytes  the tensors' elements, row-major, little-endian; each tensor at
 *                        dataStart + its offset (a multiple of 64), zero bytes between them.
 *   The file ends exactly at dataStart + D.
 *
 * In the tree, JSON values stand for themselves, except:
 *   - a Tensor is { "__tensor": i, "dtype": "float32" | "int32", "shape": [...], "offset": o,
 *     "byteLength": b }, i numbering distinct tensors; a tensor reached twice is stored once
 *     and loads as one Tensor in both places;
 *   - NaN, Infinity, -Infinity and -0 (JSON has no way to write them) are { "__number": "NaN" } etc.;
 *   - a plain object that has a key "__tensor", "__number" or "__object" of its own is
 *     wrapped as { "__object": {...} }, so user data can never be read back as a marker.
 * Object properties that are undefined are left out, as JSON.stringify does.
 */
import { ArgumentError, IOError } from '../errors.js';
import { checkTensor, Tensor } from '../tensor.js';
import { describe, type DType, MAX_DIMS, MAX_NUMEL } from '../validate.js';

const MAGIC = Buffer.from('TGSAVE1\n', 'latin1');
const PREAMBLE = MAGIC.length + 4;
const ALIGN = 64;
const VERSION = 1;
const MARKERS = ['__tensor', '__number', '__object'];
const SPECIAL_NUMBERS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
const TENSOR_KEYS = ['__tensor', 'dtype', 'shape', 'offset', 'byteLength'];
/** Deeper trees are refused on load (a corrupt file must not overflow the stack). */
const MAX_DEPTH = 1000;
const ZEROS = new Uint8Array(ALIGN);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Element bytes in file order: on a big-endian host each 4-byte element is reversed (a copy). */
function littleEndian(bytes: Uint8Array): Uint8Array {
  if (LITTLE_ENDIAN) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3]!;
    out[i + 1] = bytes[i + 2]!;
    out[i + 2] = bytes[i + 1]!;
    out[i + 3] = bytes[i]!;
  }
  return out;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

interface TensorEntry {
  tensor: Tensor;
  where: string;
  offset: number;
  byteLength: number;
}

export interface Encoded {
  /** Magic, header length, header and the padding up to the data section. */
  prefix: Uint8Array;
  tensors: TensorEntry[];
}

/** Turns obj into the header and the list of tensors to write after it (nothing is read from them yet). */
export function encode(fn: string, obj: unknown): Encoded {
  const tensors: TensorEntry[] = [];
  const index = new Map<Tensor, unknown>();
  const onPath = new Set<object>();
  let dataLength = 0;
  const walk = (v: unknown, where: string): unknown => {
    if (typeof v === 'number') {
      return Number.isFinite(v) && !Object.is(v, -0) ? v : { __number: Object.is(v, -0) ? '-0' : String(v) };
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v instanceof Tensor) {
      checkTensor(fn, where, v);
      const seen = index.get(v);
      if (seen !== undefined) return seen;
      const offset = align(dataLength);
      const byteLength = v.numel * 4; // float32 and int32 both take 4 bytes
      dataLength = offset + byteLength;
      const node = { __tensor: tensors.length, dtype: v.dtype, shape: v.shape, offset, byteLength };
      tensors.push({ tensor: v, where, offset, byteLength });
      index.set(v, node);
      return node;
    }
    if (typeof v !== 'object' || (!Array.isArray(v) && !isPlainObject(v))) {
      throw new ArgumentError(`${fn}: ${where} must be a Tensor, number, string, boolean, null, array or plain object, got ${describe(v)}`);
    }
    if (onPath.has(v)) throw new ArgumentError(`${fn}: ${where} contains itself (a cycle cannot be saved)`);
    onPath.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      out = v.map((item, i) => {
        if (item === undefined) throw new ArgumentError(`${fn}: ${childPath(where, i)} is undefined (arrays cannot hold undefined in a save file; use null)`);
        return walk(item, childPath(where, i));
      });
    } else {
      const entries = Object.entries(v).filter(([, item]) => item !== undefined);
      const fields = Object.fromEntries(entries.map(([k, item]) => [k, walk(item, childPath(where, k))]));
      out = entries.some(([k]) => MARKERS.includes(k)) ? { __object: fields } : fields;
    }
    onPath.delete(v);
    return out;
  };
  const root = walk(obj, 'obj');
  const header = Buffer.from(JSON.stringify({ version: VERSION, dataLength, root }), 'utf8');
  const prefix = new Uint8Array(align(PREAMBLE + header.length));
  prefix.set(MAGIC);
  new DataView(prefix.buffer).setUint32(MAGIC.length, header.length, true);
  prefix.set(header, PREAMBLE);
  return { prefix, tensors };
}

/**
 * The file's bytes, chunk by chunk. Each tensor's data is read only when its chunk is
 * reached (a view of its memory where possible), so a tensor disposed in the meantime
 * fails here, half way through the write.
 */
export function* chunks(fn: string, encoded: Encoded): Generator<Uint8Array> {
  yield encoded.prefix;
  let pos = 0;
  for (const { tensor, where, offset, byteLength } of encoded.tensors) {
    if (offset > pos) yield ZEROS.subarray(0, offset - pos);
    checkTensor(fn, where, tensor);
    const data = tensor.data();
    if (data.byteLength !== byteLength) throw new ArgumentError(`${fn}: ${where} changed size while it was being saved`);
    yield littleEndian(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    pos = offset + byteLength;
  }
}

/** All the chunks, copied now: what an asynchronous save writes, whatever happens to the tensors meanwhile. */
export function snapshot(fn: string, encoded: Encoded): Uint8Array[] {
  return Array.from(chunks(fn, encoded), (chunk) => chunk.slice());
}

// ---- loading ----------------------------------------------------------------------------

/** Reads a whole save file back into its tree, checking every size and offset first. */
export function decode(fn: string, path: string, file: Uint8Array): unknown {
  const bad = (what: string) => new IOError(`${fn}: ${path} is not a valid tensorgrad save file: ${what}`);
  const head = file.subarray(0, MAGIC.length);
  if (!MAGIC.subarray(0, head.length).equals(head)) throw bad('it does not start with the magic "TGSAVE1\\n"');
  if (file.length < PREAMBLE) throw bad(`it is truncated: ${file.length} bytes, fewer than the ${PREAMBLE} of the preamble`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  if (PREAMBLE + headerLength > file.length) {
    throw bad(`it is truncated: the header needs bytes ${PREAMBLE} to ${PREAMBLE + headerLength}, the file has ${file.length}`);
  }
  let header: { version?: unknown; dataLength?: unknown; root?: unknown };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(PREAMBLE, PREAMBLE + headerLength)));
  } catch (err) {
    throw bad(`its header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || !('root' in header)) throw bad('its header has no "root"');
  if (header.version !== VERSION) throw bad(`it is version ${describe(header.version)}; this tensorgrad reads version ${VERSION}`);
  const dataLength = header.dataLength;
  if (typeof dataLength !== 'number' || !Number.isSafeInteger(dataLength) || dataLength < 0) {
    throw bad(`its header's dataLength must be a non-negative integer, got ${describe(dataLength)}`);
  }
  const dataStart = align(PREAMBLE + headerLength);
  const expected = dataStart + dataLength;
  if (file.length < expected) throw bad(`it is truncated: the header describes ${expected} bytes, the file has ${file.length}`);
  if (file.length > expected) throw bad(`it has trailing bytes: the header describes ${expected} bytes, the file has ${file.length}`);

  const loaded = new Map<number, { node: Record<string, unknown>; tensor: Tensor }>();
  const loadTensor = (node: Record<string, unknown>, where: string): Tensor => {
    const wrong = (what: string) => bad(`the tensor at ${where} ${what}`);
    if (Object.keys(node).length !== TENSOR_KEYS.length || !TENSOR_KEYS.every((k) => k in node)) {
      throw wrong(`must have exactly the fields ${TENSOR_KEYS.join(', ')}`);
    }
    const { __tensor: id, dtype, shape, offset, byteLength } = node;
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw wrong(`has an invalid index ${describe(id)}`);
    const earlier = loaded.get(id as number);
    if (earlier !== undefined) {
      if (JSON.stringify(earlier.node) !== JSON.stringify(node)) throw wrong(`describes tensor ${id} differently from an earlier mention`);
      return earlier.tensor;
    }
    if (dtype !== 'float32' && dtype !== 'int32') throw wrong(`has an unknown dtype ${describe(dtype)}`);
    if (!Array.isArray(shape) || shape.length > MAX_DIMS || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw wrong(`has an invalid shape ${describe(shape)}`);
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (numel > MAX_NUMEL) throw wrong(`has a shape of more than 2^48 elements`);
    if (byteLength !== numel * 4) throw wrong(`has byteLength ${describe(byteLength)}, but shape [${shape.join(', ')}] of ${dtype} needs ${numel * 4}`);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) % ALIGN !== 0) {
      throw wrong(`has offset ${describe(offset)}; offsets are non-negative multiples of ${ALIGN}`);
    }
    if ((offset as number) + numel * 4 > dataLength) {
      throw wrong(`lies outside the data section: bytes ${offset} to ${(offset as number) + numel * 4} of ${dataLength}`);
    }
    // A copy, so each tensor owns aligned memory and the file's buffer can be freed.
    const start = dataStart + (offset as number);
    const bytes = littleEndian(new Uint8Array(file.subarray(start, start + numel * 4)));
    const data = dtype === 'float32' ? new Float32Array(bytes.buffer, bytes.byteOffset, numel) : new Int32Array(bytes.buffer, bytes.byteOffset, numel);
    const tensor = Tensor.from(data, shape as number[]);
    loaded.set(id as number, { node, tensor });
    return tensor;
  };

  const build = (v: unknown, where: string, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw bad(`its tree is nested more than ${MAX_DEPTH} levels deep`);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item, i) => build(item, childPath(where, i), depth + 1));
    const node = v as Record<string, unknown>;
    if ('__tensor' in node) return loadTensor(node, where);
    if ('__number' in node) {
      const text = node.__number;
      if (Object.keys(node).length !== 1 || typeof text !== 'string' || !Object.hasOwn(SPECIAL_NUMBERS, text)) {
        throw bad(`${where} is a malformed special number ${JSON.stringify(node)}`);
      }
      return SPECIAL_NUMBERS[text];
    }
    let fields = node;
    if ('__object' in node) {
      if (Object.keys(node).length !== 1 || node.__object === null || typeof node.__object !== 'object' || Array.isArray(node.__object)) {
        throw bad(`${where} is a malformed wrapped object`);
      }
      fields = node.__object as Record<string, unknown>;
    }
    // fromEntries defines own properties, so a key "__proto__" stays data, never a prototype.
    return Object.fromEntries(Object.entries(fields).map(([k, item]) => [k, build(item, childPath(where, k), depth + 1)]));
  };
  return build(header.root, 'obj', 0);
}
