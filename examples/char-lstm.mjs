// A character-level LSTM language model on real English: the fortune cookies of Debian's
// `fortunes` package. 95% of the fortunes train, 5% are held out; the model reads 35
// characters at a time (truncated backpropagation through time, the state carried from one
// batch to the next), then reports its held-out perplexity against a unigram and a bigram
// model, and samples text with generate(prompt, n, { temperature }).
//   Needs: apt-get install fortunes (or --root DIR holding fortune files)
//   Run: npm run example:char-lstm   (node examples/char-lstm.mjs [--minutes 3] [--epochs 1])
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';

const { nn, optim } = tg;
const ROOT = option('root', '/usr/share/games/fortunes');
const MINUTES = Number(option('minutes', 3));
const EPOCHS = Number(option('epochs', 1));
const [BATCH, STEPS, EMBED, HIDDEN, LAYERS] = [32, 35, 64, 256, 2];
tg.manualSeed(0);

// ---- the text -------------------------------------------------------------------------------
if (!existsSync(ROOT)) {
  console.error(`no fortunes at ${ROOT}: apt-get install fortunes, or pass --root DIR`);
  process.exit(1);
}
// Fortune files are plain text, one fortune after another, separated by lines holding "%".
const fortunes = readdirSync(ROOT)
  .filter((f) => !f.includes('.') && statSync(join(ROOT, f)).isFile())
  .sort()
  .flatMap((f) => readFileSync(join(ROOT, f), 'latin1').split(/^%$/m))
  .map((t) => t.replace(/\t/g, '    ').replace(/[^\n\x20-\x7e]/g, '').trim())
  .filter((t) => t.length > 0);
// A seeded shuffle, so the held-out fortunes are the same on every run.
let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
for (let i = fortunes.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [fortunes[i], fortunes[j]] = [fortunes[j], fortunes[i]];
}
const heldOut = Math.max(1, Math.floor(fortunes.length * 0.05));
const trainText = fortunes.slice(heldOut).join('\n\n') + '\n\n';
const testText = fortunes.slice(0, heldOut).join('\n\n') + '\n\n';
const vocab = [...new Set(trainText)].sort();
const index = new Map(vocab.map((c, i) => [c, i]));
const encode = (text) => Int32Array.from(text, (c) => index.get(c) ?? index.get(' '));
const V = vocab.length;

// BATCH parallel streams of the text, as columns: stream b is one contiguous stretch of it.
function streams(tokens) {
  const length = Math.floor(tokens.length / BATCH);
  const out = new Int32Array(length * BATCH);
  for (let t = 0; t < length; t++) for (let b = 0; b < BATCH; b++) out[t * BATCH + b] = tokens[b * length + t];
  return { data: tg.Tensor.from(out, [length, BATCH]), length };
}
const train = streams(encode(trainText));
const test = streams(encode(testText));

// ---- the model ------------------------------------------------------------------------------
class CharModel extends nn.Module {
  constructor() {
    super();
    this.embedding = new nn.Embedding(V, EMBED);
    this.lstm = new nn.LSTM(EMBED, HIDDEN, { numLayers: LAYERS, dropout: 0.1 });
    this.decoder = new nn.Linear(HIDDEN, V);
  }
  // tokens (steps, batch) -> logits (steps, batch, V), and the state after the last step.
  forward(tokens, state) {
    const [out, next] = this.lstm.call(this.embedding.call(tokens), state);
    return [this.decoder.call(out), next];
  }
}
const model = new CharModel();
const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
const lossFn = new nn.CrossEntropyLoss();
const detach = ([h, c]) => [h.detach(), c.detach()];

// Cross-entropy per character over a whole stream set, without gradients.
function evaluate(set) {
  model.eval();
  let total = 0;
  let count = 0;
  let state;
  tg.noGrad(() => {
    for (let t = 0; t + 1 < set.length; t += STEPS) {
      const n = Math.min(STEPS, set.length - 1 - t);
      const [logits, next] = model.call(set.data.narrow(0, t, n), state);
      state = next;
      total += lossFn.call(logits.reshape(-1, V), set.data.narrow(0, t + 1, n).reshape(-1)).item() * n * BATCH;
      count += n * BATCH;
    }
  });
  return total / count;
}

