/**
 * safetensors in io: round trips (path and Buffer, sync and async), PyTorch's files for every
 * dtype tensorgrad loads (test/fixtures/safetensors, made by test/fixtures/make_safetensors_fixtures.py),
 * byte-identical output to safetensors.torch.save_file, every malformed-file check of the
 * reference reader on hand-built bytes, and bad arguments.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArgumentError, IOError, Tensor, tensor } from '../lib/index.js';
import * as io from '../lib/io/index.js';
import { rejected, tempFolder, thrown } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/safetensors', import.meta.url));
interface Expected {
  loads: Record<string, Record<string, { dtype: string; shape: number[]; values: number[] }>>;
  refused: Record<string, { tensor: string; index: number; value: string }>;
  written: Record<string, { metadata: Record<string, string>; tensors: Record<string, { dtype: 'float32' | 'int32'; shape: number[]; values: number[] }> }>;
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
const fixture = (name: string) => join(FIXTURES, `${name}.safetensors`);

const { dir, file: write } = tempFolder('tensorgrad-safetensors-');
let fileCount = 0;
const file = (contents: Uint8Array, name = `f${fileCount++}.safetensors`): string => write(contents, name);

/** A file of a header (text, or an object to stringify) padded to 8 bytes, then data. */
function build(header: string | object, data: Uint8Array | number = 0, { length }: { length?: bigint } = {}): Buffer {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = Buffer.from(text, 'utf8');
  const n = Math.ceil(json.length / 8) * 8;
  const bytes = Buffer.alloc(8 + n, 0x20);
  bytes.writeBigUInt64LE(length ?? BigInt(n), 0);
  json.copy(bytes, 8);
  return Buffer.concat([bytes, typeof data === 'number' ? Buffer.alloc(data) : data]);
}
const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

/** The bits of a Float32Array as int32s: compares -0, NaN payloads and subnormals exactly. */
const bits = (t: Tensor) => {
  const d = t.data(); // read through an Int32Array view: a JS number would not keep a NaN's payload
  return Array.from(new Int32Array(d.buffer, d.byteOffset, d.length));
};

/** The IOError each loader, and readSafetensorsHeader, gives for these bytes, all with `message` (the source named). */
async function expectRefused(bytes: Uint8Array, message: RegExp): Promise<void> {
  const path = file(bytes);
  const before = process.memoryUsage().arrayBuffers;
  const errors = [
    thrown(() => io.loadSafetensorsSync(path)),
    await rejected(io.loadSafetensors(path)),
    thrown(() => io.loadSafetensorsFromBuffer(bytes)),
    thrown(() => io.readSafetensorsHeader(path)),
    thrown(() => io.readSafetensorsHeader(bytes)),
  ];
  // Nothing of the size a header claims was allocated on the way to the error.
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  for (const e of errors) {
    expect(e).toBeInstanceOf(IOError);
    expect(e.message).toMatch(message);
  }
  expect(errors[0]!.message).toContain(`loadSafetensorsSync: ${path} is not a valid safetensors file: `);
  expect(errors[2]!.message).toContain('loadSafetensorsFromBuffer: the buffer is not a valid safetensors file: ');
}

// ---- round trips --------------------------------------------------------------------------

