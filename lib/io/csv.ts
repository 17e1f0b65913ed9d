/**
 * CSV files of numbers: every field a decimal number (quotes around it allowed), one row a
 * line. Blank lines are skipped, \r\n line ends accepted. Missing values, text columns and
 * numbers spelled Infinity or NaN are refused with an IOError that gives the file, the line
 * and the column, so a bad row is found at once instead of becoming NaN in training.
 */
import { ArgumentError, IOError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkBool, checkDType, checkOptions, describe, type DType, fail } from '../validate.js';
import { checkPath, readFileBytes, readFileBytesSync } from './files.js';

export interface ReadCsvOptions {
  /** The first non-blank line names the columns (default true). */
  header?: boolean;
  /** The field separator (default ','). */
  delimiter?: string;
  /** The column to split off as the target: its name (needs a header) or index (negative counts from the end). */
  target?: string | number;
  /** dtype of the target: 'float32' (default) or 'int32' (class labels; the values must be integers). */
  targetDType?: 'float32' | 'int32';
}

export interface CsvData {
  /** float32 [rows, columns.length]. */
  features: Tensor;
  /** [rows] of targetDType, or null without a target. */
  target: Tensor | null;
  /** The feature columns' names (c0, c1, ... without a header). */
  columns: string[];
}

const OPTIONS = ['header', 'delimiter', 'target', 'targetDType'] as const;

// A decimal number: digits with an optional fraction and exponent. Stricter than Number(),
// which takes '' and ' ' for 0 and reads 0x1f, Infinity and NaN.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Parsed {
  header: boolean;
  delimiter: string;
  target: string | number | undefined;
  targetDType: DType;
}

function parseOptions(fn: string, options: unknown): Parsed {
  const opts = checkOptions<ReadCsvOptions>(fn, options, OPTIONS);
  const header = opts.header === undefined ? true : checkBool(fn, 'options.header', opts.header);
  const delimiter = opts.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter === '' || /["\r\n]/.test(delimiter)) {
    fail(fn, 'options.delimiter', 'a non-empty string without quotes or line breaks', delimiter);
  }
  const target = opts.target;
  if (target !== undefined && typeof target !== 'string' && !Number.isInteger(target)) {
    fail(fn, 'options.target', 'a column name or an integer column index', target);
  }
  if (typeof target === 'string' && !header) {
    throw new ArgumentError(`${fn}: options.target names a column (${JSON.stringify(target)}), which needs header: true; pass the column's index instead`);
  }
  if (opts.targetDType !== undefined && target === undefined) {
    throw new ArgumentError(`${fn}: options.targetDType is set but options.target is not; say which column is the target`);
  }
  const targetDType = opts.targetDType === undefined ? 'float32' : checkDType(fn, 'options.targetDType', opts.targetDType);
  return { header, delimiter, target, targetDType };
}

/** Splits one line into fields; a field may be wrapped in double quotes ("" inside is a quote). */
function splitLine(line: string, delimiter: string): string[] | null {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    if (quoted) {
      if (line[i] === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += line[i];
      }
      i++;
    } else if (line.startsWith(delimiter, i)) {
      fields.push(field);
      field = '';
      i += delimiter.length;
    } else {
      if (line[i] === '"' && field.trim() === '') {
        field = '';
        quoted = true;
      } else {
        field += line[i];
      }
      i++;
    }
  }
  if (quoted) return null; // an unclosed quote
  fields.push(field);
  return fields;
}

// Which column is the target: an index into the columns, or -1 for none.
function targetIndex(fn: string, target: string | number | undefined, names: string[]): number {
  if (target === undefined) return -1;
  const listed = names.map((n) => JSON.stringify(n)).join(', ');
  if (typeof target === 'string') {
    const i = names.indexOf(target);
    if (i < 0) throw new ArgumentError(`${fn}: options.target ${JSON.stringify(target)} is not a column; the columns are ${listed}`);
    return i;
  }
  if (target < -names.length || target >= names.length) {
    throw new ArgumentError(`${fn}: options.target must be a column index from ${-names.length} to ${names.length - 1}, got ${describe(target)}; the columns are ${listed}`);
  }
  return target < 0 ? target + names.length : target;
}

function parseCsv(fn: string, path: string, text: string, opts: Parsed): CsvData {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte-order mark
  const lines = text.split('\n');
  const at = (i: number) => `${fn}: ${path}:${i + 1}:`;
  const fieldsOf = (i: number): string[] => {
    const fields = splitLine(lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!, opts.delimiter);
    if (fields === null) throw new IOError(`${at(i)} a quoted field is not closed`);
    return fields;
  };
  const rows: number[] = []; // indices of the data lines
  let names: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    if (opts.header && names === null) names = fieldsOf(i).map((f) => f.trim());
    else rows.push(i);
  }
  if (names === null) {
    if (opts.header) throw new IOError(`${fn}: ${path} is empty: it has no header line`);
    names = rows.length === 0 ? [] : fieldsOf(rows[0]!).map((_, j) => `c${j}`);
  }
  const ncol = names.length;
  const t = targetIndex(fn, opts.target, names);
  const nfeat = t < 0 ? ncol : ncol - 1;
  const features = new Float32Array(rows.length * nfeat);
  const target = t < 0 ? null : opts.targetDType === 'int32' ? new Int32Array(rows.length) : new Float32Array(rows.length);
  const bad = (line: number, j: number, field: string, expectation: string) =>
    new IOError(`${at(line)} column ${JSON.stringify(names![j])} must be ${expectation}, got ${JSON.stringify(field)}`);
  rows.forEach((line, r) => {
    const fields = fieldsOf(line);
    if (fields.length !== ncol) {
      throw new IOError(`${at(line)} expected ${ncol} fields (as ${opts.header ? 'the header has' : 'the first row has'}), got ${fields.length}`);
    }
    let k = r * nfeat;
    for (let j = 0; j < ncol; j++) {
      const field = fields[j]!.trim();
      if (!NUMBER.test(field)) throw bad(line, j, field, 'a number');
      const value = Number(field);
      if (!Number.isFinite(value)) throw bad(line, j, field, 'a finite number');
      if (j !== t) features[k++] = value;
      else if (target instanceof Int32Array) {
        if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw bad(line, j, field, "an integer in the int32 range (targetDType 'int32')");
        target[r] = value;
      } else target![r] = value;
    }
  });
  return {
    features: Tensor.from(features, [rows.length, nfeat]),
    target: target === null ? null : Tensor.from(target, [rows.length]),
    columns: names.filter((_, j) => j !== t),
  };
}

/**
 * Reads a CSV file of numbers: features as float32 [rows, columns], and optionally one
 * column split off as the target. Bad rows throw an IOError like
 * `readCsv: data.csv:17: column "age" must be a number, got "abc"`.
 */
export async function readCsv(path: string, options?: ReadCsvOptions): Promise<CsvData> {
  checkPath('readCsv', path);
  const opts = parseOptions('readCsv', options);
  return parseCsv('readCsv', path, (await readFileBytes('readCsv', path)).toString('utf8'), opts);
}

/** readCsv, synchronously. */
export function readCsvSync(path: string, options?: ReadCsvOptions): CsvData {
  checkPath('readCsvSync', path);
  const opts = parseOptions('readCsvSync', options);
  return parseCsv('readCsvSync', path, readFileBytesSync('readCsvSync', path).toString('utf8'), opts);
}
