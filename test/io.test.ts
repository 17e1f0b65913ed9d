import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArgumentError, F, IOError, manualSeed, nn, optim, Tensor, tensor } from '../lib/index.js';
import * as datasets from '../lib/io/datasets.js';
import * as io from '../lib/io/index.js';
import { expectExact, f32, rejected, tempFolder, thrown } from './helpers.js';

const { dir, file } = tempFolder('tensorgrad-io-');

// ---- a small IDX writer (big-endian, as the format says) ----------------------------------

const IDX_TYPES = {
  ubyte: { code: 0x08, size: 1, set: (v: DataView, at: number, x: number) => v.setUint8(at, x) },
  sbyte: { code: 0x09, size: 1, set: (v: DataView, at: number, x: number) => v.setInt8(at, x) },
  short: { code: 0x0b, size: 2, set: (v: DataView, at: number, x: number) => v.setInt16(at, x) },
  int: { code: 0x0c, size: 4, set: (v: DataView, at: number, x: number) => v.setInt32(at, x) },
  float: { code: 0x0d, size: 4, set: (v: DataView, at: number, x: number) => v.setFloat32(at, x) },
  double: { code: 0x0e, size: 8, set: (v: DataView, at: number, x: number) => v.setFloat64(at, x) },
};
type IdxType = keyof typeof IDX_TYPES;

