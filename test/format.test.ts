// toString() must print exactly what PyTorch prints for the same data. Every expected string
// below was produced by PyTorch (1.13, `str(torch.tensor(...))`), with one deliberate
// difference: int32 tensors say `dtype=int32` where PyTorch says `dtype=torch.int32`.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { arange, full, type Tensor, tensor, zeros } from '../lib/index.js';

type Case = [name: string, make: () => Tensor, expected: string];

function check(cases: Case[]) {
  it.each(cases)('%s', (_name, make, expected) => {
    expect(make().toString()).toBe(expected);
  });
}

describe('integer-valued floats', () => {
  check([
    ['1-D', () => tensor([1, 2, 3]), 'tensor([1., 2., 3.])'],
    ['2-D, right-aligned', () => tensor([[1, 2], [10, 20]]), 'tensor([[ 1.,  2.],\n        [10., 20.]])'],
    ['zeros only', () => tensor([0, 0]), 'tensor([0., 0.])'],
    ['mixed widths', () => tensor([100, 1]), 'tensor([100.,   1.])'],
    ['negative zero keeps its sign', () => tensor([-0, 1]), 'tensor([-0., 1.])'],
    ['a transposed column', () => tensor([[1, 2]]).T, 'tensor([[1.],\n        [2.]])'],
    // integers spanning more than 3 orders of magnitude switch to scientific notation
    ['wide range goes scientific', () => tensor([1, 10000]), 'tensor([1.0000e+00, 1.0000e+04])'],
    ['above 1e8 goes scientific', () => tensor([123456789]), 'tensor([1.2346e+08])'],
  ]);
});

describe('decimals', () => {
  check([
    ['4 places, sign column', () => tensor([0.1, 2.5, -3.14159]), 'tensor([ 0.1000,  2.5000, -3.1416])'],
    ['2-D', () => tensor([[-1.5, 2], [3, 4.25]]), 'tensor([[-1.5000,  2.0000],\n        [ 3.0000,  4.2500]])'],
    ['negative zero', () => tensor([0.5, -0]), 'tensor([0.5000, -0.0000])'],
    // 0.03125 lies exactly halfway: Python's formatting rounds half to even
    ['ties round half to even', () => tensor([0.03125, 1.5]), 'tensor([0.0312, 1.5000])'],
  ]);
});

describe('scientific notation', () => {
  check([
    ['wide range', () => tensor([1e-5, 1, 1e3]), 'tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])'],
    ['tiny values', () => tensor([1.03125e-5, 1]), 'tensor([1.0313e-05, 1.0000e+00])'],
    ['large integers', () => tensor([1e9, 1]), 'tensor([1.0000e+09, 1.0000e+00])'],
    ['non-integers over a wide range', () => tensor([1000.5, 1]), 'tensor([1.0005e+03, 1.0000e+00])'],
  ]);
});

describe('nan and inf', () => {
  // Column width comes from the finite non-zero values only; nan/inf are padded to it.
  check([
    ['in an integer-valued tensor', () => tensor([1, NaN, Infinity, -Infinity]), 'tensor([1., nan, inf, -inf])'],
    ['next to one integer', () => tensor([2, NaN]), 'tensor([2., nan])'],
    ['with decimals', () => tensor([0.5, Infinity]), 'tensor([0.5000,    inf])'],
    ['in scientific mode', () => tensor([1e-5, NaN, Infinity]), 'tensor([1.0000e-05,        nan,        inf])'],
    ['2-D scientific', () => tensor([[1e-5, 1], [NaN, -Infinity]]), 'tensor([[1.0000e-05, 1.0000e+00],\n        [       nan,       -inf]])'],
    ['only nan', () => tensor([NaN, NaN]), 'tensor([nan, nan])'],
    ['only inf', () => tensor([Infinity]), 'tensor([inf])'],
  ]);
});

describe('0-d, empty and int32', () => {
  check([
    ['0-d decimal', () => tensor(3.5), 'tensor(3.5000)'],
    ['0-d integer', () => tensor(-2), 'tensor(-2.)'],
    ['0-d nan', () => tensor(NaN), 'tensor(nan)'],
    ['0-d int32', () => tensor(7, { dtype: 'int32' }), 'tensor(7, dtype=int32)'],
    ['empty 1-D', () => zeros(0), 'tensor([])'],
    ['empty 2-D', () => zeros(0, 3), 'tensor([], size=(0, 3))'],
    ['empty 2-D, zero columns', () => zeros(3, 0), 'tensor([], size=(3, 0))'],
    ['empty 3-D', () => zeros(2, 0, 3), 'tensor([], size=(2, 0, 3))'],
    ['empty int32', () => zeros([0], { dtype: 'int32' }), 'tensor([], dtype=int32)'],
    ['int32', () => tensor([0, 1, 2], { dtype: 'int32' }), 'tensor([0, 1, 2], dtype=int32)'],
    ['int32 aligned', () => tensor([-5, 10, 3], { dtype: 'int32' }), 'tensor([-5, 10,  3], dtype=int32)'],
  ]);
});

