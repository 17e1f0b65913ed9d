/**
 * Learning curves as a standalone SVG, with no dependencies: a loss panel and, when the
 * history has accuracy, an accuracy panel; training solid, validation dashed, per epoch, with
 * ticked axes, axis labels and a legend. Open the file in any browser.
 */
import { writeAtomic } from '../io/files.js';
import { checkInt, checkOptions, fail } from '../validate.js';
import type { EpochLogs, History } from './types.js';

export interface HistorySvgOptions {
  /** Drawn above the panels. */
  title?: string;
  /** Size of the whole image in pixels (defaults 800 × 320). */
  width?: number;
  height?: number;
}

interface Series {
  name: string;
  color: string;
  dashed: boolean;
  points: [number, number][];
}

const TRAIN_COLOR = '#1f77b4';
const VAL_COLOR = '#ff7f0e';
const MARGIN = { left: 62, right: 16, top: 34, bottom: 46 };
const FONT = 'font-family="system-ui, sans-serif" font-size="12"';

/** Escapes text for SVG content and attribute values. */
function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (x: number): string => String(Math.round(x * 10) / 10);

/** About `count` round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (lo === hi) [lo, hi] = lo === 0 ? [0, 1] : [lo - Math.abs(lo) * 0.1, hi + Math.abs(hi) * 0.1];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

function tickLabel(v: number, step: number, percent: boolean): string {
  const value = percent ? v * 100 : v;
  const decimals = Math.max(0, -Math.floor(Math.log10((percent ? step * 100 : step) || 1)));
  return `${value.toFixed(Math.min(decimals, 6))}${percent ? '%' : ''}`;
}

function series(epochs: EpochLogs[], name: string, color: string, dashed: boolean, value: (e: EpochLogs) => number | undefined): Series | null {
  const points = epochs.map((e) => [e.epoch, value(e)] as [number, number | undefined]).filter((p): p is [number, number] => p[1] !== undefined);
  return points.length === 0 ? null : { name, color, dashed, points };
}

/** One panel: axes, grid, ticks, labels, the series and a legend, in a box at (x0, y0) of size w × h. */
function panel(x0: number, y0: number, w: number, h: number, ylabel: string, lines: Series[], epochCount: number, percent: boolean): string {
  const [px, py, pw, ph] = [x0 + MARGIN.left, y0 + MARGIN.top, w - MARGIN.left - MARGIN.right, h - MARGIN.top - MARGIN.bottom];
  const finite = lines.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const yTicks = finite.length === 0 ? [0, 1] : niceTicks(Math.min(...finite), Math.max(...finite));
  const [yLo, yHi] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const xTicks = niceTicks(1, Math.max(epochCount, 1), Math.min(Math.max(epochCount, 2), 8)).filter((t) => Number.isInteger(t) && t >= 1);
  const xHi = Math.max(epochCount, xTicks[xTicks.length - 1] ?? 1, 2);
  const sx = (e: number): number => px + ((e - 1) / (xHi - 1)) * pw;
  const sy = (v: number): number => py + ph - ((v - yLo) / (yHi - yLo)) * ph;
  const out: string[] = [`<g class="panel">`];
  out.push(`<rect x="${num(px)}" y="${num(py)}" width="${num(pw)}" height="${num(ph)}" fill="none" stroke="#999"/>`);
  const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;
  for (const t of yTicks) {
    const y = num(sy(t));
    out.push(`<line x1="${num(px)}" y1="${y}" x2="${num(px + pw)}" y2="${y}" stroke="#eee"/>`);
    out.push(`<line x1="${num(px - 4)}" y1="${y}" x2="${num(px)}" y2="${y}" stroke="#333"/>`);
    out.push(`<text x="${num(px - 7)}" y="${y}" text-anchor="end" dominant-baseline="middle" ${FONT}>${tickLabel(t, yStep, percent)}</text>`);
  }
  for (const t of xTicks) {
    const x = num(sx(t));
    out.push(`<line x1="${x}" y1="${num(py + ph)}" x2="${x}" y2="${num(py + ph + 4)}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${num(py + ph + 17)}" text-anchor="middle" ${FONT}>${t}</text>`);
  }
  out.push(`<text x="${num(px + pw / 2)}" y="${num(py + ph + 36)}" text-anchor="middle" ${FONT}>epoch</text>`);
  out.push(`<text transform="translate(${num(x0 + 14)} ${num(py + ph / 2)}) rotate(-90)" text-anchor="middle" ${FONT}>${xml(ylabel)}</text>`);
  for (const s of lines) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    // A non-finite value (a diverged epoch) breaks the line instead of drawing off the chart.
    const runs: [number, number][][] = [[]];
    for (const p of s.points) {
      if (Number.isFinite(p[1])) runs[runs.length - 1]!.push(p);
      else if (runs[runs.length - 1]!.length > 0) runs.push([]);
    }
    for (const run of runs.filter((r) => r.length > 0)) {
      const pts = run.map(([e, v]) => `${num(sx(e))},${num(sy(v))}`).join(' ');
      out.push(`<polyline class="series" data-series="${xml(s.name)}" points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const [e, v] of run) out.push(`<circle cx="${num(sx(e))}" cy="${num(sy(v))}" r="2.5" fill="${s.color}"/>`);
    }
  }
  // The legend sits in the top-right corner, on a white box so a curve passing under it stays readable.
  if (lines.length > 0) {
    out.push(`<rect x="${num(px + pw - 116)}" y="${num(py + 4)}" width="110" height="${lines.length * 16 + 4}" fill="white" fill-opacity="0.85" stroke="#ddd"/>`);
  }
  lines.forEach((s, i) => {
    const [lx, ly] = [px + pw - 110, py + 14 + i * 16];
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${num(lx)}" y1="${num(ly)}" x2="${num(lx + 24)}" y2="${num(ly)}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${num(lx + 30)}" y="${num(ly)}" dominant-baseline="middle" ${FONT}>${xml(s.name)}</text>`);
  });
  if (lines.length === 0) out.push(`<text x="${num(px + pw / 2)}" y="${num(py + ph / 2)}" text-anchor="middle" ${FONT} fill="#999">no data</text>`);
  out.push('</g>');
  return out.join('\n');
}

