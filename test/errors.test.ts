import { describe, expect, it } from 'vitest';
import * as tg from '../lib/index.js';
import {
  ArgumentError,
  arange,
  DTypeError,
  full,
  getNumThreads,
  ones,
  setNumThreads,
  ShapeError,
  Tensor,
  TensorgradError,
  tensor,
  zeros,
} from '../lib/index.js';
import { thrown } from './helpers.js';

type ErrorClass = typeof ShapeError | typeof DTypeError | typeof ArgumentError | typeof TensorgradError;
/** [what, the failing call, class, code, substrings the message must contain]. */
type Case = [string, () => unknown, ErrorClass, string, string[]];

function expectError(fn: () => unknown, cls: ErrorClass, code: string, parts: string[]) {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(Error);
  expect(err).toBeInstanceOf(TensorgradError);
  expect(err).toBeInstanceOf(cls);
  expect(err.name).toBe(cls.name);
  expect(err.code).toBe(code);
  for (const p of parts) expect(err.message).toContain(p);
  return err;
}

function table(cases: Case[]) {
  it.each(cases)('%s', (_what, fn, cls, code, parts) => {
    expectError(fn, cls, code, parts);
  });
}

const int32 = () => tensor([1, 2, 3], { dtype: 'int32' });
const m23 = () => zeros(2, 3);

describe('shapes', () => {
  table([
    ['non-broadcastable shapes (add)', () => m23().add(zeros(4)), ShapeError, 'ERR_SHAPE', ['add', '[2, 3]', '[4]']],
    ['non-broadcastable shapes (functional maximum)', () => tg.maximum(zeros(3, 2), zeros(3)), ShapeError, 'ERR_SHAPE', ['maximum', '[3, 2]', '[3]']],
    ['negative size', () => zeros(2, -3), ArgumentError, 'ERR_ARGUMENT', ['zeros', 'shape', 'non-negative', '-3']],
    ['negative size in a list', () => ones([-1]), ArgumentError, 'ERR_ARGUMENT', ['ones', 'shape', '-1']],
    ['NaN in a shape', () => zeros([2, NaN]), ArgumentError, 'ERR_ARGUMENT', ['zeros', 'shape', 'NaN']],
    ['a fractional size', () => tg.rand([2.5]), ArgumentError, 'ERR_ARGUMENT', ['rand', 'shape', '2.5']],
    ['a string in a shape', () => zeros(['a' as unknown as number]), ArgumentError, 'ERR_ARGUMENT', ['zeros', 'shape', '"a"']],
    ['more than 64 dimensions', () => zeros(new Array(65).fill(1)), ArgumentError, 'ERR_ARGUMENT', ['zeros', 'shape', '64', 'length 65']],
    ['more than 2^48 elements', () => zeros(2 ** 25, 2 ** 25), ArgumentError, 'ERR_ARGUMENT', ['zeros', '2^48']],
    ['non-rectangular nested arrays', () => tensor([[1, 2], [3]]), ArgumentError, 'ERR_ARGUMENT', ['tensor', 'data[1]', 'length 2', 'length 1']],
    ['a number where an array belongs', () => tensor([[[1], [2]], [[3], 4 as never]]), ArgumentError, 'ERR_ARGUMENT', ['tensor', 'data[1][1]', 'the number 4']],
    ['Tensor.from element-count mismatch', () => Tensor.from(new Float32Array(6), [4, 2]), ShapeError, 'ERR_SHAPE', ['Tensor.from', '[4, 2]', '8', '6']],
    ['reshape element-count mismatch', () => arange(6).reshape(4, 2), ShapeError, 'ERR_SHAPE', ['reshape', '[4, 2]', '6']],
    ['reshape -1 that does not divide', () => m23().reshape(-1, 4), ShapeError, 'ERR_SHAPE', ['reshape', '[-1, 4]', '6']],
    ['two -1 in reshape', () => arange(6).reshape(-1, -1), ArgumentError, 'ERR_ARGUMENT', ['reshape', 'shape', '-1', '[-1, -1]']],
    ['view of a transposed tensor (native)', () => arange(6).reshape(2, 3).T.view(6), ShapeError, 'ERR_SHAPE', ['view', '[3, 2]', 'reshape']],
    ['view element-count mismatch (native)', () => arange(6).view(5), ShapeError, 'ERR_SHAPE', ['view', '[5]', '6']],
    ['item() of several elements (native)', () => tensor([1, 2]).item(), ShapeError, 'ERR_SHAPE', ['item', '[2]']],
  ]);
});

