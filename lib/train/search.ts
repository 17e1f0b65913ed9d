/**
 * Hyper-parameter search: a grid over lists of values, or seeded random draws.
 *
 * The trial function trains on the training split and returns a score measured on the
 * VALIDATION split. search() never sees the test split, and neither should the choice of
 * hyper-parameters: evaluate the best configuration on the test split once, at the very end,
 * or the test score stops being an honest estimate.
 *
 *   const { best } = await train.search(
 *     { lr: [0.1, 0.01], hidden: [32, 64] },
 *     async ({ lr, hidden }) => ({ score: (await trainAndValidate(lr, hidden)).accuracy }),
 *   );
 */
import { Xoshiro128 } from '../data/random.js';
import { ArgumentError } from '../errors.js';
import { checkInt, checkOptions, describe, fail } from '../validate.js';

/** Each parameter: a list of values (grid, or drawn uniformly), or a function drawing one from the seeded random() it is given. */
export type SearchSpace = Record<string, readonly unknown[] | ((random: () => number) => unknown)>;

/** The params a trial receives for a space: the element type of each list, the return type of each function. */
export type ParamsOf<S extends SearchSpace> = {
  [K in keyof S]: S[K] extends readonly (infer V)[] ? V : S[K] extends (...args: never[]) => infer R ? R : never;
};

/** What a trial returns: its validation score, and anything else worth keeping (kept in its result). */
export interface TrialOutcome {
  score: number;
  [key: string]: unknown;
}

export type TrialResult<P> = { params: P; score: number } & Record<string, unknown>;

export interface SearchOptions {
  /** Default 'grid' when every parameter is a list, else 'random'. */
  strategy?: 'grid' | 'random';
  /** Random draws to try (random only). Default 10. */
  trials?: number;
  /** Seed of the random draws (random only). Default 0, so a search repeats exactly. */
  seed?: number;
  /** Whether a higher score is better ('max', the default: accuracy) or a lower one ('min': a loss). */
  mode?: 'max' | 'min';
}

export interface SearchResult<P> {
  best: TrialResult<P>;
  /** Every trial, best first (trials with a NaN score last; ties keep trial order). */
  results: TrialResult<P>[];
}

/** Floats in [0, 1) from the seeded generator the DataLoader shuffles with. */
function seededRandom(seed: number): () => number {
  const rng = new Xoshiro128(seed);
  return () => rng.nextFloat();
}

/** Every combination, the first parameter varying slowest (as itertools.product). */
function* grid(entries: [string, readonly unknown[]][]): Generator<Record<string, unknown>> {
  if (entries.length === 0) {
    yield {};
    return;
  }
  const [[name, values], ...rest] = entries as [[string, readonly unknown[]], ...[string, readonly unknown[]][]];
  for (const v of values) for (const tail of grid(rest)) yield { [name]: v, ...tail };
}

/**
 * Runs trial once per configuration, one after another, and ranks the results by score.
 * Resolves with the best and with every result (params, score, and whatever else the trial returned).
 */
export async function search<S extends SearchSpace>(
  space: S,
  trial: (params: ParamsOf<S>) => Promise<TrialOutcome> | TrialOutcome,
  options?: SearchOptions,
): Promise<SearchResult<ParamsOf<S>>> {
  const fn = 'search';
  if (space === null || typeof space !== 'object' || Array.isArray(space)) fail(fn, 'space', 'an object of parameter lists or sampling functions', space);
  const entries = Object.entries(space);
  for (const [name, v] of entries) {
    if (Array.isArray(v) ? v.length === 0 : typeof v !== 'function') fail(fn, `space.${name}`, 'a non-empty array of values or a function (random) => value', v);
  }
  if (typeof trial !== 'function') fail(fn, 'trial', 'an async function (params) => ({ score })', trial);
  const o = checkOptions<SearchOptions>(fn, options, ['strategy', 'trials', 'seed', 'mode']);
  const allLists = entries.every(([, v]) => Array.isArray(v));
  const strategy = o.strategy ?? (allLists ? 'grid' : 'random');
  if (strategy !== 'grid' && strategy !== 'random') fail(fn, 'options.strategy', "'grid' or 'random'", strategy);
  const mode = o.mode ?? 'max';
  if (mode !== 'max' && mode !== 'min') fail(fn, 'options.mode', "'max' or 'min'", mode);

  let configs: Iterable<Record<string, unknown>>;
  if (strategy === 'grid') {
    const fnEntry = entries.find(([, v]) => !Array.isArray(v));
    if (fnEntry) throw new ArgumentError(`${fn}: a grid needs a list of values for every parameter; space.${fnEntry[0]} is a function (use strategy 'random')`);
    for (const key of ['trials', 'seed'] as const) {
      if (o[key] !== undefined) throw new ArgumentError(`${fn}: options.${key} only applies to strategy 'random' (a grid tries every combination)`);
    }
    configs = grid(entries as [string, readonly unknown[]][]);
  } else {
    const trials = checkInt(fn, 'options.trials', o.trials ?? 10, 1);
    const random = seededRandom(checkInt(fn, 'options.seed', o.seed ?? 0, 0, 2 ** 32 - 1));
    const draw = (): Record<string, unknown> =>
      Object.fromEntries(
        entries.map(([name, v]) => [name, Array.isArray(v) ? v[Math.floor(random() * v.length)] : (v as (r: () => number) => unknown)(random)]),
      );
    configs = Array.from({ length: trials }, draw);
  }

  const results: TrialResult<ParamsOf<S>>[] = [];
  let index = 0;
  for (const params of configs) {
    const outcome = await trial(params as ParamsOf<S>);
    const score = (outcome as { score?: unknown } | null)?.score;
    if (typeof score !== 'number') {
      throw new ArgumentError(`${fn}: trial ${index} (${JSON.stringify(params)}) must resolve to { score: number, ... }, got ${describe(outcome)}`);
    }
    results.push({ ...outcome, params: params as ParamsOf<S>, score });
    index++;
  }
  const sign = mode === 'max' ? -1 : 1;
  const rank = (s: number): number => (Number.isNaN(s) ? Infinity : sign * s);
  results.sort((a, b) => rank(a.score) - rank(b.score) || 0);
  return { best: results[0]!, results };
}