function checkHistory(fn: string, history: unknown): EpochLogs[] {
  const epochs = (history as { epochs?: unknown } | null)?.epochs;
  if (!Array.isArray(epochs) || epochs.some((e) => e === null || typeof e !== 'object' || typeof e.epoch !== 'number' || typeof e.loss !== 'number')) {
    fail(fn, 'history', 'a History from fit() (with epochs: [{ epoch, loss, ... }])', history);
  }
  return epochs as EpochLogs[];
}

/** The learning curves of a fit() history as an SVG document (a string). */
export function historyToSvg(history: History, options?: HistorySvgOptions): string {
  const fn = 'historyToSvg';
  const epochs = checkHistory(fn, history);
  const o = checkOptions<HistorySvgOptions>(fn, options, ['title', 'width', 'height']);
  const width = checkInt(fn, 'options.width', o.width ?? 800, 200, 10_000);
  const height = checkInt(fn, 'options.height', o.height ?? 320, 150, 10_000);
  if (o.title !== undefined && typeof o.title !== 'string') fail(fn, 'options.title', 'a string', o.title);
  const titleSpace = o.title ? 24 : 0;
  const lossLines = [
    series(epochs, 'training', TRAIN_COLOR, false, (e) => e.loss),
    series(epochs, 'validation', VAL_COLOR, true, (e) => e.valLoss),
  ].filter((s): s is Series => s !== null);
  const accLines = [
    series(epochs, 'training', TRAIN_COLOR, false, (e) => e.metrics?.accuracy),
    series(epochs, 'validation', VAL_COLOR, true, (e) => e.valMetrics?.accuracy),
  ].filter((s): s is Series => s !== null);
  const panels = accLines.length > 0 ? 2 : 1;
  const pw = width / panels;
  const ph = height - titleSpace;
  const last = epochs.reduce((m, e) => Math.max(m, e.epoch), 0);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${xml(o.title ?? 'learning curves')}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (o.title) parts.push(`<text x="${num(width / 2)}" y="18" text-anchor="middle" font-family="system-ui, sans-serif" font-size="15" font-weight="bold">${xml(o.title)}</text>`);
  parts.push(panel(0, titleSpace, pw, ph, 'loss', lossLines, last, false));
  if (panels === 2) parts.push(panel(pw, titleSpace, pw, ph, 'accuracy', accLines, last, true));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Writes historyToSvg(history, options) to path atomically: a temporary file beside it, then a rename. */
export async function writeHistorySvg(history: History, path: string, options?: HistorySvgOptions): Promise<void> {
  if (typeof path !== 'string' || path === '') fail('writeHistorySvg', 'path', 'a non-empty string', path);
  await writeAtomic('writeHistorySvg', path, [Buffer.from(historyToSvg(history, options), 'utf8')]);
}
