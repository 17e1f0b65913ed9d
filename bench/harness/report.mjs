// Turns the runs of `npm run bench` into tables (each library's ratio to tensorgrad), the
// targets of the benchmark issue checked against them, and bench/RESULTS.md.
import { describeMachine } from './machine.mjs';
import { WORKLOADS } from './plan.mjs';

const fmt = (x, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (x) => (x >= 100 ? `${fmt(x)}x` : x >= 10 ? `${fmt(x, 0)}x` : `${fmt(x, 2)}x`);
const table = (head, rows) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const labelOf = (r) => (r.fast ? `${r.library} ${r.threads}t` : r.library);

/** Results of one workload grouped by library and thread count, in the drivers' order. */
function byConfig(results, workload) {
  const groups = new Map();
  for (const r of results.filter((x) => x.workload === workload)) {
    const key = labelOf(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups].map(([label, runs]) => ({ label, library: runs[0].library, runs, ok: runs.filter((r) => !r.failed && !r.unsupported) }));
}

const failure = (g) => g.runs.find((r) => r.failed)?.failed ?? g.runs.find((r) => r.unsupported)?.unsupported;
const peakRss = (g) => `${fmt(Math.max(...g.ok.map((r) => r.peakRssMB)))} MB`;
const notesOf = (groups) => groups.flatMap((g) => (g.ok[0]?.notes ? [`- ${g.label}: ${g.ok[0].notes}`] : []));

/** Training: the best rate of each configuration, its test accuracy (mean over rounds), memory. */
function trainingSection(results, workload) {
  const groups = byConfig(results, workload);
  const stats = groups.map((g) => {
    if (g.ok.length === 0) return { g };
    const best = g.ok.reduce((a, b) => (b.samplesPerS > a.samplesPerS ? b : a));
    const accuracy = g.ok.reduce((s, r) => s + r.testAccuracy, 0) / g.ok.length;
    return { g, best, accuracy, full: g.ok.every((r) => r.fullEpoch) };
  });
  const tgBest = Math.max(...stats.filter((s) => s.g.library === 'tensorgrad' && s.best).map((s) => s.best.samplesPerS));
  const rows = stats.map(({ g, best, accuracy, full }) => {
    if (!best) return [g.label, '-', '-', '-', '-', '-', '-', failure(g) ?? 'no result'];
    const epochS = best.epochSamples / best.samplesPerS;
    return [
      g.label,
      `${fmt(best.samplesPerS)}${full ? '' : ' *'}`,
      ratio(tgBest / best.samplesPerS),
      full ? `${fmt(epochS, 1)} s` : `≈ ${fmt(epochS)} s (extrapolated)`,
      full ? `full (${fmt(best.epochSamples)})` : `sample: ${fmt(best.trainedSamples)} of ${fmt(best.epochSamples)}`,
      `${(100 * accuracy).toFixed(2)}%${best.testSamples < 10000 ? ` (${fmt(best.testSamples)} test images)` : ''}${g.ok.length > 1 ? ` (mean of ${g.ok.length})` : ''}`,
      peakRss(g),
      '',
    ];
  });
  const head = ['library', 'samples/s', 'tensorgrad is', 'epoch time', 'trained on', 'test accuracy', 'peak RSS', 'note'];
  return { text: table(head, rows), stats, tgBest, notes: notesOf(groups) };
}

function gemmSection(results) {
  const groups = byConfig(results, 'gemm');
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
  const text = `${table(['shape', ...shown.map((g) => g.label)], rows)}\n\nGFLOP/s, best of the rounds; in brackets how many times faster tensorgrad's best thread count is.`;
  return { text: [text, ...(absent.length ? ['', ...absent] : [])].join('\n') };
}

function inferSection(results) {
  const groups = byConfig(results, 'mlp-infer');
  const at = (g, batch) => g.ok.map((r) => r.infer.find((i) => i.batch === batch));
  const lat = (g) => Math.min(...at(g, 1).map((i) => i.latencyUs));
  const thr = (g) => Math.max(...at(g, 256).map((i) => i.samplesPerS));
  const tgs = groups.filter((g) => g.library === 'tensorgrad' && g.ok.length);
  const tgLat = Math.min(...tgs.map(lat));
  const tgThr = Math.max(...tgs.map(thr));
  const rows = groups.map((g) => {
    if (!g.ok.length) return [g.label, '-', '-', '-', '-', '-', failure(g)];
    return [g.label, fmt(lat(g), 1), ratio(lat(g) / tgLat), fmt(thr(g)), ratio(tgThr / thr(g)), peakRss(g), ''];
  });
  const head = ['library', 'batch 1: µs per call', 'tensorgrad is', 'batch 256: samples/s', 'tensorgrad is', 'peak RSS', 'note'];
  return { text: table(head, rows), groups, lat, tgLat, notes: notesOf(groups) };
}

/** Mean and sample standard deviation of accuracies in percent, and how to print them. */
function spread(xs) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, sd, text: n > 1 ? `${mean.toFixed(2)}% (mean of ${n} seeds, sd ${sd.toFixed(2)})` : `${mean.toFixed(2)}%` };
}