function idx(type: IdxType, dims: number[], values: number[]): Buffer {
  const t = IDX_TYPES[type];
  const buf = Buffer.alloc(4 + 4 * dims.length + values.length * t.size);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  buf[2] = t.code;
  buf[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  values.forEach((x, i) => t.set(view, 4 + 4 * dims.length + i * t.size, x));
  return buf;
}

const SAMPLES: Record<IdxType, number[]> = {
  ubyte: [0, 1, 127, 128, 200, 255],
  sbyte: [-128, -1, 0, 1, 64, 127],
  short: [-32768, -300, 0, 1, 258, 32767],
  int: [-(2 ** 31), -70000, 0, 1, 65536, 2 ** 31 - 1],
  float: [-1.5, 0, 0.1, 3.25e10, -Infinity, 1e-30],
  double: [Math.PI, -0.1, 0, 1e300, 2 ** -140, 123456.789],
};

describe('readIdx', () => {
  for (const type of Object.keys(IDX_TYPES) as IdxType[]) {
    for (const gz of [false, true]) {
      it(`round-trips ${type} (${gz ? 'gzipped' : 'raw'}), sync and async`, async () => {
        const raw = idx(type, [2, 3], SAMPLES[type]);
        const path = file(gz ? gzipSync(raw) : raw);
        for (const t of [io.readIdxSync(path), await io.readIdx(path)]) {
          expect(t.shape).toEqual([2, 3]);
          const float = type === 'float' || type === 'double';
          expect(t.dtype).toBe(float ? 'float32' : 'int32');
          expectExact(t.data(), float ? f32(SAMPLES[type]) : SAMPLES[type]);
        }
      });
    }
  }

  it('detects gzip by its magic bytes, not by the file name', () => {
    const raw = idx('ubyte', [4], [1, 2, 3, 4]);
    expect(io.readIdxSync(file(gzipSync(raw), 'looks-raw.idx')).toArray()).toEqual([1, 2, 3, 4]);
    expect(io.readIdxSync(file(raw, 'looks-gzipped.gz')).toArray()).toEqual([1, 2, 3, 4]);
  });

  it('reads 3-d images and zero-sized dimensions', async () => {
    const values = Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    expect((await io.readIdx(file(idx('ubyte', [2, 3, 4], values)))).toArray()).toEqual([
      [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]],
      [[12, 13, 14, 15], [16, 17, 18, 19], [20, 21, 22, 23]],
    ]);
    for (const gz of [false, true]) {
      const raw = idx('float', [0, 28, 28], []);
      const t = io.readIdxSync(file(gz ? gzipSync(raw) : raw));
      expect(t.shape).toEqual([0, 28, 28]);
      expect(t.numel).toBe(0);
    }
    // A zero size makes the element count 0, whatever the other sizes claim.
    expect(io.readIdxSync(file(idx('int', [0, 2 ** 32 - 1], []))).shape).toEqual([0, 2 ** 32 - 1]);
  });

  it('reports a truncated raw file with the expected and actual byte counts', async () => {
    const path = file(idx('ubyte', [10, 10], new Array(100).fill(7)).subarray(0, 60), 'short.idx');
    for (const e of [thrown(() => io.readIdxSync(path)), await rejected(io.readIdx(path))]) {
      expect(e).toBeInstanceOf(IOError);
      expect(e.message).toContain(path);
      expect(e.message).toMatch(/truncated.*needs 112 bytes, the file has 60/);
    }
  });

  it('reports a truncated gzipped file: short payload, and a cut-off gzip stream', async () => {
    const shortPayload = file(gzipSync(idx('ubyte', [10, 10], new Array(100).fill(7)).subarray(0, 50)));
    for (const e of [thrown(() => io.readIdxSync(shortPayload)), await rejected(io.readIdx(shortPayload))]) {
      expect(e).toBeInstanceOf(IOError);
      expect(e.message).toContain(shortPayload);
      expect(e.message).toMatch(/truncated.*needs 112 bytes, its decompressed contents have 50/);
    }
    const values = Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256);
    const gz = gzipSync(idx('ubyte', [4000], values));
    const cut = file(gz.subarray(0, Math.floor(gz.length / 2)));
    for (const e of [thrown(() => io.readIdxSync(cut)), await rejected(io.readIdx(cut))]) {
      expect(e).toBeInstanceOf(IOError);
      expect(e.message).toContain(cut);
      expect(e.message).toMatch(/truncated.*needs 4008 bytes, its decompressed contents have \d+/);
    }
    // Everything but the gzip trailer (checksum and size): the data is complete, the stream is not.
    const noTrailer = file(gz.subarray(0, gz.length - 8));
    expect(thrown(() => io.readIdxSync(noTrailer)).message).toMatch(/truncated gzip stream/);
  });

  it('fails fast, without allocating it, on a header that claims 2^40 elements', async () => {
    const header = idx('ubyte', [2 ** 20, 2 ** 20], []); // 2^40 bytes claimed, 12 bytes present
    const big = [file(header), file(gzipSync(header)), file(Buffer.concat([header, Buffer.alloc(1000)]))];
    const start = performance.now();
    for (const path of big) {
      for (const e of [thrown(() => io.readIdxSync(path)), await rejected(io.readIdx(path))]) {
        expect(e).toBeInstanceOf(IOError);
        expect(e.message).toContain(path);
        expect(e.message).toContain(`needs ${2 ** 40 + 12} bytes`);
      }
    }
    expect(performance.now() - start).toBeLessThan(2000);
    // A double header of 2^40 elements (2^43 bytes) fails the same way.
    expect(thrown(() => io.readIdxSync(file(idx('double', [2 ** 20, 2 ** 20], []))))).toBeInstanceOf(IOError);
  });

  it('refuses headers beyond what a tensor can hold', () => {
    const e = thrown(() => io.readIdxSync(file(idx('ubyte', [2 ** 30, 2 ** 30], []))));
    expect(e).toBeInstanceOf(IOError);
    expect(e.message).toMatch(/more than the 2\^48/);
    const deep = Buffer.alloc(4 + 4 * 65);
    deep[2] = 0x08;
    deep[3] = 65;
    expect(thrown(() => io.readIdxSync(file(deep))).message).toMatch(/65 dimensions; tensors have at most 64/);
  });

  it('refuses a bad magic number, an unknown type code, zero dimensions and a short header', async () => {
    const ok = idx('ubyte', [2], [1, 2]);
    const cases: [Uint8Array, RegExp][] = [
      [Buffer.from([1, 0, 8, 1, 0, 0, 0, 2, 1, 2]), /two zero bytes, got 0x01 0x00/],
      [Buffer.from([0, 0, 0x0a, 1, 0, 0, 0, 2, 1, 2]), /unknown element type code 0x0a/],
      [Buffer.from([0, 0, 8, 0]), /0 dimensions/],
      [ok.subarray(0, 6), /truncated header/],
      [Buffer.from([0, 0]), /fewer than the 4/],
      [Buffer.from('PK\x03\x04 not an idx file'), /two zero bytes/],
    ];
    for (const [bytes, message] of cases) {
      for (const contents of [bytes, gzipSync(bytes)]) {
        const path = file(contents);
        for (const e of [thrown(() => io.readIdxSync(path)), await rejected(io.readIdx(path))]) {
          expect(e).toBeInstanceOf(IOError);
          expect(e.message).toContain(path);
          expect(e.message).toMatch(message);
        }
      }
    }
  });

  it('refuses trailing bytes, raw and gzipped', async () => {
    const bytes = Buffer.concat([idx('ubyte', [3], [1, 2, 3]), Buffer.from([9])]);
    for (const path of [file(bytes), file(gzipSync(bytes))]) {
      for (const e of [thrown(() => io.readIdxSync(path)), await rejected(io.readIdx(path))]) {
        expect(e).toBeInstanceOf(IOError);
        expect(e.message).toContain(path);
        expect(e.message).toMatch(/trailing bytes.*needs 11 bytes/);
      }
    }
  });

  it('reports a corrupt gzip stream and a missing file as IOErrors naming the file', async () => {
    const gz = gzipSync(idx('ubyte', [3000], Array.from({ length: 3000 }, (_, i) => (i * 31) % 256)));
    const mid = gz.length >> 1;
    gz[mid] = gz[mid]! ^ 0xff;
    gz[mid + 1] = gz[mid + 1]! ^ 0x5a;
    const corrupt = file(gz);
    for (const e of [thrown(() => io.readIdxSync(corrupt)), await rejected(io.readIdx(corrupt))]) {
      expect(e).toBeInstanceOf(IOError);
      expect(e.message).toContain(corrupt);
    }
    const missing = join(dir, 'no-such.idx');
    const e = await rejected(io.readIdx(missing));
    expect(e).toBeInstanceOf(IOError);
    expect(e.message).toBe(`readIdx: cannot read ${missing}: no such file or directory (ENOENT)`);
    expect(thrown(() => io.readIdxSync(42 as never))).toBeInstanceOf(ArgumentError);
  });
});