describe('saving and loading', () => {
  const sample = () => ({
    weight: tensor([[1.5, -2, 3e-39], [Infinity, -0, NaN]]),
    labels: tensor([[1, -2147483648], [2147483647, 0]], { dtype: 'int32' }),
    scalar: tensor(7.25),
    empty: tensor([], { dtype: 'int32' }).reshape(0, 3),
  });
  const expectSample = (back: Record<string, Tensor>) => {
    const want = sample();
    expect(Object.keys(back).sort()).toEqual(Object.keys(want).sort());
    for (const [name, t] of Object.entries(want)) {
      expect(back[name]!.dtype, name).toBe(t.dtype);
      expect(back[name]!.shape, name).toEqual(t.shape);
      if (t.dtype === 'float32') expect(bits(back[name]!), name).toEqual(bits(t));
      else expect(Array.from(back[name]!.data()), name).toEqual(Array.from(t.data()));
    }
  };

  it('round-trips float32 and int32 exactly: path sync and async, and Buffer', async () => {
    const a = join(dir, 'sync.safetensors');
    io.saveSafetensorsSync(sample(), a);
    const loaded = io.loadSafetensorsSync(a);
    expectSample(loaded);
    // Each tensor owns exactly its own memory (read straight into it), not a view of the file.
    const memory = loaded.weight!.data();
    expect([memory.byteOffset, memory.buffer.byteLength]).toEqual([0, 6 * 4]);
    expectSample(await io.loadSafetensors(a));
    const b = join(dir, 'async.safetensors');
    await io.saveSafetensors(sample(), b);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    const bytes = io.saveSafetensorsToBuffer(sample());
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.equals(readFileSync(a))).toBe(true);
    expectSample(io.loadSafetensorsFromBuffer(bytes));
    expectSample(io.loadSafetensorsFromBuffer(new Uint8Array(bytes))); // a plain Uint8Array too
  });

  it('writes the default metadata { format: "pt" }, or the given strings', () => {
    const t = { x: tensor([1]) };
    expect(io.readSafetensorsHeader(io.saveSafetensorsToBuffer(t)).metadata).toEqual({ format: 'pt' });
    const metadata = { format: 'pt', note: 'ünï "quoted"\n', '': 'empty key' };
    const path = join(dir, 'meta.safetensors');
    io.saveSafetensorsSync(t, path, { metadata });
    expect(io.readSafetensorsHeader(path).metadata).toEqual(metadata);
    expect(io.readSafetensorsHeader(io.saveSafetensorsToBuffer(t, { metadata: {} })).metadata).toEqual({});
  });

  it('handles an empty dict, empty and 0-d tensors, and views', () => {
    expect(io.loadSafetensorsFromBuffer(io.saveSafetensorsToBuffer({}))).toEqual({});
    const view = tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1); // not contiguous: saved contiguous
    const back = io.loadSafetensorsFromBuffer(io.saveSafetensorsToBuffer({ view, zero: tensor([]).reshape(2, 0, 3), s: tensor(3, { dtype: 'int32' }) }));
    expect(back.view!.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(back.zero!.shape).toEqual([2, 0, 3]);
    expect(back.s!.shape).toEqual([]);
    expect(back.s!.item()).toBe(3);
  });

  it('keeps a tensor named "__proto__" as data, and returns own properties', () => {
    const tensors: Record<string, Tensor> = {};
    Object.defineProperty(tensors, '__proto__', { value: tensor([1, 2]), enumerable: true });
    const back = io.loadSafetensorsFromBuffer(io.saveSafetensorsToBuffer(tensors));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')!.value.toArray()).toEqual([1, 2]);
  });

  it('copies the bytes of a Buffer, so later writes to it do not reach the tensors', () => {
    const bytes = io.saveSafetensorsToBuffer({ x: tensor([1, 2, 3]), i: tensor([4], { dtype: 'int32' }) });
    const back = io.loadSafetensorsFromBuffer(bytes);
    bytes.fill(0xff, bytes.length - 16);
    expect(back.x!.toArray()).toEqual([1, 2, 3]);
    expect(back.i!.toArray()).toEqual([4]);
  });

  it('streams converted tensors through several scratch chunks', () => {
    // 2.5M F16 elements and 600k I64 ones: more than one 4 MiB scratch buffer each.
    const halves = new Uint16Array(2_500_000).map((_, i) => (i % 3 === 0 ? 0x3c00 : i % 3 === 1 ? 0xc000 : 0x0001));
    const longs = new BigInt64Array(600_000).map((_, i) => BigInt(i - 300_000));
    const data = Buffer.concat([Buffer.from(longs.buffer), Buffer.from(halves.buffer)]);
    const bytes = build({ h: { dtype: 'F16', shape: [2_500_000], data_offsets: [4_800_000, 9_800_000] }, l: { dtype: 'I64', shape: [600, 1000], data_offsets: [0, 4_800_000] } }, data);
    const back = io.loadSafetensorsSync(file(bytes));
    const h = back.h!.data();
    expect([h[0], h[1], h[2], h[2_499_999]]).toEqual([1, -2, 2 ** -24, 1]);
    const l = back.l!.data();
    expect(back.l!.dtype).toBe('int32');
    expect([l[0], l[300_000], l[599_999]]).toEqual([-300_000, 0, 299_999]);
    // An out-of-range value in the second chunk is reported at its index in the whole tensor.
    longs[550_123] = 2n ** 40n;
    const bad = build({ l: { dtype: 'I64', shape: [600_000], data_offsets: [0, 4_800_000] } }, Buffer.from(longs.buffer));
    expect(thrown(() => io.loadSafetensorsFromBuffer(bad)).message).toMatch(/tensor "l" of the buffer \(I64\) holds 1099511627776 at element 550123, outside the range of int32/);
  });
});

