// Turns the runs of `npm run bench` into tables (each library's ratio to tensorgrad), the
// targets of the benchmark issue checked against them, and bench/RESULTS.md.
import { describeMachine } from './machine.mjs';
import { WORKLOADS } from './plan.mjs';

const fmt = (x, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
// "-" where there is nothing to compare with (no tensorgrad result, a zero rate).
const ratio = (x) => (!Number.isFinite(x) || x <= 0 ? '-' : `${fmt(x, x >= 10 ? 0 : 2)}x`);
const table = (head, rows) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const labelOf = (r) => (r.setup ? `${r.library} ${r.setup}` : r.library);

/** Results of one workload grouped by library and setup, in the order they first ran. */
function bySetup(results, workload) {
  const groups = new Map();
  for (const r of results.filter((x) => x.workload === workload)) {
    const key = labelOf(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups].map(([label, runs]) => ({ label, library: runs[0].library, runs, ok: runs.filter((r) => !r.failed && !r.unsupported) }));
}

const failure = (g) => g.runs.find((r) => r.failed)?.failed ?? g.runs.find((r) => r.unsupported)?.unsupported;
// For a setup that also has results: say that some of its runs failed, and why.
const partialFailure = (g) => (g.ok.length < g.runs.length ? `${g.runs.length - g.ok.length} of ${g.runs.length} runs failed: ${failure(g)}` : '');
// maxRSS is in KiB, so the figures are MiB.
const peakRss = (g) => `${fmt(Math.max(...g.ok.map((r) => r.peakRssMB)))} MiB`;
const notesOf = (groups) => groups.flatMap((g) => (g.ok[0]?.notes ? [`- ${g.label}: ${g.ok[0].notes}`] : []));
const bestOfLibrary = (stats, lib) => stats.filter((x) => x.g.library === lib && x.best).reduce((a, x) => (a && a.best.samplesPerS >= x.best.samplesPerS ? a : x), undefined);

/** Training: the best rate of each setup, its test accuracy (mean over its runs), memory. */
function trainingSection(results, workload) {
  const groups = bySetup(results, workload);
  const stats = groups.map((g) => {
    if (g.ok.length === 0) return { g };
    const best = g.ok.reduce((a, b) => (b.samplesPerS > a.samplesPerS ? b : a));
    const accuracy = g.ok.reduce((s, r) => s + r.testAccuracy, 0) / g.ok.length;
    return { g, best, accuracy, full: g.ok.every((r) => r.fullEpoch) };
  });
  const tg = bestOfLibrary(stats, 'tensorgrad');
  const rows = stats.map(({ g, best, accuracy, full }) => {
    if (!best) return [g.label, '-', '-', '-', '-', '-', '-', failure(g) ?? 'no result'];
    const epochS = best.epochSamples / best.samplesPerS;
    return [
      g.label,
      `${fmt(best.samplesPerS)}${full ? '' : ' *'}`,
      ratio(tg?.best.samplesPerS / best.samplesPerS),
      full ? `${fmt(epochS, 1)} s` : `≈ ${fmt(epochS)} s (extrapolated)`,
      full ? `full (${fmt(best.epochSamples)})` : `sample: ${fmt(best.trainedSamples)} of ${fmt(best.epochSamples)}`,
      `${(100 * accuracy).toFixed(2)}%${best.testSamples < 10000 ? ` (${fmt(best.testSamples)} test images)` : ''}${g.ok.length > 1 ? ` (mean of ${g.ok.length})` : ''}`,
      peakRss(g),
      partialFailure(g),
    ];
  });
  const head = ['library', 'samples/s', 'tensorgrad is', 'epoch time', 'trained on', 'test accuracy', 'peak RSS', 'note'];
  return { text: table(head, rows), stats, tg, notes: notesOf(groups) };
}

function gemmSection(results) {
  const groups = bySetup(results, 'gemm');
  const shapes = groups.find((g) => g.ok.length)?.ok[0].gemm ?? [];
  const bestOf = (g, name) => Math.max(...g.ok.map((r) => r.gemm.find((x) => x.name === name)?.gflops ?? 0));
  const shown = groups.filter((g) => g.ok.length);
  const rows = shapes.map((s) => {
    const tg = Math.max(...shown.filter((g) => g.library === 'tensorgrad').map((g) => bestOf(g, s.name)));
    return [`${s.name} (${s.op} ${s.m}×${s.n}×${s.k})`, ...shown.map((g) => {
      const v = bestOf(g, s.name);
      if (v === 0) return 'skipped';
      return g.library === 'tensorgrad' ? fmt(v, 1) : `${fmt(v, v < 10 ? 2 : 1)} (${ratio(tg / v)})`;
    })];
  });
  rows.push(['peak RSS', ...shown.map((g) => peakRss(g))]);
  const absent = groups.filter((g) => !g.ok.length).map((g) => `- ${g.label}: ${failure(g)}`);
  const partial = shown.filter((g) => partialFailure(g)).map((g) => `- ${g.label}: ${partialFailure(g)}`);
  const text = `${table(['shape', ...shown.map((g) => g.label)], rows)}\n\nGFLOP/s over every call, best of the rounds; in brackets how many times faster tensorgrad's best setup is.`;
  return { text: [text, ...(absent.length + partial.length ? ['', ...absent, ...partial] : [])].join('\n'), shapes, shown, bestOf };
}

function inferSection(results) {
  const groups = bySetup(results, 'mlp-infer');
  const at = (g, batch) => g.ok.map((r) => r.infer.find((i) => i.batch === batch));
  const lat = (g) => Math.min(...at(g, 1).map((i) => i.latencyUs));
  const thr = (g) => Math.max(...at(g, 256).map((i) => i.samplesPerS));
  const tgs = groups.filter((g) => g.library === 'tensorgrad' && g.ok.length);
  const tgLat = Math.min(...tgs.map(lat));
  const tgThr = Math.max(...tgs.map(thr));
  const rows = groups.map((g) => {
    if (!g.ok.length) return [g.label, '-', '-', '-', '-', '-', failure(g)];
    return [g.label, fmt(lat(g), 1), ratio(lat(g) / tgLat), fmt(thr(g)), ratio(tgThr / thr(g)), peakRss(g), partialFailure(g)];
  });
  const head = ['library', 'batch 1: µs per call (median)', 'tensorgrad is', 'batch 256: samples/s', 'tensorgrad is', 'peak RSS', 'note'];
  return { text: table(head, rows), groups, lat, thr, tgLat, tgThr, notes: notesOf(groups) };
}

/**
 * tensorgrad's test accuracy against PyTorch's, seed by seed: the runs of one seed start from
 * the same weights and batch order (shared-start.mjs), so each seed gives a paired difference.
 * Returns the means over the seeds both ran, in percent, and the per-seed differences.
 */
function pairedAccuracy(stats) {
  const bySeed = (lib) => {
    const seeds = new Map();
    for (const x of stats.filter((y) => y.g.library === lib && y.best)) {
      for (const r of x.g.ok) seeds.set(r.seed, [...(seeds.get(r.seed) ?? []), 100 * r.testAccuracy]);
    }
    return new Map([...seeds].map(([seed, xs]) => [seed, xs.reduce((a, b) => a + b, 0) / xs.length]));
  };
  const tg = bySeed('tensorgrad');
  const torch = bySeed('PyTorch');
  const seeds = [...tg.keys()].filter((seed) => torch.has(seed));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const diffs = seeds.map((seed) => tg.get(seed) - torch.get(seed));
  return { n: seeds.length, tg: mean(seeds.map((x) => tg.get(x))), torch: mean(seeds.map((x) => torch.get(x))), diffs };
}

// The PyTorch builds measured (Debian's 1.13 with OpenBLAS; a current 2.x with MKL and oneDNN):
// a target is met against the best setup of either.
const PYTORCHES = ['PyTorch', 'PyTorch 2'];
// "1t" setups use one core; "2t ..." ones two (PyTorch's "2t (1 + OpenBLAS 2)" included).
const cores = (label) => (/ 2t\b/.test(` ${label}`) ? 2 : 1);
const setupOf = (g) => g.label.slice(g.library.length + 1);
// Setups held to AVX2 kernels on an AVX-512 machine end in " avx2" (harness/plan.mjs); the
// targets compare those only with each other, and the others only with the others.
const isAvx2 = (g) => / avx2$/.test(g.label);

/** The benchmark issues' targets, each with the figures (and setups) that decide it. */
function targets(sections) {
  const lines = [];
  const check = (ok, text) => lines.push(`- ${ok ? 'met' : 'NOT met'}: ${text}`);
  const named = (x) => `${x.g.label}, ${fmt(x.best.samplesPerS)} samples/s`;
  const gemm = sections.gemm;
  if (gemm?.shown?.length) {
    const blas = gemm.shown.filter((g) => PYTORCHES.includes(g.library));
    for (const tg of gemm.shown.filter((g) => g.library === 'tensorgrad')) {
      const peers = blas.filter((g) => cores(g.label) === cores(tg.label) && isAvx2(g) === isAvx2(tg));
      if (!peers.length) continue;
      const ratios = gemm.shapes.map((s) => ({ s, r: gemm.bestOf(tg, s.name) / Math.max(...peers.map((g) => gemm.bestOf(g, s.name))) }));
      const big = ratios.filter(({ s }) => s.name.startsWith('square') ? s.m >= 256 : true);
      const worst = big.reduce((a, b) => (b.r < a.r ? b : a));
      const met = big.filter(({ r }) => r >= 1).length;
      check(met === big.length, `GEMM ${tg.label} ≥ 1.0x the best BLAS on ${cores(tg.label)} core${cores(tg.label) > 1 ? 's' : ''} (PyTorch's mm: OpenBLAS, MKL), squares n ≥ 256 and the training shapes: ${met} of ${big.length} shapes; lowest ${ratio(worst.r)} (${worst.s.name})`);
    }
  }
  for (const workload of ['mlp-train', 'cnn-train']) {
    const s = sections[workload];
    if (!s?.tg) continue;
    const what = workload === 'mlp-train' ? 'MLP training' : 'CNN training';
    const bestAmong = (keep) => s.stats.filter((x) => x.best && keep(x.g)).reduce((a, x) => (a && a.best.samplesPerS >= x.best.samplesPerS ? a : x), undefined);
    for (const isa of ['', ' avx2']) {
      const sameIsa = (g) => isAvx2(g) === (isa !== '');
      const torch = bestAmong((g) => PYTORCHES.includes(g.library) && sameIsa(g));
      const torchOne = bestAmong((g) => PYTORCHES.includes(g.library) && sameIsa(g) && cores(g.label) === 1);
      const tgAll = bestAmong((g) => g.library === 'tensorgrad' && sameIsa(g));
      const tgOne = bestAmong((g) => g.library === 'tensorgrad' && setupOf(g) === `1t${isa}`);
      if (torch && tgAll) check(tgAll.best.samplesPerS / torch.best.samplesPerS >= 1.5, `${what}${isa ? ' on AVX2' : ''}: ≥ 1.5x the best PyTorch setup: ${ratio(tgAll.best.samplesPerS / torch.best.samplesPerS)} (${named(tgAll)}; ${named(torch)})`);
      if (torchOne && tgOne) check(tgOne.best.samplesPerS / torchOne.best.samplesPerS >= 1.2, `${what}${isa ? ' on AVX2' : ''}, one core each: ≥ 1.2x: ${ratio(tgOne.best.samplesPerS / torchOne.best.samplesPerS)} (${named(tgOne)}; ${named(torchOne)})`);
    }
    if (s.stats.some((x) => x.g.library === 'PyTorch' && x.best)) {
      const acc = pairedAccuracy(s.stats);
      const full = s.stats.filter((x) => ['tensorgrad', 'PyTorch'].includes(x.g.library) && x.best).every((x) => x.full);
      const gap = acc.tg - acc.torch;
      const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
      const accuracyText = `${what}: test accuracy within 0.5 points of PyTorch's: ${acc.tg.toFixed(2)}% against ${acc.torch.toFixed(2)}%, means over ${acc.n} seed${acc.n === 1 ? '' : 's'}, each starting both from the same weights and batch order`;
      const gapText = `; difference ${signed(gap)} points${acc.n > 1 ? ` (per seed ${acc.diffs.map(signed).join(', ')})` : ''}`;
      if (acc.n === 0) lines.push(`- not checked (no seed ran in both libraries): ${what} accuracy`);
      else if (full) check(Math.abs(gap) <= 0.5, `${accuracyText}${gapText}`);
      else lines.push(`- not checked (a run trained on a sample, not a full epoch): ${accuracyText}`);
    }
    const tgOne = s.stats.find((x) => x.g.label === 'tensorgrad 1t' && x.best);
    for (const [lib, want] of [['tfjs-wasm', 50], ['tfjs-cpu', 100], ['ConvNetJS', 100], ['brain.js', 100]]) {
      const peer = bestOfLibrary(s.stats, lib);
      if (!peer) continue;
      // The peers run on one thread (all they can use); say what tensorgrad on one thread gives too.
      const oneThread = tgOne ? `; tensorgrad 1t: ${ratio(tgOne.best.samplesPerS / peer.best.samplesPerS)}` : '';
      check(s.tg.best.samplesPerS / peer.best.samplesPerS >= want, `${what}: ≥ ${want}x ${lib} (single-threaded): ${ratio(s.tg.best.samplesPerS / peer.best.samplesPerS)} with ${s.tg.g.label}${oneThread}`);
    }
  }
  const inf = sections['mlp-infer'];
  if (inf && Number.isFinite(inf.tgLat)) {
    for (const [lib, thrWant, latWant] of [['onnxruntime-node', 1.2, 0.7], ['PyTorch 2', 1.2, 0.5], ['PyTorch', 1, 1]]) {
      const peers = inf.groups.filter((g) => g.library === lib && g.ok.length);
      if (!peers.length) continue;
      const thr = Math.max(...peers.map(inf.thr));
      const lat = Math.min(...peers.map(inf.lat));
      check(inf.tgThr / thr >= thrWant, `batch-256 inference ≥ ${thrWant}x ${lib}'s samples/s: ${ratio(inf.tgThr / thr)} (${fmt(inf.tgThr)} against ${fmt(thr)}, the best setup of each)`);
      check(inf.tgLat / lat <= latWant, `batch-1 latency ≤ ${latWant}x ${lib}'s: ${fmt(inf.tgLat / lat, 2)}x (${fmt(inf.tgLat, 1)} µs against ${fmt(lat, 1)} µs)`);
    }
  }
  return lines.join('\n');
}

/** { console, markdown } for the runs of one `npm run bench`; machine: lines describing it. */
export function renderReport({ results, workloads, skipped, wallS, quick, budgetS, machine = describeMachine() }) {
  const sections = {};
  const parts = [];
  for (const workload of workloads) {
    const s = workload === 'gemm' ? gemmSection(results) : workload === 'mlp-infer' ? inferSection(results) : trainingSection(results, workload);
    sections[workload] = s;
    parts.push(`## ${WORKLOADS[workload].title}\n\n${s.text}${s.notes?.length ? `\n\n${s.notes.join('\n')}` : ''}`);
  }
  const targetText = targets(sections);
  const skippedText = [...skipped].map(([name, why]) => `- ${name}: ${why}`).join('\n');
  const consoleText = [...parts, ...(targetText ? [`## Targets\n\n${targetText}`] : []), ...(skippedText ? [skippedText] : [])].join('\n\n');
  const markdown = `# tensorgrad against the libraries a Node user would pick instead

Written by \`npm run bench\` (bench/compare.mjs) on ${new Date().toISOString().slice(0, 10)} in ${fmt(wallS / 60, 1)} minutes${quick ? ' with --quick (short budgets: a check that everything runs, not figures to quote)' : ''}.

${machine.map((l) => `- ${l}`).join('\n')}

Every run is its own process; the libraries alternate within each round, the order rotating
between rounds, so a drift in the machine's speed hits all alike. Same settings everywhere:
batch 64, SGD with momentum 0.9, learning rate 0.01, softmax cross-entropy, images scaled to
[0, 1], PyTorch's default initialisation for tensorgrad and PyTorch and each other library's
own (brain.js differs more; see its note). tensorgrad and PyTorch train a full epoch in every
setup every round, one seed per round: both start that round from the same initial weights and
the same batch order, so their accuracies differ by rounding, not by luck. Their rows show
the best rate of the rounds. PyTorch runs in three setups, because on this
machine its two thread pools (OpenMP's and OpenBLAS's) decide its speed: 1t is one core, 2t is
\`torch.set_num_threads(2)\` over a serial OpenBLAS, and "1 + OpenBLAS 2" is one PyTorch thread
with OpenBLAS on both cores (left at their defaults, both pools take both cores and it runs
several times slower than at its best). The JavaScript libraries use one thread, which is all they
can use, and run once: they train for ${budgetS} s on the start of a shuffled epoch (rates
marked * are measured on that sample, their epoch times are extrapolations, and their
accuracies are after the sample, not after an epoch). "tensorgrad is Nx" compares with
tensorgrad's best setup. Peak RSS is the whole process's; every training and inference run
holds Fashion-MNIST as float32 (209 MiB).

@tensorflow/tfjs-node is not measured: its install script downloads libtensorflow (about
300 MB) from Google's servers, which this machine (the npm registry only) cannot reach.

${consoleText}
`;
  return { console: consoleText, markdown };
}