// ---- training -------------------------------------------------------------------------------
const started = performance.now();
let tokensSeen = 0;
outer: for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  model.train();
  let state;
  let running = 0;
  let batches = 0;
  for (let t = 0; t + 1 < train.length; t += STEPS) {
    const n = Math.min(STEPS, train.length - 1 - t);
    opt.zeroGrad();
    const [logits, next] = model.call(train.data.narrow(0, t, n), state);
    const loss = lossFn.call(logits.reshape(-1, V), train.data.narrow(0, t + 1, n).reshape(-1));
    loss.backward();
    tg.nn.utils.clipGradNorm(model.parameters(), 1.0);
    opt.step();
    state = detach(next);
    tokensSeen += n * BATCH;
    running += loss.item();
    batches++;
    if (batches % 100 === 0) {
      const s = (performance.now() - started) / 1e3;
      console.log(`epoch ${epoch}, ${((100 * t) / train.length).toFixed(0)}%: train loss ${(running / 100).toFixed(3)}, ${(tokensSeen / s).toFixed(0)} characters/s`);
      running = 0;
    }
    if ((performance.now() - started) / 6e4 >= MINUTES) break outer;
  }
}
const seconds = (performance.now() - started) / 1e3;

// ---- held-out perplexity against n-gram baselines (add-one smoothing, counted on train) ------
function ngramPerplexities() {
  const trainTokens = encode(trainText);
  const testTokens = encode(testText);
  const uni = new Float64Array(V).fill(1);
  const bi = new Float64Array(V * V).fill(1);
  for (let i = 0; i < trainTokens.length; i++) {
    uni[trainTokens[i]]++;
    if (i > 0) bi[trainTokens[i - 1] * V + trainTokens[i]]++;
  }
  const uniTotal = uni.reduce((a, b) => a + b, 0);
  const rowTotal = new Float64Array(V);
  for (let a = 0; a < V; a++) for (let b = 0; b < V; b++) rowTotal[a] += bi[a * V + b];
  let u = 0;
  let b2 = 0;
  for (let i = 1; i < testTokens.length; i++) {
    u -= Math.log(uni[testTokens[i]] / uniTotal);
    b2 -= Math.log(bi[testTokens[i - 1] * V + testTokens[i]] / rowTotal[testTokens[i - 1]]);
  }
  return { unigram: Math.exp(u / (testTokens.length - 1)), bigram: Math.exp(b2 / (testTokens.length - 1)) };
}
const lstmPerplexity = Math.exp(evaluate(test));
const { unigram, bigram } = ngramPerplexities();

// ---- sampling -------------------------------------------------------------------------------
/** Continues prompt by n characters, sampling each from softmax(logits / temperature). */
function generate(prompt, n, { temperature = 1 } = {}) {
  model.eval();
  return tg.noGrad(() => {
    let [logits, state] = model.call(tg.Tensor.from(encode(prompt), [prompt.length, 1]));
    let last = logits.get(prompt.length - 1).reshape(V);
    let text = prompt;
    for (let i = 0; i < n; i++) {
      const probs = last.div(temperature).softmax(0).data();
      let r = random();
      let c = 0;
      while (c < V - 1 && (r -= probs[c]) > 0) c++;
      text += vocab[c];
      [logits, state] = model.call(tg.Tensor.from(Int32Array.of(c), [1, 1]), state);
      last = logits.reshape(V);
    }
    return text;
  });
}

console.log(`\n${fortunes.length - heldOut} fortunes train (${trainText.length} characters, ${V} symbols), ${heldOut} held out (${testText.length} characters)`);
console.log(`LSTM ${LAYERS} x ${HIDDEN}, embedding ${EMBED}: ${tokensSeen} characters in ${seconds.toFixed(0)} s (${(tokensSeen / seconds).toFixed(0)}/s)`);
console.log('held-out perplexity (lower is better):');
console.log(`  unigram  ${unigram.toFixed(2)}`);
console.log(`  bigram   ${bigram.toFixed(2)}`);
console.log(`  LSTM     ${lstmPerplexity.toFixed(2)}`);
for (const temperature of [0.5, 0.8]) {
  console.log(`\ngenerate('The ', 300, { temperature: ${temperature} }):\n${generate('The ', 300, { temperature })}`);
}
