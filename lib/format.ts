/**
 * Prints tensors the way PyTorch does: one number format for the whole tensor (integers as
 * `1.`, otherwise 4 decimals, or scientific notation when magnitudes span a wide range),
 * columns aligned, and large tensors summarised with `...` (3 items at each edge).
 */
import type { DType } from './validate.js';

const SUMMARIZE_ABOVE = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

export function formatTensor(shape: readonly number[], dtype: DType, data: ArrayLike<number>): string {
  const suffix = dtype === 'int32' ? ', dtype=int32' : '';
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

function makeFormatter(dtype: DType, values: number[]): Formatter {
  let format: (v: number) => string;
  if (dtype === 'int32') {
    format = (v) => String(v);
  } else {
    const finite = values.filter((v) => Number.isFinite(v));
    const nonzero = finite.map(Math.abs).filter((v) => v !== 0);
    const intMode = finite.every((v) => Number.isInteger(v));
    const maxAbs = nonzero.length ? Math.max(...nonzero) : 0;
    const minAbs = nonzero.length ? Math.min(...nonzero) : 0;
    const sci = intMode ? maxAbs > 1e8 : nonzero.length > 0 && (maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4);
    const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
    if (sci) format = (v) => (Number.isFinite(v) ? expFormat(v) : special(v));
    else if (intMode) format = (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : special(v));
    else format = (v) => (Number.isFinite(v) ? v.toFixed(4) : special(v));
  }
  const width = Math.max(...values.map((v) => format(v).length));
  return { format, width };
}

// PyTorch prints 1.2346e+05 with at least two exponent digits.
function expFormat(v: number): string {
  const [mantissa, exponent] = v.toExponential(4).split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
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
    const items = indices.map((i) => (i < 0 ? '...' : fmt.format(data[offset + i]!).padStart(fmt.width)));
    // Wrap long rows at the line width, as PyTorch does.
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent - 1) / (fmt.width + 2)));
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
