/**
 * Plain-JS references for the tests: nested-array helpers, a broadcasting reference, strided
 * permutation, reductions, a seeded generator for test data, and close comparison. Nothing here
 * calls tensorgrad, so a test that compares against these can fail independently of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, expect } from 'vitest';

export type Nested = number | Nested[];

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= Math.max(shape[i]!, 1);
  }
  return s;
}

/** The shape of a rectangular nested array. */
export function shapeOf(v: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

/** A nested array's numbers in row-major order. */
export function flatten(v: Nested): number[] {
  if (!Array.isArray(v)) return [v];
  const out: number[] = [];
  for (const x of v) out.push(...flatten(x));
  return out;
}

/** The inverse of flatten. */
export function nest(flat: ArrayLike<number>, shape: readonly number[]): Nested {
  if (shape.length === 0) return flat[0]!;
  let pos = 0;
  const build = (dim: number): Nested[] =>
    Array.from({ length: shape[dim]! }, () => (dim === shape.length - 1 ? flat[pos++]! : build(dim + 1)));
  return build(0);
}

/** Multi-index of flat position i in a row-major `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = i % n;
    i = Math.floor(i / n);
  }
  return idx;
}

/** NumPy/PyTorch broadcast of two shapes; throws when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference: [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Offset of a multi-index (of the broadcast shape) into a contiguous array of `shape`. */
function broadcastOffset(idx: readonly number[], shape: readonly number[]): number {
  const lead = idx.length - shape.length;
  const strides = contiguousStrides(shape);
  let off = 0;
  for (let d = 0; d < shape.length; d++) off += (shape[d] === 1 ? 0 : idx[lead + d]!) * strides[d]!;
  return off;
}

/** out[i] = f(a[i'], b[i'']) over the broadcast of a (shape sa) and b (shape sb), in float64. */
export function broadcastRef(
  a: ArrayLike<number>,
  sa: readonly number[],
  b: ArrayLike<number>,
  sb: readonly number[],
  f: (x: number, y: number) => number,
): { data: number[]; shape: number[] } {
  const shape = broadcastShape(sa, sb);
  const n = numel(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data[i] = f(a[broadcastOffset(idx, sa)]!, b[broadcastOffset(idx, sb)]!);
  }
  return { data, shape };
}

/** The row-major data of a permuted tensor: out dimension k is input dimension perm[k]. */
export function permuteRef(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): number[] {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = contiguousStrides(shape);
  const n = numel(shape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, outShape);
    let off = 0;
    for (let k = 0; k < perm.length; k++) off += idx[k]! * inStrides[perm[k]!]!;
    out[i] = data[off]!;
  }
  return out;
}

export type ReduceKind = 'sum' | 'mean' | 'max' | 'min' | 'argmax' | 'argmin';

/**
 * Reduces `data` (contiguous, `shape`) over `dims` (empty: all) in float64. max/min propagate
 * NaN; argmax/argmin return the first extreme index, or the first NaN's index.
 */
export function reduceRef(
  data: ArrayLike<number>,
  shape: readonly number[],
  dims: readonly number[],
  keepdim: boolean,
  kind: ReduceKind,
): { data: number[]; shape: number[] } {
  const nd = shape.length;
  const red = new Set((dims.length ? dims : shape.map((_, i) => i)).map((d) => (d < 0 ? d + nd : d)));
  const outShape: number[] = [];
  const keptShape: number[] = [];
  shape.forEach((s, d) => {
    if (!red.has(d)) {
      outShape.push(s);
      keptShape.push(s);
    } else if (keepdim) outShape.push(1);
  });
  const groups: number[][] = Array.from({ length: numel(keptShape) }, () => []);
  for (let i = 0; i < numel(shape); i++) {
    const idx = unravel(i, shape);
    const kept = idx.filter((_, d) => !red.has(d));
    let g = 0;
    kept.forEach((k, j) => (g = g * keptShape[j]! + k));
    groups[g]!.push(data[i]!);
  }
  const reduceGroup = (g: number[]): number => {
    switch (kind) {
      case 'sum':
        return g.reduce((a, b) => a + b, 0);
      case 'mean':
        return g.length ? g.reduce((a, b) => a + b, 0) / g.length : NaN;
      case 'max':
      case 'min': {
        if (g.some(Number.isNaN)) return NaN;
        return kind === 'max' ? Math.max(...g) : Math.min(...g);
      }
      default: {
        let best = 0;
        for (let i = 0; i < g.length; i++) {
          if (Number.isNaN(g[i]!)) return i;
          if (kind === 'argmax' ? g[i]! > g[best]! : g[i]! < g[best]!) best = i;
        }
        return best;
      }
    }
  };
  return { data: groups.map(reduceGroup), shape: outShape };
}

/** A small seeded generator (mulberry32) for test inputs. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n float32-representable numbers in [lo, hi). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Math.fround of each value: what a float32 kernel must produce for one correctly rounded op. */
export function f32(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => Math.fround(v));
}

function same(a: number, b: number): boolean {
  return Number.isNaN(a) ? Number.isNaN(b) : a === b;
}

/**
 * Expects actual[i] within atol + rtol * |expected[i]| of expected[i]; NaN matches NaN and
 * infinities must match exactly. Reports the first bad index.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-6, atol = 0 }: { rtol?: number; atol?: number } = {},
): void {
  expect(actual.length, 'length').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (same(a, e)) continue;
    const ok = Number.isFinite(e) && Number.isFinite(a) && Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Expects bit-for-bit equal numbers (NaN equal to NaN). */
export function expectExact(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length, 'length').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!same(actual[i]!, expected[i]!)) expect.fail(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Runs fn and returns what it threw (fails when it throws nothing). */
export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  return expect.fail('expected the call to throw');
}

/** What the promise rejected with (fails when it resolves). */
export async function rejected(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  return expect.fail('expected the promise to reject');
}

/** A temporary folder for one suite (removed after it), and file(), which writes a fresh file there and returns its path. */
export function tempFolder(prefix: string): { dir: string; file(contents: Uint8Array | string, name?: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  return {
    dir,
    file(contents, name = `f${count++}`) {
      const path = join(dir, name);
      writeFileSync(path, contents);
      return path;
    },
  };
}

/** The garbage collector, when it can be had (--expose-gc, or switched on at run time). */
export function getGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
