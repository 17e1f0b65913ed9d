// What the benchmarks and examples share for their command lines: `--name value` options and
// the median of repeated timings.
const args = process.argv.slice(2);

/** The value after --name on the command line (a string), or fallback when it is absent. */
export function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}

/** The median of a list of numbers (the upper one of the middle two for an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