describe('dims', () => {
  table([
    ['sum dim out of range', () => m23().sum(2), ArgumentError, 'ERR_ARGUMENT', ['sum', 'dim', '[-2, 1]', 'the number 2']],
    ['negative dim out of range', () => m23().max(-3), ArgumentError, 'ERR_ARGUMENT', ['max', 'dim', 'the number -3']],
    ['argmax dim out of range', () => m23().argmax(5), ArgumentError, 'ERR_ARGUMENT', ['argmax', 'dim', '5']],
    ['transpose dim out of range', () => m23().transpose(0, 2), ArgumentError, 'ERR_ARGUMENT', ['transpose', 'dim1', '2']],
    ['size dim out of range', () => m23().size(2), ArgumentError, 'ERR_ARGUMENT', ['size', 'dim', '2']],
    ['duplicate dims in sum', () => m23().sum([0, 0]), ArgumentError, 'ERR_ARGUMENT', ['sum', 'dim', '[0, 0]']],
    ['duplicate dims, one negative', () => m23().mean([1, -1]), ArgumentError, 'ERR_ARGUMENT', ['mean', 'dim', '[1, -1]']],
    ['duplicate dims in permute (native)', () => m23().permute(0, 0), ArgumentError, 'ERR_ARGUMENT', ['permute', '0']],
    ['permute with too few dims', () => m23().permute(0), ArgumentError, 'ERR_ARGUMENT', ['permute', 'dims', '2']],
    ['empty dim list', () => m23().sum([]), ArgumentError, 'ERR_ARGUMENT', ['sum', 'dim', 'length 0']],
    ['get index out of range', () => m23().get(2), ArgumentError, 'ERR_ARGUMENT', ['get', 'index', 'the number 2']],
    ['slice step 0', () => arange(5).slice(0, 5, 0), ArgumentError, 'ERR_ARGUMENT', ['slice', 'step', '0']],
    ['T of a 3-D tensor', () => zeros(2, 2, 2).T, ArgumentError, 'ERR_ARGUMENT', ['T', '3', 'permute']],
    ['slice of a 0-d tensor', () => tensor(1).slice(0), ArgumentError, 'ERR_ARGUMENT', ['slice', '0-dimensional']],
  ]);
});