// ---- CSV -----------------------------------------------------------------------------------

describe('readCsv', () => {
  const csv = 'age,height,label\n30,1.8,1\n41,1.65,0\n';

  it('reads a header and numbers into float32 features', async () => {
    const path = file(csv, 'people.csv');
    for (const r of [io.readCsvSync(path), await io.readCsv(path)]) {
      expect(r.columns).toEqual(['age', 'height', 'label']);
      expect(r.features.dtype).toBe('float32');
      expect(r.features.shape).toEqual([2, 3]);
      expectExact(r.features.data(), f32([30, 1.8, 1, 41, 1.65, 0]));
      expect(r.target).toBeNull();
    }
  });

  it('splits off the target by name or index, as float32 or int32', () => {
    const path = file(csv);
    const byName = io.readCsvSync(path, { target: 'label', targetDType: 'int32' });
    expect(byName.columns).toEqual(['age', 'height']);
    expect(byName.features.shape).toEqual([2, 2]);
    expectExact(byName.features.data(), f32([30, 1.8, 41, 1.65]));
    expect(byName.target!.dtype).toBe('int32');
    expect(byName.target!.toArray()).toEqual([1, 0]);
    const byIndex = io.readCsvSync(path, { target: 1 });
    expect(byIndex.columns).toEqual(['age', 'label']);
    expect(byIndex.target!.dtype).toBe('float32');
    expectExact(byIndex.target!.data(), f32([1.8, 1.65]));
    expect(io.readCsvSync(path, { target: -1 }).columns).toEqual(['age', 'height']);
  });

  it('reads files without a header, naming the columns c0, c1, ...', () => {
    const r = io.readCsvSync(file('1;2;3\n4;5;6'), { header: false, delimiter: ';', target: 0, targetDType: 'int32' });
    expect(r.columns).toEqual(['c1', 'c2']);
    expect(r.features.toArray()).toEqual([[2, 3], [5, 6]]);
    expect(r.target!.toArray()).toEqual([1, 4]);
  });

  it('accepts \\r\\n, blank lines, spaces, quotes, exponents and a byte-order mark', () => {
    const text = '\ufeff"x", "y"\r\n\r\n 1.5 , "-2"\r\n   \r\n"1e3",.5\r\n\r\n';
    const r = io.readCsvSync(file(text), { target: 'y' });
    expect(r.columns).toEqual(['x']);
    expect(r.features.toArray()).toEqual([[1.5], [1000]]);
    expect(r.target!.toArray()).toEqual([-2, 0.5]);
  });

  it('reads a header-only file as zero rows', () => {
    const r = io.readCsvSync(file('a,b\n'), { target: 'b' });
    expect(r.features.shape).toEqual([0, 1]);
    expect(r.target!.shape).toEqual([0]);
  });

  it('names the file, the 1-based line and the column of a bad field', async () => {
    const path = file('id,age\n1,20\n\n2,abc\n', 'data.csv');
    for (const e of [thrown(() => io.readCsvSync(path)), await rejected(io.readCsv(path))]) {
      expect(e).toBeInstanceOf(IOError);
      expect(e.message).toContain(`${path}:4: column "age" must be a number, got "abc"`);
    }
    const cases: [string, object, RegExp][] = [
      ['a,b\n1,2\n3\n', {}, /:3: expected 2 fields \(as the header has\), got 1/],
      ['a,b\n1,2\n3,4,5\n', {}, /:3: expected 2 fields/],
      ['1,2\n3\n', { header: false }, /:2: expected 2 fields \(as the first row has\), got 1/],
      ['a,b\n1,NaN\n', {}, /:2: column "b" must be a number, got "NaN"/],
      ['a,b\n1,\n', {}, /:2: column "b" must be a number, got ""/],
      ['a,b\n0x10,1\n', {}, /:2: column "a" must be a number, got "0x10"/],
      ['a,b\n1,1e999\n', {}, /:2: column "b" must be a finite number, got "1e999"/],
      ['a,b\n1,2\n1,2.5\n', { target: 'b', targetDType: 'int32' }, /:3: column "b" must be an integer in the int32 range/],
      ['a,b\n1,"2\n', {}, /:2: a quoted field is not closed/],
      ['\n\n', {}, /is empty: it has no header line/],
    ];
    for (const [text, options, message] of cases) {
      const e = thrown(() => io.readCsvSync(file(text), options));
      expect(e).toBeInstanceOf(IOError);
      expect(e.message).toMatch(message);
    }
  });

  it('refuses an unknown target with the list of columns, and bad options', () => {
    const path = file(csv);
    const e = thrown(() => io.readCsvSync(path, { target: 'weight' }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toBe('readCsvSync: options.target "weight" is not a column; the columns are "age", "height", "label"');
    expect(thrown(() => io.readCsvSync(path, { target: 3 })).message).toMatch(/from -3 to 2, got the number 3/);
    expect(thrown(() => io.readCsvSync(path, { header: false, target: 'label' })).message).toMatch(/needs header: true/);
    expect(thrown(() => io.readCsvSync(path, { targetDType: 'int32' }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => io.readCsvSync(path, { delimiter: '' }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => io.readCsvSync(path, { sep: ';' } as never)).message).toMatch(/unknown option "sep"/);
    expect(thrown(() => io.readCsvSync(path, { target: 'label', targetDType: 'int64' as never })).name).toBe('DTypeError');
  });
});

// ---- save / load -----------------------------------------------------------------------------

describe('save and load', () => {
  it('round-trips a module stateDict (sync and async)', async () => {
    manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    const path = join(dir, 'model.tg');
    await io.save(model.stateDict(), path);
    const loaded = await io.load<Record<string, Tensor>>(path);
    expect(Object.keys(loaded)).toEqual(Object.keys(model.stateDict()));
    for (const [k, t] of Object.entries(model.stateDict())) {
      expect(loaded[k]!.shape).toEqual(t.shape);
      expectExact(loaded[k]!.data(), t.data());
    }
    manualSeed(2);
    const other = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    other.loadStateDict(io.loadSync(path));
    const x = tensor([[1, -2, 3]]);
    expectExact(other.call(x).data(), model.call(x).data());

    io.saveSync(model.stateDict(), path);
    const again = io.loadSync<Record<string, Tensor>>(path);
    expectExact(again['0.weight']!.data(), model.stateDict()['0.weight']!.data());
  });

  it('round-trips a real optimizer state, so training resumes where it stopped', async () => {
    manualSeed(3);
    const model = new nn.Linear(2, 1);
    const opt = new optim.Adam(model.parameters(), { lr: 0.1 });
    const x = tensor([[1, 2], [3, 4]]);
    const y = tensor([[1], [2]]);
    const step = (m: nn.Linear, o: optim.Adam) => {
      o.zeroGrad();
      F.mseLoss(m.call(x), y).backward();
      o.step();
    };
    step(model, opt);
    step(model, opt);
    const path = join(dir, 'checkpoint.tg');
    await io.save({ model: model.stateDict(), optimizer: opt.stateDict(), epoch: 2 }, path);

    const restored = new nn.Linear(2, 1);
    const restoredOpt = new optim.Adam(restored.parameters(), { lr: 0.5 });
    const ckpt = await io.load<{ model: Record<string, Tensor>; optimizer: ReturnType<optim.Adam['stateDict']>; epoch: number }>(path);
    expect(ckpt.epoch).toBe(2);
    expect(ckpt.optimizer.state[0]!.step).toBe(2);
    restored.loadStateDict(ckpt.model);
    restoredOpt.loadStateDict(ckpt.optimizer);
    expect(restoredOpt.paramGroups[0]!.lr).toBe(0.1);
    step(model, opt);
    step(restored, restoredOpt);
    expectExact(restored.weight.data(), model.weight.data());
  });

  it('round-trips an optimizer-like tree: dtypes, shapes, special numbers, shared tensors, marker keys', () => {
    const expAvg = tensor([[1, 2, 3], [4, 5, 6]]);
    const shared = tensor([7, 8]);
    const tree = {
      state: { 0: { step: 3, expAvg, expAvgSq: expAvg.transpose(0, 1) }, 1: { step: 3, momentum: shared } },
      paramGroups: [{ lr: 1e-3, betas: [0.9, 0.999], params: [0, 1], maxLr: Infinity, minLr: -Infinity, loss: NaN, zero: -0 }],
      ids: tensor([1, -2, 2 ** 31 - 1], { dtype: 'int32' }),
      scalar: tensor(2.5),
      empty: tensor([[], []]),
      again: shared,
      text: 'héllo ✓',
      flags: [true, false, null],
      user: { __tensor: 'not a tensor', __number: 5 },
      nested: [[{ __object: 1 }]],
      skipped: undefined,
    };
    const path = join(dir, 'tree.tg');
    io.saveSync(tree, path);
    const back = io.loadSync<typeof tree>(path);
    expect(Object.keys(back)).not.toContain('skipped');
    expect(back.state[0].step).toBe(3);
    expect(back.state[0].expAvg.shape).toEqual([2, 3]);
    expect(back.state[0].expAvg.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(back.state[0].expAvgSq.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]); // a non-contiguous view, saved contiguous
    const group = back.paramGroups[0]!;
    expect(group.betas).toEqual([0.9, 0.999]);
    expect(group.maxLr).toBe(Infinity);
    expect(group.minLr).toBe(-Infinity);
    expect(group.loss).toBeNaN();
    expect(Object.is(group.zero, -0)).toBe(true);
    expect(back.ids.dtype).toBe('int32');
    expect(back.ids.toArray()).toEqual([1, -2, 2 ** 31 - 1]);
    expect(back.scalar.shape).toEqual([]);
    expect(back.scalar.item()).toBe(2.5);
    expect(back.empty.shape).toEqual([2, 0]);
    expect(back.again).toBe(back.state[1].momentum); // one tensor saved once, loaded once
    expect(back.text).toBe('héllo ✓');
    expect(back.flags).toEqual([true, false, null]);
    expect(back.user).toEqual({ __tensor: 'not a tensor', __number: 5 });
    expect(back.nested).toEqual([[{ __object: 1 }]]);
    expect(back.state[0].expAvg.requiresGrad).toBe(false);
    // A tensor alone and plain values alone are trees too.
    io.saveSync(tensor([1, 2]), path);
    expect(io.loadSync<Tensor>(path).toArray()).toEqual([1, 2]);
    io.saveSync([1, 'a'], path);
    expect(io.loadSync(path)).toEqual([1, 'a']);
  });

  it('keeps a "__proto__" key as data', () => {
    const path = join(dir, 'proto.tg');
    io.saveSync(JSON.parse('{"__proto__": {"polluted": 1}}'), path);
    const back = io.loadSync<Record<string, unknown>>(path);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes the documented layout: magic, header length, JSON header, 64-byte aligned little-endian data', () => {
    const path = join(dir, 'layout.tg');
    io.saveSync({ a: tensor([1, 2, 3]), b: tensor([4], { dtype: 'int32' }) }, path);
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('TGSAVE1\n');
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8'));
    const dataStart = Math.ceil((12 + headerLength) / 64) * 64;
    expect(header.version).toBe(1);
    expect(header.root.a).toEqual({ __tensor: 0, dtype: 'float32', shape: [3], offset: 0, byteLength: 12 });
    expect(header.root.b).toEqual({ __tensor: 1, dtype: 'int32', shape: [1], offset: 64, byteLength: 4 });
    expect(bytes.length).toBe(dataStart + header.dataLength);
    expect(header.dataLength).toBe(68);
    expect(bytes.readFloatLE(dataStart + 8)).toBe(3);
    expect(bytes.readInt32LE(dataStart + 64)).toBe(4);
  });

  it('refuses values it cannot save, naming where they are', () => {
    const path = join(dir, 'refused.tg');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [unknown, RegExp][] = [
      [{ a: new Map() }, /obj\.a must be a Tensor, number, string, boolean, null, array or plain object, got an instance of Map/],
      [{ a: [1, undefined] }, /obj\.a\[1\] is undefined/],
      [{ 'odd key': () => 1 }, /obj\["odd key"\] must be/],
      [{ n: 1n }, /obj\.n must be/],
      [cyclic, /obj\.self contains itself/],
    ];
    for (const [value, message] of cases) {
      const e = thrown(() => io.saveSync(value, path));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(message);
    }
    expect(existsSync(path)).toBe(false);
  });

  describe('atomic writes', () => {
    const tempFiles = (folder: string) => readdirSync(folder).filter((n) => n.includes('.tmp-'));

    it('leaves the old file intact and no temp file when a tensor is disposed', async () => {
      const folder = mkdtempSync(join(dir, 'atomic-'));
      const path = join(folder, 'state.tg');
      io.saveSync({ w: tensor([1, 2, 3]) }, path);
      const before = readFileSync(path);
      const dead = tensor([4, 5]);
      dead.dispose();
      const e = thrown(() => io.saveSync({ w: tensor([9]), dead }, path));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(/obj\.dead was disposed/);
      expect((await rejected(io.save({ dead }, path))).message).toMatch(/obj\.dead was disposed/);
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(tempFiles(folder)).toEqual([]);
    });

    it('removes the half-written temp file when a tensor fails mid-write', () => {
      const folder = mkdtempSync(join(dir, 'atomic-'));
      const path = join(folder, 'state.tg');
      io.saveSync({ w: tensor([1, 2, 3]) }, path);
      const before = readFileSync(path);
      const big = tensor(Array.from({ length: 5000 }, (_, i) => i));
      const late = tensor([1, 2]);
      // The getter runs while the header is built, after `late` was listed (entries are walked
      // in order, and `more` comes last): saving then fails while the data section is being
      // written, after `big` was.
      const tricky = {
        big,
        late,
        more: {
          get trap() {
            late.dispose();
            return 0;
          },
        },
      };
      const e = thrown(() => io.saveSync(tricky, path));
      expect(e.message).toMatch(/obj\.late was disposed/);
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(tempFiles(folder)).toEqual([]);
    });

    it('removes the temp file when the final rename fails, and reports an IOError', async () => {
      const folder = mkdtempSync(join(dir, 'atomic-'));
      const target = join(folder, 'a-directory');
      mkdirSync(target);
      for (const e of [thrown(() => io.saveSync({ w: tensor([1]) }, target)), await rejected(io.save({ w: tensor([1]) }, target))]) {
        expect(e).toBeInstanceOf(IOError);
        expect(e.message).toContain(target);
      }
      expect(tempFiles(folder)).toEqual([]);
      const nowhere = join(folder, 'missing-dir', 'x.tg');
      expect(thrown(() => io.saveSync({}, nowhere)).message).toBe(`saveSync: cannot write ${nowhere}: no such file or directory (ENOENT)`);
    });

    it('snapshots the tensors when an async save starts', async () => {
      const path = join(dir, 'snapshot.tg');
      const t = tensor([1, 2, 3]);
      const pending = io.save({ t }, path);
      t.fill_(0);
      await pending;
      expect(io.loadSync<{ t: Tensor }>(path).t.toArray()).toEqual([1, 2, 3]);
    });
  });

  describe('loading damaged files', () => {
    const good = join(dir, 'good.tg');
    const saveGood = () => io.saveSync({ a: tensor([1, 2, 3]), b: { c: tensor([[1], [2]], { dtype: 'int32' }) }, n: 5 }, good);

    /** A file with this header object and `dataLength` bytes of data. */
    function crafted(header: object, headerText = JSON.stringify(header)): string {
      const json = Buffer.from(headerText, 'utf8');
      const dataStart = Math.ceil((12 + json.length) / 64) * 64;
      const dataLength = (header as { dataLength?: number }).dataLength ?? 0;
      const bytes = Buffer.alloc(dataStart + (Number.isSafeInteger(dataLength) && dataLength > 0 ? dataLength : 0));
      bytes.write('TGSAVE1\n', 'latin1');
      bytes.writeUInt32LE(json.length, 8);
      json.copy(bytes, 12);
      return file(bytes);
    }

    it('gives an IOError for every truncation, never a crash or a partial object', async () => {
      saveGood();
      const bytes = readFileSync(good);
      expect(bytes.length).toBeGreaterThan(100);
      for (let cut = 0; cut < bytes.length; cut++) {
        const path = join(dir, 'cut.tg');
        writeFileSync(path, bytes.subarray(0, cut));
        const e = thrown(() => io.loadSync(path));
        expect(e, `cut at ${cut}`).toBeInstanceOf(IOError);
        expect(e.message).toContain(path);
      }
      const path = file(bytes.subarray(0, bytes.length - 3));
      const e = await rejected(io.load(path));
      expect(e).toBeInstanceOf(IOError);
      expect(e.message).toMatch(/truncated: the header describes \d+ bytes, the file has \d+/);
    });

    it('gives an IOError for corrupted contents', () => {
      saveGood();
      const bytes = readFileSync(good);
      const tensorNode = { __tensor: 0, dtype: 'float32', shape: [2], offset: 0, byteLength: 8 };
      const cases: [string, RegExp][] = [
        [file(Buffer.concat([Buffer.from('TGSAVE2\n'), bytes.subarray(8)])), /does not start with the magic/],
        [file('{"version": 1}'), /does not start with the magic/],
        [file(Buffer.concat([bytes, Buffer.from([0])])), /trailing bytes/],
        [crafted({}, '{"version": 1, "dataLength": 0, "root": '), /not valid UTF-8 JSON/],
        [crafted({ version: 2, dataLength: 0, root: 1 }), /version the number 2; this tensorgrad reads version 1/],
        [crafted({ version: 1, dataLength: 0 }), /has no "root"/],
        [crafted({ version: 1, dataLength: -1, root: 1 }), /dataLength must be a non-negative integer/],
        [crafted({ version: 1, dataLength: 8, root: { ...tensorNode, offset: 64 } }), /obj lies outside the data section/],
        [crafted({ version: 1, dataLength: 8, root: { ...tensorNode, offset: 8 } }), /offset the number 8; offsets are non-negative multiples of 64/],
        [crafted({ version: 1, dataLength: 8, root: { ...tensorNode, byteLength: 4 } }), /byteLength the number 4, but shape \[2\] of float32 needs 8/],
        [crafted({ version: 1, dataLength: 8, root: { ...tensorNode, dtype: 'float64' } }), /unknown dtype/],
        [crafted({ version: 1, dataLength: 8, root: { ...tensorNode, shape: [-2] } }), /invalid shape/],
        [crafted({ version: 1, dataLength: 8, root: { ...tensorNode, shape: [2 ** 25, 2 ** 25] } }), /more than 2\^48/],
        [crafted({ version: 1, dataLength: 8, root: { x: tensorNode, y: { ...tensorNode, shape: [1, 2] } } }), /obj\.y describes tensor 0 differently/],
        [crafted({ version: 1, dataLength: 8, root: { ...tensorNode, extra: 1 } }), /must have exactly the fields/],
        [crafted({ version: 1, dataLength: 0, root: { __number: 'Huge' } }), /malformed special number/],
        [crafted({ version: 1, dataLength: 0, root: { __object: [1] } }), /malformed wrapped object/],
        [crafted({ version: 1, dataLength: 0, root: JSON.parse('['.repeat(1200) + ']'.repeat(1200)) }), /nested more than 1000/],
      ];
      for (const [path, message] of cases) {
        const e = thrown(() => io.loadSync(path));
        expect(e, path).toBeInstanceOf(IOError);
        expect(e.message).toContain(path);
        expect(e.message).toMatch(message);
      }
      // A header length that points past the end of the file.
      const lying = Buffer.from(bytes);
      lying.writeUInt32LE(0xffffffff, 8);
      expect(thrown(() => io.loadSync(file(lying))).message).toMatch(/truncated: the header needs bytes 12 to 4294967307/);
      // A missing file.
      expect(thrown(() => io.loadSync(join(dir, 'nope.tg'))).message).toMatch(/loadSync: cannot read .*nope\.tg: no such file/);
    });
  });
});

// ---- datasets --------------------------------------------------------------------------------

describe('datasets', () => {
  it('mnistDigits: 10,000 real digits in [0, 1], digit 0 first, each digit more than 800 times', () => {
    const { images, labels } = datasets.mnistDigits();
    expect(images.shape).toEqual([10000, 784]);
    expect(images.dtype).toBe('float32');
    expect(labels.shape).toEqual([10000]);
    expect(labels.dtype).toBe('int32');
    expect(images.min().item()).toBeGreaterThanOrEqual(0);
    expect(images.max().item()).toBeLessThanOrEqual(1);
    expect(images.max().item()).toBeGreaterThan(0.9);
    const counts = new Array(10).fill(0);
    let previous = 0;
    for (const label of labels.data()) {
      expect(label).toBeGreaterThanOrEqual(previous); // grouped by digit, in order
      previous = label;
      counts[label]++;
    }
    expect(counts.reduce((a, b) => a + b)).toBe(10000);
    for (const c of counts) expect(c).toBeGreaterThan(800);
    // The images are not blank: every one has ink.
    expect(images.sum(1).min().item()).toBeGreaterThan(10);
  });

  it('fashionMnist: explains exactly how to get the files when they are missing', async () => {
    const empty = mkdtempSync(join(dir, 'no-fashion-'));
    const e = await rejected(datasets.fashionMnist({ root: empty, train: false }));
    expect(e).toBeInstanceOf(IOError);
    expect(e.message).toContain('t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz not found in ' + empty);
    expect(e.message).toContain('apt-get install dataset-fashion-mnist');
    expect(e.message).toContain('https://github.com/zalandoresearch/fashion-mnist');
    expect(e.message).toContain('{ root');
    expect((await rejected(datasets.fashionMnist({ train: 'yes' } as never))).name).toBe('ArgumentError');
    expect((await rejected(datasets.fashionMnist({ split: 'test' } as never))).message).toMatch(/unknown option "split"/);
  });

  it('fashionMnist: reads un-gzipped files from a root folder, scaling bytes to [0, 1]', async () => {
    const root = mkdtempSync(join(dir, 'fashion-'));
    const pixels = Array.from({ length: 3 * 784 }, (_, i) => (i * 37) % 256);
    writeFileSync(join(root, 'train-images-idx3-ubyte'), idx('ubyte', [3, 28, 28], pixels));
    writeFileSync(join(root, 'train-labels-idx1-ubyte.gz'), gzipSync(idx('ubyte', [3], [9, 0, 4])));
    const { images, labels, classes } = await datasets.fashionMnist({ root });
    expect(images.shape).toEqual([3, 784]);
    expect(images.dtype).toBe('float32');
    expect(labels.toArray()).toEqual([9, 0, 4]);
    expect(classes).toEqual([...datasets.FASHION_MNIST_CLASSES]);
    expect(classes[9]).toBe('Ankle boot');
    const data = images.data();
    for (let i = 0; i < pixels.length; i += 97) expect(data[i]).toBeCloseTo(pixels[i]! / 255, 6);
    writeFileSync(join(root, 'train-labels-idx1-ubyte.gz'), gzipSync(idx('ubyte', [3], [9, 10, 4])));
    expect((await rejected(datasets.fashionMnist({ root }))).message).toMatch(/labels from 4 to 10/);
    writeFileSync(join(root, 'train-labels-idx1-ubyte.gz'), gzipSync(idx('ubyte', [2], [9, 1])));
    expect((await rejected(datasets.fashionMnist({ root }))).message).toMatch(/must hold 3 labels/);
  });

  const systemRoot = '/usr/share/datasets/fashion-mnist';
  it.runIf(existsSync(join(systemRoot, 't10k-images-idx3-ubyte.gz')))('fashionMnist: loads the installed test split', async () => {
    const { images, labels, classes } = await datasets.fashionMnist({ train: false });
    expect(images.shape).toEqual([10000, 784]);
    expect(labels.shape).toEqual([10000]);
    expect(labels.dtype).toBe('int32');
    expect(labels.float().min().item()).toBe(0);
    expect(labels.float().max().item()).toBe(9);
    expect(images.min().item()).toBe(0);
    expect(images.max().item()).toBe(1);
    expect(classes).toHaveLength(10);
  });
});
