/**
 * fit()'s printed progress. On a TTY one live line is redrawn in place with \r (at most ten
 * times a second, so printing never slows training):
 *   Epoch 3/10 [=========>          ] 512/938  loss 0.2345  acc 93.1%  12,345 samples/s  ETA 0:12
 * and is replaced at the end of the epoch by its summary, validation included. Anywhere else
 * (a log file, a pipe, CI) only the summaries are written, one plain line per epoch: no \r and
 * no escape codes. Nothing at all with verbose: false.
 */
import type { EpochLogs } from './types.js';

/** The part of a writable stream progress uses: process.stdout, a file stream, a test fake. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** Terminal width: a live line is cut to fit, since a wrapped line cannot be redrawn with \r. */
  columns?: number;
}

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

/** 'accuracy' → 'acc', 'top5Accuracy' → 'top5', others as named. */
function label(name: string): string {
  if (name === 'accuracy') return 'acc';
  const top = /^top(\d+)Accuracy$/.exec(name);
  return top ? `top${top[1]}` : name;
}

/** Accuracies as percentages, anything else as a plain number. */
export function formatMetric(name: string, value: number): string {
  if (/accuracy$/i.test(name) && Number.isFinite(value)) return `${(value * 100).toFixed(1)}%`;
  return formatNumber(value);
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a === 0 || (a >= 1e-3 && a < 1e5) ? x.toFixed(4) : x.toExponential(3);
}

function formatRate(samplesPerSecond: number): string {
  return `${Math.round(samplesPerSecond).toLocaleString('en-US')} samples/s`;
}

/** 0:07, 2:05, 1:02:05. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)}s` : formatClock(seconds);
}

function metricFields(metrics: Record<string, number>, prefix = ''): string[] {
  return Object.entries(metrics).map(([name, v]) => `${prefix}${label(name)} ${formatMetric(name, v)}`);
}

export class Progress {
  readonly #out: ProgressStream;
  readonly #live: boolean;
  readonly #epochs: number;
  #epoch = 0;
  #total: number | undefined;
  #start = 0;
  #lastDraw = -Infinity;
  #drawn = 0; // length of the live line on screen, to blank it when a shorter one replaces it

  /** null when verbose is false; a live bar when verbose is on and the stream is a TTY. */
  static create(verbose: boolean | 'auto', out: ProgressStream, epochs: number): Progress | null {
    return verbose === false ? null : new Progress(out, out.isTTY === true, epochs);
  }

  private constructor(out: ProgressStream, live: boolean, epochs: number) {
    this.#out = out;
    this.#live = live;
    this.#epochs = epochs;
  }

  epochBegin(epoch: number, totalBatches: number | undefined): void {
    this.#epoch = epoch;
    this.#total = totalBatches;
    this.#start = performance.now();
    this.#lastDraw = -Infinity;
  }

  /** After each batch: done batches so far, the running mean loss, and the running metrics (read only when drawn). */
  batch(done: number, samples: number, loss: number, metrics: () => Record<string, number>): void {
    if (!this.#live) return;
    const now = performance.now();
    if (now - this.#lastDraw < REDRAW_MS && done !== this.#total) return;
    this.#lastDraw = now;
    const elapsed = (now - this.#start) / 1000;
    const fields = [`${this.#head()} ${this.#bar(done)}`, `loss ${formatNumber(loss)}`, ...metricFields(metrics())];
    if (elapsed > 0) fields.push(formatRate(samples / elapsed));
    if (this.#total !== undefined && done < this.#total) fields.push(`ETA ${formatClock((elapsed / done) * (this.#total - done))}`);
    this.#draw(fields.join('  '));
  }

  epochEnd(logs: EpochLogs): void {
    const fields = [this.#head(), `loss ${formatNumber(logs.loss)}`, ...metricFields(logs.metrics)];
    if (logs.valLoss !== undefined) fields.push(`val_loss ${formatNumber(logs.valLoss)}`);
    if (logs.valMetrics !== undefined) fields.push(...metricFields(logs.valMetrics, 'val_'));
    fields.push(formatRate(logs.samplesPerSecond), formatSeconds(logs.seconds));
    this.#finish(fields.join('  '));
  }

  aborted(batches: number): void {
    this.#finish(`${this.#head()}  aborted after ${batches}${this.#total !== undefined ? `/${this.#total}` : ''} batches`);
  }

  #head(): string {
    return `Epoch ${this.#epoch}/${this.#epochs}`;
  }

  #bar(done: number): string {
    if (this.#total === undefined || this.#total === 0) return `batch ${done}`;
    const filled = Math.min(BAR_WIDTH, Math.floor((done / this.#total) * BAR_WIDTH));
    const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
    return `[${bar}] ${done}/${this.#total}`;
  }

  #fit(line: string): string {
    const cols = this.#out.columns;
    return typeof cols === 'number' && cols > 1 && line.length >= cols ? line.slice(0, cols - 1) : line;
  }

  #draw(line: string): void {
    const text = this.#fit(line);
    this.#out.write(`\r${text.padEnd(this.#drawn)}`);
    this.#drawn = text.length;
  }

  /** Writes a finished line: over the live one on a TTY, as a plain line elsewhere. */
  #finish(line: string): void {
    if (this.#live) {
      this.#out.write(`\r${line.padEnd(this.#drawn)}\n`);
      this.#drawn = 0;
    } else {
      this.#out.write(`${line}\n`);
    }
  }
}