// ---- files from PyTorch ------------------------------------------------------------------

describe('files written by safetensors.torch', () => {
  for (const [name, tensors] of Object.entries(expected.loads)) {
    it(`loads ${name}`, async () => {
      const bytes = readFileSync(fixture(name));
      for (const back of [io.loadSafetensorsSync(fixture(name)), await io.loadSafetensors(fixture(name)), io.loadSafetensorsFromBuffer(bytes)]) {
        expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
        for (const [key, want] of Object.entries(tensors)) {
          const t = back[key]!;
          expect(t.shape, key).toEqual(want.shape);
          const floating = ['float16', 'bfloat16', 'float64'].includes(want.dtype);
          expect(t.dtype, key).toBe(floating ? 'float32' : 'int32');
          expect(floating ? bits(t) : Array.from(t.data()), key).toEqual(want.values);
        }
      }
    });
  }

  for (const [name, want] of Object.entries(expected.refused)) {
    it(`refuses ${name}, naming the tensor, the element and the value`, async () => {
      const errors = [
        thrown(() => io.loadSafetensorsSync(fixture(name))),
        await rejected(io.loadSafetensors(fixture(name))),
        thrown(() => io.loadSafetensorsFromBuffer(readFileSync(fixture(name)))),
      ];
      for (const e of errors) {
        expect(e).toBeInstanceOf(IOError);
        expect(e.message).toContain(`holds ${want.value} at element ${want.index}, `);
      }
      expect(errors[0]!.message).toContain(`loadSafetensorsSync: tensor "${want.tensor}" of ${fixture(name)} (`);
      expect(errors[2]!.message).toContain(`loadSafetensorsFromBuffer: tensor "${want.tensor}" of the buffer (`);
    });
  }

  for (const [name, want] of Object.entries(expected.written)) {
    it(`writes ${name} byte for byte as safetensors.torch.save_file does`, () => {
      const tensors = Object.fromEntries(
        Object.entries(want.tensors).map(([k, t]) => {
          const values = t.dtype === 'float32' ? new Float32Array(new Int32Array(t.values).buffer) : Int32Array.from(t.values);
          return [k, Tensor.from(values, t.shape)];
        }),
      );
      const reference = readFileSync(fixture(name));
      expect(io.saveSafetensorsToBuffer(tensors, { metadata: want.metadata }).equals(reference)).toBe(true);
      const path = join(dir, `${name}.safetensors`);
      io.saveSafetensorsSync(tensors, path, { metadata: want.metadata });
      expect(readFileSync(path).equals(reference)).toBe(true);
      if (JSON.stringify(want.metadata) === '{"format":"pt"}') expect(io.saveSafetensorsToBuffer(tensors).equals(reference)).toBe(true);
    });
  }

  it('reads a header without the data: metadata, dtypes, shapes and offsets in data order', () => {
    const header = io.readSafetensorsHeader(fixture('i64'));
    expect(header).toEqual({
      metadata: {},
      tensors: {
        num_batches_tracked: { dtype: 'I64', shape: [], dataOffsets: [0, 8] },
        x: { dtype: 'I64', shape: [2, 3], dataOffsets: [8, 56] },
      },
    });
    expect(Object.keys(io.readSafetensorsHeader(readFileSync(fixture('written_default'))).tensors)[0]).toBe('a');
    expect(io.readSafetensorsHeader(fixture('written_metadata')).metadata).toEqual(expected.written.written_metadata!.metadata);
  });
});

// ---- malformed files -----------------------------------------------------------------------