/** The benchmark issue's targets, each with the figures that decide it. */
function targets(sections) {
  const lines = [];
  const check = (ok, text) => lines.push(`- ${ok ? 'met' : 'NOT met'}: ${text}`);
  for (const workload of ['mlp-train', 'cnn-train']) {
    const s = sections[workload];
    if (!s) continue;
    const best = (lib) => Math.max(...s.stats.filter((x) => x.g.library === lib && x.best).map((x) => x.best.samplesPerS));
    const torch = best('PyTorch');
    const what = workload === 'mlp-train' ? 'MLP training' : 'CNN training';
    if (Number.isFinite(torch)) {
      if (workload === 'mlp-train') check(s.tgBest / torch >= 1.5, `${what}: tensorgrad ≥ 1.5x PyTorch's best thread count: ${ratio(s.tgBest / torch)}`);
      // Every run of a library (both thread counts, every round) is one seed: one epoch's
      // accuracy moves by tenths of a point between seeds, so the line shows that spread too.
      const accuracies = (lib) => s.stats.filter((x) => x.g.library === lib && x.best).flatMap((x) => x.g.ok.map((r) => 100 * r.testAccuracy));
      const [tgAcc, torchAcc] = [accuracies('tensorgrad'), accuracies('PyTorch')].map(spread);
      const gap = tgAcc.mean - torchAcc.mean;
      const full = s.stats.filter((x) => ['tensorgrad', 'PyTorch'].includes(x.g.library) && x.best).every((x) => x.full);
      const accuracyText = `${what}: test accuracy within 0.5 points of PyTorch's: ${tgAcc.text} against ${torchAcc.text}`;
      const gapText = tgAcc.n > 1 && torchAcc.n > 1 ? `; difference ${gap >= 0 ? '+' : ''}${gap.toFixed(2)} points, its standard error ${Math.hypot(tgAcc.sd / Math.sqrt(tgAcc.n), torchAcc.sd / Math.sqrt(torchAcc.n)).toFixed(2)}` : '';
      if (full) check(Math.abs(gap) <= 0.5, `${accuracyText}${gapText}`);
      else lines.push(`- not checked (a run trained on a sample, not a full epoch): ${accuracyText}`);
    }
    for (const [lib, want] of [['tfjs-wasm', 50], ['tfjs-cpu', 100], ['ConvNetJS', 100], ['brain.js', 100]]) {
      const peer = best(lib);
      if (Number.isFinite(peer)) check(s.tgBest / peer >= want, `${what}: ≥ ${want}x ${lib}: ${ratio(s.tgBest / peer)}`);
    }
  }
  const inf = sections['mlp-infer'];
  const torch = inf?.groups.filter((g) => g.library === 'PyTorch' && g.ok.length);
  if (torch?.length) {
    const torchLat = Math.min(...torch.map(inf.lat));
    check(inf.tgLat < torchLat, `batch-1 inference latency below PyTorch's: ${fmt(inf.tgLat, 1)} µs against ${fmt(torchLat, 1)} µs`);
  }
  return lines.join('\n');
}

/** { console, markdown } for the runs of one `npm run bench`. */
export function renderReport({ results, workloads, skipped, wallS, quick, budgetS }) {
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

${describeMachine().map((l) => `- ${l}`).join('\n')}

Every run is its own process; the libraries alternate within each round, the order rotating
between rounds, so a drift in the machine's speed hits all alike. Same settings everywhere:
batch 64, SGD with momentum 0.9, learning rate 0.01, softmax cross-entropy, images scaled to
[0, 1], each library's default initialisation. tensorgrad and PyTorch train a full epoch on 1
and 2 threads every round (a different seed for every run); the JavaScript libraries are 10 to
1000 times slower and run once, single-threaded, training for ${budgetS} s on the start of a
shuffled epoch (rates marked * are measured on that sample; their epoch times are
extrapolations, and their accuracies are after the sample, not after an epoch). "tensorgrad is
Nx" compares with tensorgrad's best thread count. Peak RSS is the whole process's, including
the 219 MB of float32 Fashion-MNIST every driver holds.

@tensorflow/tfjs-node is not measured: it downloads libtensorflow (about 300 MB) from the
network while it installs, which this machine (npm registry only) cannot do, and npm 11 skips
dependencies' install scripts anyway.

${consoleText}
`;
  return { console: consoleText, markdown };
}
