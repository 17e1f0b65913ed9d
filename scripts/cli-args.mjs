// What the benchmarks and examples share for their command lines: `--name value` options, the
// median of repeated timings, and a training step's rate over timed rounds.
const args = process.argv.slice(2);

/** The value after --name on the command line (a string), or fallback when it is absent. */
export function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}

/** The median of a list of numbers (the upper one of the middle two for an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Samples per second of step() (one batch of `batch` samples): `warmup` untimed calls, then
 * `rounds` rounds of `steps` calls; the median round.
 */
export function stepRate(step, { warmup, steps, rounds, batch }) {
  for (let i = 0; i < warmup; i++) step();
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    rates.push((steps * batch) / ((performance.now() - t0) / 1e3));
  }
  return median(rates);
}