describe('dtypes', () => {
  table([
    ['int32 tensor passed to exp', () => int32().exp(), DTypeError, 'ERR_DTYPE', ['exp', 'input', 'float32', 'int32', '.float()']],
    ['int32 tensor to the functional log', () => tg.log(int32()), DTypeError, 'ERR_DTYPE', ['log', 'int32']],
    ['int32 as the other operand', () => zeros(3).add(int32()), DTypeError, 'ERR_DTYPE', ['add', 'other', 'int32']],
    ['int32 on the right of a scalar', () => tg.sub(1, int32()), DTypeError, 'ERR_DTYPE', ['sub', 'int32']],
    ['sum of int32', () => int32().sum(), DTypeError, 'ERR_DTYPE', ['sum', 'int32']],
    ['argmax of int32', () => int32().argmax(), DTypeError, 'ERR_DTYPE', ['argmax', 'int32']],
    ['clamp of int32', () => int32().clamp(0, 1), DTypeError, 'ERR_DTYPE', ['clamp', 'int32']],
    ['unknown dtype', () => tensor([1], { dtype: 'float64' as never }), DTypeError, 'ERR_DTYPE', ['tensor', 'dtype', '"float64"']],
    ['unknown dtype in to()', () => zeros(2).to('int8' as never), DTypeError, 'ERR_DTYPE', ['to', 'dtype', '"int8"']],
    ['int32 value out of range', () => full([2], 2 ** 31, { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', ['full', 'value', '2147483648']],
    ['fractional int32 data', () => tensor([1.5], { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', ['tensor', 'data[0]', '1.5']],
    ['int32 arange past the range (native)', () => arange(0, 2 ** 32, 2 ** 30, { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', ['arange', 'int32']],
    ['Float64Array', () => Tensor.from(new Float64Array(3) as never), ArgumentError, 'ERR_ARGUMENT', ['Tensor.from', 'data', 'Float64Array']],
  ]);
});

describe('argument types and values', () => {
  table([
    ['a string where a number is expected (arange)', () => arange('5' as never), ArgumentError, 'ERR_ARGUMENT', ['arange', 'end', '"5"']],
    ['a string as an operand', () => zeros(2).add('1' as never), ArgumentError, 'ERR_ARGUMENT', ['add', 'other', 'Tensor', '"1"']],
    ['null as an operand', () => tg.mul(zeros(2), null as never), ArgumentError, 'ERR_ARGUMENT', ['mul', 'other', 'null']],
    ['a string as a clamp bound', () => zeros(2).clamp('0' as never), ArgumentError, 'ERR_ARGUMENT', ['clamp', 'min', '"0"']],
    ['NaN as a clamp bound', () => zeros(2).clamp(0, NaN), ArgumentError, 'ERR_ARGUMENT', ['clamp', 'max', 'NaN']],
    ['clamp min > max', () => zeros(2).clamp(2, 1), ArgumentError, 'ERR_ARGUMENT', ['clamp', 'min', '2', '1']],
    ['a string as a dim', () => zeros(2).sum('0' as never), ArgumentError, 'ERR_ARGUMENT', ['sum', 'dim', '"0"']],
    ['a string as keepdim', () => zeros(2).mean(0, 'yes' as never), ArgumentError, 'ERR_ARGUMENT', ['mean', 'keepdim', '"yes"']],
    ['a string in nested data', () => tensor([1, 'x' as never]), ArgumentError, 'ERR_ARGUMENT', ['tensor', 'data[1]', '"x"']],
    ['a string as data', () => tensor('abc' as never), ArgumentError, 'ERR_ARGUMENT', ['tensor', 'data', '"abc"']],
    ['a non-tensor to a functional op', () => tg.exp([1, 2] as never), ArgumentError, 'ERR_ARGUMENT', ['exp', 'input', 'Tensor', 'array']],
    ['unknown option key', () => zeros([2], { dtpye: 'int32' } as never), ArgumentError, 'ERR_ARGUMENT', ['zeros', '"dtpye"', 'dtype']],
    ['unknown option key in tensor()', () => tensor([1], { requires_grad: true } as never), ArgumentError, 'ERR_ARGUMENT', ['tensor', '"requires_grad"']],
    ['options that are not an object', () => full([2], 1, 'int32' as never), ArgumentError, 'ERR_ARGUMENT', ['full', 'options', '"int32"']],
    ['arange step 0', () => arange(0, 5, 0), ArgumentError, 'ERR_ARGUMENT', ['arange', 'step', '0']],
    ['arange to infinity', () => arange(0, Infinity), ArgumentError, 'ERR_ARGUMENT', ['arange', 'end', 'Infinity']],
    ['manualSeed(-1)', () => tg.manualSeed(-1), ArgumentError, 'ERR_ARGUMENT', ['manualSeed', 'seed', '-1']],
    ['setNumThreads(0)', () => setNumThreads(0), ArgumentError, 'ERR_ARGUMENT', ['setNumThreads', 'n', 'the number 0']],
    ['setNumThreads(1.5)', () => setNumThreads(1.5), ArgumentError, 'ERR_ARGUMENT', ['setNumThreads', '1.5']],
    ['setNumThreads("2")', () => setNumThreads('2' as never), ArgumentError, 'ERR_ARGUMENT', ['setNumThreads', '"2"']],
    ['setCacheLimit(-1)', () => tg.setCacheLimit(-1), ArgumentError, 'ERR_ARGUMENT', ['setCacheLimit', 'bytes', '-1']],
    ['max of an empty tensor', () => zeros(0).max(), ArgumentError, 'ERR_ARGUMENT', ['max', 'empty', '[0]']],
    ['max of an empty dimension (native)', () => zeros(0, 3).max(0), ArgumentError, 'ERR_ARGUMENT', ['max', 'empty', '[0, 3]']],
  ]);

  it('setNumThreads rejects bad values and leaves the thread count alone', () => {
    const before = getNumThreads();
    for (const n of [0, -1, 257, 1.5, NaN]) expect(() => setNumThreads(n)).toThrow(ArgumentError);
    expect(getNumThreads()).toBe(before);
  });
});

describe('disposed tensors', () => {
  const disposed = () => {
    const t = zeros(3);
    t.dispose();
    return t;
  };
  table([
    ['as an operand', () => zeros(3).add(disposed()), ArgumentError, 'ERR_ARGUMENT', ['add', 'other', 'disposed']],
    ['as the input of a functional op', () => tg.sum(disposed()), ArgumentError, 'ERR_ARGUMENT', ['sum', 'disposed']],
    ['data() (native)', () => disposed().data(), ArgumentError, 'ERR_ARGUMENT', ['disposed']],
    ['reshape (native)', () => disposed().reshape(3, 1), ArgumentError, 'ERR_ARGUMENT', ['disposed']],
  ]);
});

describe('out of memory', () => {
  it('a huge allocation throws ERR_OUT_OF_MEMORY and the process carries on', () => {
    const err = expectError(() => zeros([1e6, 1e6]), TensorgradError, 'ERR_OUT_OF_MEMORY', ['4000000000000']);
    expect(err).not.toBeInstanceOf(ShapeError);
    expect(err).not.toBeInstanceOf(ArgumentError);
    expectError(() => tg.rand(1e6, 1e6), TensorgradError, 'ERR_OUT_OF_MEMORY', []);
    expectError(() => arange(0, 2 ** 40), TensorgradError, 'ERR_OUT_OF_MEMORY', []);
    // an op whose output is too large, after its inputs were made fine
    expectError(() => zeros(1e6, 1).add(zeros(1, 1e6)), TensorgradError, 'ERR_OUT_OF_MEMORY', []);
    // still alive and computing
    expect(arange(10).sum().item()).toBe(45);
    expect(tg.memoryStats().bytesInUse).toBeLessThan(1e9);
  });
});

describe('errors raised in C++ arrive as the JS classes', () => {
  it('ShapeError from native view(), with a stack and a plain message', () => {
    const err = expectError(() => arange(6).reshape(2, 3).T.view(6), ShapeError, 'ERR_SHAPE', ['[6]', 'strides']);
    expect(typeof err.stack).toBe('string');
    expect(err.message).not.toMatch(/^Error/);
  });

  it('the error classes are the ones exported by the package', () => {
    const err = thrown(() => tensor([1, 2]).item());
    expect(Object.getPrototypeOf(err)).toBe(ShapeError.prototype);
    expect(err instanceof tg.ShapeError).toBe(true);
    const err2 = thrown(() => zeros(2, 3).permute(1, 1));
    expect(Object.getPrototypeOf(err2)).toBe(ArgumentError.prototype);
  });
});