describe('multi-dimensional layout', () => {
  check([
    [
      '3-D: a blank line between 2-D blocks',
      () => arange(24).reshape(2, 3, 4),
      'tensor([[[ 0.,  1.,  2.,  3.],\n         [ 4.,  5.,  6.,  7.],\n         [ 8.,  9., 10., 11.]],\n\n' +
        '        [[12., 13., 14., 15.],\n         [16., 17., 18., 19.],\n         [20., 21., 22., 23.]]])',
    ],
    [
      'long rows wrap at 80 columns (1-D)',
      () => arange(100),
      'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n' +
        '        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n' +
        '        28., 29., 30., 31., 32., 33., 34., 35., 36., 37., 38., 39., 40., 41.,\n' +
        '        42., 43., 44., 45., 46., 47., 48., 49., 50., 51., 52., 53., 54., 55.,\n' +
        '        56., 57., 58., 59., 60., 61., 62., 63., 64., 65., 66., 67., 68., 69.,\n' +
        '        70., 71., 72., 73., 74., 75., 76., 77., 78., 79., 80., 81., 82., 83.,\n' +
        '        84., 85., 86., 87., 88., 89., 90., 91., 92., 93., 94., 95., 96., 97.,\n' +
        '        98., 99.])',
    ],
    [
      'long rows wrap at 80 columns (2-D: 9 items of width 6 per line)',
      () => full([2, 20], 0.5),
      (() => {
        const line = (n: number) => new Array(n).fill('0.5000').join(', ');
        const row = `[${line(9)},\n         ${line(9)},\n         ${line(2)}]`;
        return `tensor([${row},\n        ${row}])`;
      })(),
    ],
  ]);
});

describe('summarised tensors (more than 1000 elements)', () => {
  check([
    ['1-D constant', () => full([2000], 0.5), 'tensor([0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000])'],
    [
      '1-D arange (scientific: the edges span 1..1999)',
      () => arange(2000),
      'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])',
    ],
    ['int32', () => arange(5000, undefined, 1, { dtype: 'int32' }), 'tensor([   0,    1,    2,  ..., 4997, 4998, 4999], dtype=int32)'],
    [
      '2-D: rows and columns',
      () => full([40, 50], 0.5),
      (() => {
        const row = '[0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000]';
        return `tensor([${[row, row, row, '...', row, row, row].join(',\n        ')}])`;
      })(),
    ],
    [
      '3-D: only the last dimension is long',
      () => full([3, 3, 500], 0.5),
      (() => {
        const row = '[0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000]';
        const block = `[${[row, row, row].join(',\n         ')}]`;
        return `tensor([${[block, block, block].join(',\n\n        ')}])`;
      })(),
    ],
  ]);

  it('a summarised tensor shows its true edge values', () => {
    expect(arange(3000).reshape(3, 1000).div(1000).add(0.25).toString()).toBe(
      'tensor([[0.2500, 0.2510, 0.2520,  ..., 1.2470, 1.2480, 1.2490],\n' +
        '        [1.2500, 1.2510, 1.2520,  ..., 2.2470, 2.2480, 2.2490],\n' +
        '        [2.2500, 2.2510, 2.2520,  ..., 3.2470, 3.2480, 3.2490]])',
    );
  });
});

describe('printing non-contiguous tensors and inspect()', () => {
  it('prints a transposed and a sliced tensor by their logical values', () => {
    expect(arange(6).reshape(2, 3).T.toString()).toBe('tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])');
    expect(arange(10).slice(1, 10, 4).toString()).toBe('tensor([1., 5., 9.])');
  });

  it('util.inspect and template strings use the same text', () => {
    const t = tensor([1.5, 2]);
    expect(inspect(t)).toBe('tensor([1.5000, 2.0000])');
    expect(`${t}`).toBe('tensor([1.5000, 2.0000])');
  });
});
