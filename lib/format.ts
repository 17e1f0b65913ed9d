/**
 * Prints tensors the way PyTorch does: one number format for the whole tensor (integers as
 * `1.`, otherwise 4 decimals, or scientific notation when magnitudes span a wide range),
 * columns aligned, and large tensors summarised with `...` (3 items at each edge).
 */
import type { DType } from './validate.js';

const SUMMARIZE_ABOVE = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

/** `autograd` is PyTorch's trailer: ', grad_fn=<MulBackward0>' or ', requires_grad=True'. */
export function formatTensor(shape: readonly number[], dtype: DType, data: ArrayLike<number>, autograd = ''): string {
  const suffix = (dtype === 'int32' ? ', dtype=int32' : '') + autograd;
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel === 0) {
    const size = shape.length === 1 ? '' : `, size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
    return `tensor([]${size}${suffix})`;
  }
  const summarize = numel > SUMMARIZE_ABOVE;
  const fmt = makeFormatter(dtype, shown(shape, data, summarize));
  const prefix = 'tensor(';
  const body = formatDim(shape, data, 0, 0, fmt, prefix.length, summarize);
  return `${prefix}${body}${suffix})`;
}

type Formatter = { format(v: number): string; width: number };

// The values that will be printed (the edges only, when summarising).
function shown(shape: readonly number[], data: ArrayLike<number>, summarize: boolean): number[] {
  if (!summarize) return Array.from(data);
  const out: number[] = [];
  const walk = (dim: number, offset: number, stride: number) => {
    const n = shape[dim] ?? 1;
    const inner = stride / Math.max(n, 1);
    const indices = n > 2 * EDGE_ITEMS ? [...range(0, EDGE_ITEMS), ...range(n - EDGE_ITEMS, n)] : range(0, n);
    for (const i of indices) {
      if (dim === shape.length - 1) out.push(data[offset + i]!);
      else walk(dim + 1, offset + i * inner, inner);
    }
  };
  walk(0, 0, shape.reduce((a, b) => a * b, 1));
  return out;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: Math.max(b - a, 0) }, (_, i) => a + i);
}

// torch._tensor_str._Formatter: the mode and the width come from the finite non-zero values.
function makeFormatter(dtype: DType, values: number[]): Formatter {
  if (dtype === 'int32') {
    const format = (v: number) => String(v);
    return { format, width: Math.max(1, ...values.map((v) => format(v).length)) };
  }
  const nonzero = values.filter((v) => Number.isFinite(v) && v !== 0);
  let width = 1;
  let mode: Mode = 'int';
  if (nonzero.length > 0) {
    const abs = nonzero.map(Math.abs);
    const max = Math.max(...abs);
    const min = Math.min(...abs);
    const wide = max / min > 1000 || max > 1e8;
    mode = nonzero.every((v) => Number.isInteger(v)) ? (wide ? 'sci' : 'int') : wide || min < 1e-4 ? 'sci' : 'fixed';
    width = Math.max(1, ...nonzero.map((v) => formatValue(v, mode).length));
  }
  return { format: (v) => formatValue(v, mode), width };
}

type Mode = 'int' | 'fixed' | 'sci';
const PRECISION = 4;

function formatValue(v: number, mode: Mode): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const a = Math.abs(v);
  if (mode === 'int') return `${sign}${a.toFixed(0)}.`;
  if (mode === 'fixed') return sign + roundHalfEven(a, false);
  // Python writes at least two exponent digits: 1.0000e+05, 1.0000e-05.
  const [mantissa, exponent] = roundHalfEven(a, true).split('e') as [string, string];
  const expSign = exponent.startsWith('-') ? '-' : '+';
  return `${sign}${mantissa}e${expSign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

// Python's format() rounds an exact tie to even ('%.4f' % 0.03125 == '0.0312'); JavaScript's
// toFixed/toExponential round it up. A tie shows in the exact decimal expansion, which
// toFixed/toExponential give when asked for enough digits (a float32 needs far fewer than 40).
function roundHalfEven(a: number, exponential: boolean): string {
  const extra = 40;
  const rounded = exponential ? a.toExponential(PRECISION) : a.toFixed(PRECISION);
  const exact = exponential ? a.toExponential(PRECISION + extra) : a.toFixed(PRECISION + extra);
  const [body, exp] = exact.split('e') as [string, string | undefined];
  const kept = body.slice(0, body.length - extra);
  if (!/^50*$/.test(body.slice(body.length - extra))) return rounded;
  const lastKept = Number(kept.replace('.', '').slice(-1));
  if (lastKept % 2 === 1) return rounded; // rounding up reaches the even digit, as toFixed did
  return exp === undefined ? kept : `${kept}e${exp}`;
}

function formatDim(
  shape: readonly number[],
  data: ArrayLike<number>,
  dim: number,
  offset: number,
  fmt: Formatter,
  indent: number,
  summarize: boolean,
): string {
  if (shape.length === 0) return fmt.format(data[0]!).padStart(fmt.width);
  const n = shape[dim]!;
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const cut = summarize && n > 2 * EDGE_ITEMS;
  const indices = cut ? [...range(0, EDGE_ITEMS), -1, ...range(n - EDGE_ITEMS, n)] : range(0, n);
  if (dim === shape.length - 1) {
    const items = indices.map((i) => (i < 0 ? ' ...' : fmt.format(data[offset + i]!).padStart(fmt.width)));
    // Wrap long rows at the line width, as PyTorch does.
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (fmt.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const blankLines = '\n'.repeat(Math.max(shape.length - dim - 2, 0));
  const rows = indices.map((i) =>
    i < 0 ? '...' : formatDim(shape, data, dim + 1, offset + i * stride, fmt, indent + 1, summarize),
  );
  return `[${rows.join(`,\n${blankLines}${' '.repeat(indent + 1)}`)}]`;
}

export type NestedArray = number | NestedArray[];

/** Row-major elements as nested arrays of the given shape (a 0-d shape gives the number). */
export function nestedArray(flat: ArrayLike<number>, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return flat[0]!;
  let pos = 0;
  const build = (dim: number): NestedArray[] => {
    const n = shape[dim]!;
    const out: NestedArray[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = dim === shape.length - 1 ? flat[pos++]! : build(dim + 1);
    return out;
  };
  return build(0);
}