describe('malformed files', () => {
  const good = build({ __metadata__: { format: 'pt' }, a: f32([2], 0, 8), b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] } }, 12);

  it('refuses a file shorter than the length field', async () => {
    for (let n = 0; n < 8; n++) await expectRefused(good.subarray(0, n), new RegExp(`it has ${n} bytes, fewer than the 8 of the header length`));
  });

  it('refuses a header length over 100,000,000 bytes (N = 2^63 too) before reading it', async () => {
    await expectRefused(build('{}', 0, { length: 2n ** 63n }), /its header length 9223372036854775808 is over the limit of 100000000 bytes/);
    await expectRefused(build('{}', 0, { length: 100_000_001n }), /its header length 100000001 is over the limit/);
  });

  it('refuses a header length that runs past the end of the file', async () => {
    await expectRefused(build('{}', 0, { length: 100_000_000n }), /its header length 100000000 runs past the end: the header needs bytes 8 to 100000008, the file has 16/);
  });

  it('refuses truncation at every byte length, and trailing bytes', async () => {
    for (let n = 8; n < good.length; n++) {
      const e = thrown(() => io.loadSafetensorsFromBuffer(good.subarray(0, n)));
      expect(e, `length ${n}`).toBeInstanceOf(IOError);
      expect(e.message, `length ${n}`).toMatch(/runs past the end|is truncated: its header describes 12 bytes of data/);
    }
    await expectRefused(Buffer.concat([good, Buffer.from([0])]), /it has 1 trailing bytes after the 12 bytes of data its header describes/);
    expect(io.loadSafetensorsFromBuffer(good).a!.shape).toEqual([2]);
  });

  it('refuses a header that is not UTF-8, not JSON, or does not start with "{"', async () => {
    const notUtf8 = build('{"a":1}');
    notUtf8[10] = 0xff;
    await expectRefused(notUtf8, /its header is not valid UTF-8/);
    await expectRefused(build('{"a":'), /its header is not valid JSON/);
    await expectRefused(build(' {}'), /its header must start with '\{', got the byte 0x20/);
    await expectRefused(build('[]'), /its header must start with '\{', got the byte 0x5b/);
    await expectRefused(build('\ufeff{}'), /its header must start with '\{', got the byte 0xef/);
    await expectRefused(build(''), /its header must start with '\{', got an empty header/);
  });

  it('refuses __metadata__ that is not a map of strings to strings', async () => {
    await expectRefused(build({ __metadata__: ['pt'] }), /its __metadata__ must be an object of strings, got an array/);
    await expectRefused(build({ __metadata__: 'pt' }), /its __metadata__ must be an object of strings, got the string "pt"/);
    await expectRefused(build({ __metadata__: { format: 'pt', epoch: 3 } }), /its __metadata__ must map strings to strings, but "epoch" is the number 3/);
  });

  it('refuses entries without dtype, shape or data_offsets, or not objects', async () => {
    await expectRefused(build({ a: { shape: [1], data_offsets: [0, 4] } }, 4), /tensor "a" has no "dtype"/);
    await expectRefused(build({ a: { dtype: 'F32', data_offsets: [0, 4] } }, 4), /tensor "a" has no "shape"/);
    await expectRefused(build({ a: { dtype: 'F32', shape: [1] } }, 4), /tensor "a" has no "data_offsets"/);
    await expectRefused(build({ a: [1] }), /tensor "a" must be an object with dtype, shape and data_offsets, got an array/);
  });

  it('refuses unknown and unsupported dtypes', async () => {
    await expectRefused(build({ a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4), /tensor "a" has an unknown dtype "F33"/);
    for (const dtype of ['F8_E4M3', 'F8_E5M2', 'C64', 'F4']) {
      await expectRefused(build({ a: { dtype, shape: [1], data_offsets: [0, 1] } }, 1), new RegExp(`tensor "a" has dtype ${dtype}, which tensorgrad does not support`));
    }
  });

  it('refuses shapes that are not non-negative integers, too many dims or too many elements', async () => {
    for (const shape of [[-1], [1.5], ['2'], 3, Array(65).fill(1)]) {
      await expectRefused(build({ a: { dtype: 'F32', shape, data_offsets: [0, 4] } }, 4), /tensor "a" has an invalid shape/);
    }
    await expectRefused(build({ a: f32([2 ** 30, 2 ** 30], 0, 2 ** 62) }), /tensor "a" has shape \[1073741824, 1073741824\], more than 2\^48 elements/);
    // 2^40 elements, consistent offsets: refused against the file size, with nothing allocated.
    await expectRefused(build({ a: f32([2 ** 20, 2 ** 20], 0, 2 ** 42) }, 16), /it is truncated: its header describes 4398046511104 bytes of data, the file has 16/);
  });

  it('refuses data_offsets that are malformed or do not match the shape', async () => {
    for (const offsets of [[0], [0, 4, 8], [-4, 0], [0, '4'], null]) {
      await expectRefused(build({ a: { dtype: 'F32', shape: [1], data_offsets: offsets } }, 4), /tensor "a" has invalid data_offsets/);
    }
    await expectRefused(build({ a: f32([1], 4, 0) }, 4), /tensor "a" has data_offsets \[4, 0\] that end before they begin/);
    await expectRefused(build({ a: f32([2], 0, 4) }, 4), /tensor "a" has 4 bytes \(data_offsets \[0, 4\]\), but shape \[2\] of F32 needs 8/);
  });

  it('refuses offsets with a gap, an overlap, or not starting at 0', async () => {
    await expectRefused(build({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), /tensor "b" begins at data offset 8, not at 4 where the previous one ends \(a gap of 4 bytes before it\)/);
    await expectRefused(build({ a: f32([2], 0, 8), b: f32([1], 4, 8) }, 8), /tensor "b" begins at data offset 4, not at 8 where the previous one ends \(it overlaps the tensor before it by 4 bytes\)/);
    await expectRefused(build({ a: f32([1], 4, 8) }, 8), /tensor "a" begins at data offset 4, not at 0 where the data starts/);
  });

  it('refuses a key repeated in one object (JSON.parse would keep the last)', async () => {
    await expectRefused(build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), /its header has the key "a" twice/);
    await expectRefused(build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "\\u0061" :{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), /its header has the key "a" twice/);
    await expectRefused(build('{"__metadata__":{"k":"1","k":"2"}}'), /its header's "__metadata__" has the key "k" twice/);
    await expectRefused(build('{"x\\"{":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}', 4), /its header's "x\\"\{" has the key "dtype" twice/);
    // Keys that only look alike, and strings with brackets and escapes, are no duplicates.
    const tricky = build('{"__metadata__":{"a":"{\\"a\\":[","b":"\\\\"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a ":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}', 8);
    expect(Object.keys(io.loadSafetensorsFromBuffer(tricky))).toEqual(['a', 'a ']);
  });

  it('refuses a BOOL byte other than 0 or 1', () => {
    const e = thrown(() => io.loadSafetensorsFromBuffer(build({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, Buffer.from([1, 0, 2]))));
    expect(e).toBeInstanceOf(IOError);
    expect(e.message).toMatch(/tensor "m" of the buffer \(BOOL\) holds 2 at element 2, not a boolean \(0 or 1\)/);
  });

  it('names the file that cannot be read', async () => {
    const missing = join(dir, 'missing.safetensors');
    expect(thrown(() => io.loadSafetensorsSync(missing)).message).toBe(`loadSafetensorsSync: cannot read ${missing}: no such file or directory (ENOENT)`);
    expect((await rejected(io.loadSafetensors(missing))).message).toMatch(/^loadSafetensors: cannot read .*ENOENT/);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    expect(thrown(() => io.loadSafetensorsSync(folder))).toBeInstanceOf(IOError);
    expect(thrown(() => io.readSafetensorsHeader(folder)).message).toMatch(/it is not a regular file/);
  });
});

// ---- arguments ---------------------------------------------------------------------------

describe('bad arguments', () => {
  const path = join(dir, 'args.safetensors');
  const dead = tensor([1]);
  dead.dispose();
  const cases: [unknown, unknown, RegExp][] = [
    [[tensor([1])], undefined, /tensors must be an object of named Tensors/],
    [null, undefined, /tensors must be an object of named Tensors.*got null/],
    [tensor([1]), undefined, /tensors must be an object of named Tensors.*got a float32 Tensor/],
    [{ w: [1, 2] }, undefined, /tensors\["w"\] must be a Tensor, got an array/],
    [{ w: dead }, undefined, /tensors\["w"\] was disposed/],
    [{ '': tensor([1]) }, undefined, /tensors has an empty name/],
    [{ __metadata__: tensor([1]) }, undefined, /cannot have a tensor named "__metadata__"/],
    [{ '\ud800': tensor([1]) }, undefined, /has a lone surrogate/],
    [{ w: tensor([1]) }, { metadata: { epoch: 3 } }, /options\.metadata\.epoch must be a string \(safetensors metadata holds strings only\), got the number 3/],
    [{ w: tensor([1]) }, { metadata: 'pt' }, /options\.metadata must be an object of strings, got the string "pt"/],
    [{ w: tensor([1]) }, { metadata: null }, /options\.metadata must be an object of strings, got null/],
    [{ w: tensor([1]) }, { meta: {} }, /unknown option "meta"; known options are metadata/],
    [{ w: tensor([1]) }, 5, /options must be an object/],
  ];

  it('refuses each with an ArgumentError naming the argument, before writing anything', async () => {
    for (const [tensors, options, message] of cases) {
      const t = tensors as Record<string, Tensor>;
      const o = options as io.SaveSafetensorsOptions;
      const errors = [
        thrown(() => io.saveSafetensorsSync(t, path, o)),
        await rejected(io.saveSafetensors(t, path, o)),
        thrown(() => io.saveSafetensorsToBuffer(t, o)),
      ];
      for (const e of errors) {
        expect(e, String(message)).toBeInstanceOf(ArgumentError);
        expect(e.message).toMatch(message);
      }
      expect(errors[0]!.message).toMatch(/^saveSafetensorsSync: /);
      expect(existsSync(path)).toBe(false);
    }
  });

  it('refuses bad paths and bytes', async () => {
    for (const bad of ['', 5, null]) {
      expect(thrown(() => io.saveSafetensorsSync({}, bad as string)).message).toMatch(/^saveSafetensorsSync: path must be a non-empty string/);
      expect((await rejected(io.saveSafetensors({}, bad as string))).message).toMatch(/^saveSafetensors: path must be a non-empty string/);
      expect(thrown(() => io.loadSafetensorsSync(bad as string))).toBeInstanceOf(ArgumentError);
      expect(await rejected(io.loadSafetensors(bad as string))).toBeInstanceOf(ArgumentError);
    }
    expect(thrown(() => io.loadSafetensorsFromBuffer([1, 2] as never)).message).toMatch(/^loadSafetensorsFromBuffer: bytes must be a Uint8Array or Buffer, got an array/);
    expect(thrown(() => io.readSafetensorsHeader(5 as never)).message).toMatch(/^readSafetensorsHeader: pathOrBytes must be a file path or a Uint8Array, got the number 5/);
    expect(thrown(() => io.readSafetensorsHeader(''))).toBeInstanceOf(ArgumentError);
  });

  it('saves atomically: a failed save leaves the old file and no temp file', async () => {
    const folder = mkdtempSync(join(dir, 'atomic-'));
    const target = join(folder, 'model.safetensors');
    io.saveSafetensorsSync({ w: tensor([1, 2, 3]) }, target);
    const before = readFileSync(target);
    expect(thrown(() => io.saveSafetensorsSync({ w: tensor([4]), dead }, target))).toBeInstanceOf(ArgumentError);
    expect(await rejected(io.saveSafetensors({ w: tensor([4]), dead }, target))).toBeInstanceOf(ArgumentError);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(readdirSync(folder)).toEqual(['model.safetensors']);
    const nowhere = join(folder, 'missing', 'x.safetensors');
    const e = thrown(() => io.saveSafetensorsSync({ w: tensor([1]) }, nowhere));
    expect(e).toBeInstanceOf(IOError);
    expect(e.message).toBe(`saveSafetensorsSync: cannot write ${nowhere}: no such file or directory (ENOENT)`);
  });

  it('snapshots the tensors when an async save starts', async () => {
    const t = tensor([1, 2, 3]);
    const target = join(dir, 'snapshot.safetensors');
    const pending = io.saveSafetensors({ t }, target);
    t.fill_(9);
    await pending;
    expect(io.loadSafetensorsSync(target).t!.toArray()).toEqual([1, 2, 3]);
  });
});
