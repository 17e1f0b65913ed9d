// Recurrent layers against PyTorch: every case in fixtures/rnn.json (nn.RNN / LSTM / GRU and
// the cells, in float64, see fixtures/make_rnn_fixtures.py) loads PyTorch's state dict and
// must give PyTorch's outputs and the gradients of the input, the initial state and every
// parameter. Then gradcheck on small cases, packing and padding, dropout, determinism across
// eager and deferred execution, and the errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../lib/index.js';
import { ArgumentError, gradcheck, nn, ShapeError, Tensor, tensor } from '../lib/index.js';
import { PackedSequence } from '../lib/nn/rnn_utils.js';
import { type Encoded, expectTensor, fromEncoded } from './fixture-tensors.js';
import { randomValues, thrown } from './helpers.js';

const { packPaddedSequence, padPackedSequence, padSequence, packSequence } = nn.utils.rnn;

interface RnnFixture {
  name: string;
  module: 'RNN' | 'LSTM' | 'GRU' | 'RNNCell' | 'LSTMCell' | 'GRUCell';
  inputSize: number;
  hiddenSize: number;
  options: Record<string, unknown>;
  lengths: number[] | null;
  enforceSorted: boolean;
  input: Encoded;
  h0?: Encoded;
  c0?: Encoded;
  stateDict: Record<string, Encoded>;
  outputs: Record<'output' | 'hN' | 'cN', Encoded | undefined>;
  gradOutputs: Record<string, Encoded>;
  grads: Record<string, Encoded>;
  repr: string;
}

const fixtures: RnnFixture[] = JSON.parse(readFileSync(new URL('./fixtures/rnn.json', import.meta.url), 'utf8'));
const TOL = { rtol: 1e-4, atol: 2e-5 };

type AnyRnn = nn.RNN | nn.LSTM | nn.GRU | nn.RNNCell | nn.LSTMCell | nn.GRUCell;

function build(fx: RnnFixture): AnyRnn {
  const Ctor = { RNN: nn.RNN, LSTM: nn.LSTM, GRU: nn.GRU, RNNCell: nn.RNNCell, LSTMCell: nn.LSTMCell, GRUCell: nn.GRUCell }[fx.module];
  return new (Ctor as new (i: number, h: number, o: object) => AnyRnn)(fx.inputSize, fx.hiddenSize, fx.options);
}

// Runs the fixture's call: { output, hN, cN } as tensors (output: the packed rows for packed input).
function run(fx: RnnFixture, m: AnyRnn, x: Tensor, h0: Tensor | null, c0: Tensor | null): Record<string, Tensor | null> {
  const lstm = fx.module === 'LSTM' || fx.module === 'LSTMCell';
  const hx = h0 === null ? undefined : lstm ? [h0, c0!] : h0;
  if (fx.module.endsWith('Cell')) {
    const r = (m as nn.RNNCell).call(x, hx as never) as Tensor | [Tensor, Tensor];
    return lstm ? { hN: (r as [Tensor, Tensor])[0], cN: (r as [Tensor, Tensor])[1] } : { hN: r as Tensor };
  }
  const input = fx.lengths === null ? x : packPaddedSequence(x, fx.lengths, { batchFirst: fx.options.batchFirst === true, enforceSorted: fx.enforceSorted });
  const [out, state] = (m as nn.LSTM).call(input as Tensor, hx as never) as [Tensor | PackedSequence, Tensor | [Tensor, Tensor]];
  const output = out instanceof PackedSequence ? out.data : out;
  return lstm ? { output, hN: (state as [Tensor, Tensor])[0], cN: (state as [Tensor, Tensor])[1] } : { output, hN: state as Tensor };
}

describe('recurrent layers against PyTorch fixtures', () => {
  it('has cases for every module', () => {
    expect(new Set(fixtures.map((f) => f.module))).toEqual(new Set(['RNN', 'LSTM', 'GRU', 'RNNCell', 'LSTMCell', 'GRUCell']));
  });

  for (const fx of fixtures) {
    it(fx.name, () => {
      const m = build(fx);
      expect(m.toString()).toBe(fx.repr);
      // PyTorch's keys, in PyTorch's order, with PyTorch's shapes.
      const own = m.stateDict();
      expect(Object.keys(own)).toEqual(Object.keys(fx.stateDict));
      for (const [k, v] of Object.entries(fx.stateDict)) expect(own[k]!.shape, k).toEqual(v.shape);
      const loaded = m.loadStateDict(Object.fromEntries(Object.entries(fx.stateDict).map(([k, v]) => [k, fromEncoded(v)])));
      expect(loaded.missingKeys).toEqual([]);
      expect(loaded.unexpectedKeys).toEqual([]);
      m.eval();

      const x = fromEncoded(fx.input, true);
      const h0 = fx.h0 ? fromEncoded(fx.h0, true) : null;
      const c0 = fx.c0 ? fromEncoded(fx.c0, true) : null;
      const got = run(fx, m, x, h0, c0);
      let loss: Tensor | null = null;
      for (const [key, expected] of Object.entries(fx.outputs)) {
        expectTensor(key, got[key] ?? null, expected!, TOL);
        const term = got[key]!.mul(fromEncoded(fx.gradOutputs[key]!)).sum();
        loss = loss === null ? term : loss.add(term);
      }
      loss!.backward();
      const params = Object.fromEntries(m.namedParameters());
      for (const [key, expected] of Object.entries(fx.grads)) {
        const t = key === 'input' ? x : key === 'h0' ? h0 : key === 'c0' ? c0 : params[key];
        expectTensor(`grad of ${key}`, t?.grad ?? null, expected, TOL);
      }
    });
  }
});

describe('gradcheck', () => {
  const cases: [string, () => nn.RNN | nn.LSTM | nn.GRU, boolean][] = [
    ['RNN tanh, 2 layers, bidirectional', () => new nn.RNN(2, 3, { numLayers: 2, bidirectional: true }), false],
    ['LSTM with a projection', () => new nn.LSTM(2, 4, { projSize: 2 }), false],
    ['GRU, batchFirst, packed', () => new nn.GRU(2, 3, { batchFirst: true }), true],
  ];
  for (const [name, make, packed] of cases) {
    it(name, () => {
      tg.manualSeed(7);
      const m = make();
      const x = Tensor.from(randomValues(3 * 4 * 2, 11), [3, 4, 2]).requiresGrad_();
      const names = m.namedParameters().map(([n]) => n);
      const weights = m.parameters().map((p) => p.detach().clone().requiresGrad_());
      const fn = (input: Tensor, ...ws: Tensor[]): Tensor => {
        const seq = packed ? packPaddedSequence(input, [3, 4, 1], { batchFirst: true, enforceSorted: false }) : input;
        return rnnWithWeights(m, names, ws, seq);
      };
      expect(gradcheck(fn, [x, ...weights], { eps: 1e-2, atol: 2e-3, rtol: 2e-2 })).toBe(true);
    });
  }
});

// The module's computation with its parameters replaced by the given tensors, so that they
// are differentiable leaves that gradcheck can perturb.
function rnnWithWeights(m: nn.RNN | nn.LSTM | nn.GRU, names: string[], weights: Tensor[], x: Tensor | PackedSequence): Tensor {
  const holder = m as unknown as Record<string, unknown>;
  const saved = names.map((n) => holder[n]);
  names.forEach((n, i) => (holder[n] = weights[i]));
  try {
    const [out, state] = m.call(x as Tensor) as [Tensor | PackedSequence, Tensor | [Tensor, Tensor]];
    const [h, c] = Array.isArray(state) ? state : [state, null];
    const o = out instanceof PackedSequence ? out.data : out;
    const loss = o.tanh().sum().add(h.mul(h).sum());
    return c === null ? loss : loss.add(c.mul(c).sum());
  } finally {
    names.forEach((n, i) => (holder[n] = saved[i]));
  }
}

describe('packed sequences', () => {
  it('packPaddedSequence lays out steps longest first, and padPackedSequence inverts it', () => {
    const x = tensor([[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]); // (steps 3, batch 3, 1)
    const packed = packPaddedSequence(x, [2, 3, 1], { enforceSorted: false });
    expect(Array.from(packed.batchSizes.data())).toEqual([3, 2, 1]);
    expect(Array.from(packed.sortedIndices!.data())).toEqual([1, 0, 2]);
    expect(Array.from(packed.unsortedIndices!.data())).toEqual([1, 0, 2]);
    expect(Array.from(packed.data.data())).toEqual([2, 1, 3, 5, 4, 8]);
    const [padded, lengths] = padPackedSequence(packed, { paddingValue: -1, totalLength: 4 });
    expect(Array.from(lengths.data())).toEqual([2, 3, 1]);
    expect(padded.shape).toEqual([4, 3, 1]);
    expect(Array.from(padded.data())).toEqual([1, 2, 3, 4, 5, -1, -1, 8, -1, -1, -1, -1]);
  });

  it('batchFirst packing and padding, with gradients flowing through both', () => {
    const x = tensor(randomValues(2 * 3 * 2, 5)).reshape([2, 3, 2]).requiresGrad_(); // (batch 2, steps 3, 2)
    const packed = packPaddedSequence(x, [3, 2], { batchFirst: true });
    const [padded] = padPackedSequence(packed, { batchFirst: true });
    padded.sum().backward();
    // The last step of the second sequence was padding: no gradient reaches it.
    expect(Array.from(x.grad!.data())).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('padSequence and packSequence', () => {
    const seqs = [tensor([[1, 1], [2, 2], [3, 3]]), tensor([[4, 4]])];
    const padded = padSequence(seqs, { batchFirst: true, paddingValue: 9 });
    expect(padded.toArray()).toEqual([[[1, 1], [2, 2], [3, 3]], [[4, 4], [9, 9], [9, 9]]]);
    const packed = packSequence(seqs);
    expect(Array.from(packed.batchSizes.data())).toEqual([2, 1, 1]);
    expect(Array.from(packed.data.data())).toEqual([1, 1, 4, 4, 2, 2, 3, 3]);
  });

  it('an LSTM on a packed batch gives each sequence the result it gets alone', () => {
    tg.manualSeed(3);
    const lstm = new nn.LSTM(3, 4, { bidirectional: true });
    const seqs = [3, 5, 2].map((len, i) => tensor(randomValues(len * 3, 20 + i)).reshape([len, 3]));
    const [out, [hN, cN]] = lstm.call(packSequence(seqs, { enforceSorted: false }));
    const [padded, lengths] = padPackedSequence(out as PackedSequence);
    expect(Array.from(lengths.data())).toEqual([3, 5, 2]);
    seqs.forEach((s, b) => {
      const [alone, [h1, c1]] = lstm.call(s);
      const len = s.shape[0]!;
      const mine = padded.narrow(0, 0, len).narrow(1, b, 1).reshape([len, -1]);
      expectClose(mine, alone);
      expectClose(hN.narrow(1, b, 1).reshape([2, -1]), h1);
      expectClose(cN.narrow(1, b, 1).reshape([2, -1]), c1);
    });
  });

  it('rejects unsorted lengths unless enforceSorted is false, and bad lengths', () => {
    const x = tg.zeros([3, 2, 1]);
    expect(thrown(() => packPaddedSequence(x, [1, 3]))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => packPaddedSequence(x, [4, 1]))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => packPaddedSequence(x, [0, 0]))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => packPaddedSequence(x, [3]))).toBeInstanceOf(ShapeError);
  });
});

function expectClose(a: Tensor, b: Tensor, atol = 1e-6): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.contiguous().data();
  const y = b.contiguous().data();
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!), `element ${i}`).toBeLessThanOrEqual(atol);
}

describe('training behaviour', () => {
  it('dropout between layers acts in training mode only, seeded by manualSeed', () => {
    tg.manualSeed(1);
    const lstm = new nn.LSTM(3, 8, { numLayers: 2, dropout: 0.5 });
    const x = tensor(randomValues(4 * 2 * 3, 2)).reshape([4, 2, 3]);
    tg.manualSeed(5);
    const [a] = lstm.call(x);
    tg.manualSeed(5);
    const [b] = lstm.call(x);
    tg.manualSeed(6);
    const [c] = lstm.call(x);
    lstm.eval();
    const [d] = lstm.call(x);
    const [e] = lstm.call(x);
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
    expect(Array.from(a.data())).not.toEqual(Array.from(c.data()));
    expect(Array.from(d.data())).toEqual(Array.from(e.data()));
    expect(Array.from(a.data())).not.toEqual(Array.from(d.data()));
  });

  it('deferred execution gives the eager bits, forward and backward, at 1 and 2 threads', async () => {
    const before = tg.getNumThreads();
    try {
      for (const threads of [1, 2]) {
        tg.setNumThreads(threads);
        const results: number[][] = [];
        for (const mode of ['eager', 'deferred'] as const) {
          tg.manualSeed(9);
          const m = new nn.LSTM(16, 32, { numLayers: 2, bidirectional: true, projSize: 8 });
          const x = tensor(randomValues(7 * 5 * 16, 4)).reshape([7, 5, 16]).requiresGrad_();
          const step = (): Tensor => {
            const [out, [h]] = m.call(x);
            const loss = out.pow(2).mean().add(h.sum());
            loss.backward();
            return loss;
          };
          const loss = mode === 'eager' ? step() : await tg.deferred(step);
          const grads = m.parameters().flatMap((p) => Array.from(p.grad!.data()));
          results.push([loss.item(), ...Array.from(x.grad!.data()), ...grads]);
        }
        expect(results[1]).toEqual(results[0]);
      }
    } finally {
      tg.setNumThreads(before);
    }
  });

  it('learns: a GRU fits a short sequence task', () => {
    // Predict the running sum's sign of a sequence of ±1 from its last hidden state.
    tg.manualSeed(4);
    const gru = new nn.GRU(1, 8, { batchFirst: true });
    const head = new nn.Linear(8, 1);
    const opt = new tg.optim.Adam([...gru.parameters(), ...head.parameters()], { lr: 0.05 });
    const n = 64;
    const raw = randomValues(n * 5, 8).map((v) => (v > 0 ? 1 : -1));
    const labels = Array.from({ length: n }, (_, i) => (raw.slice(i * 5, i * 5 + 5).reduce((a, b) => a + b, 0) > 0 ? 1 : 0));
    const x = tensor(raw).reshape([n, 5, 1]);
    const y = tensor(labels).reshape([n, 1]);
    let first = 0;
    let last = 0;
    for (let it = 0; it < 150; it++) {
      opt.zeroGrad();
      const [, h] = gru.call(x);
      const loss = nn.functional.binaryCrossEntropyWithLogits(head.call(h.get(0)), y);
      loss.backward();
      opt.step();
      if (it === 0) first = loss.item();
      last = loss.item();
    }
    expect(last).toBeLessThan(first * 0.3);
  });
});

describe('errors', () => {
  it('names the argument', () => {
    expect(thrown(() => new nn.LSTM(3, 4, { projSize: 4 }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as never })).message).toMatch(/nonlinearity/);
    expect(thrown(() => new nn.GRU(3, 4, { projSize: 2 } as never)).message).toMatch(/unknown option "projSize"/);
    expect(thrown(() => new nn.LSTM(0, 4))).toBeInstanceOf(ArgumentError);
    const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
    expect(thrown(() => lstm.call(tg.zeros([5, 2, 4]))).message).toMatch(/inputSize 3, got 4/);
    expect(thrown(() => lstm.call(tg.zeros([5, 2, 3]), [tg.zeros([1, 2, 4]), tg.zeros([2, 2, 4])])).message).toMatch(/hx must have shape \[2, 2, 4\]/);
    expect(thrown(() => lstm.call(tg.zeros([5, 2, 3]), tg.zeros([2, 2, 4]) as never))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => lstm.call(tg.zeros([2, 5, 2, 3])))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => lstm.call(tg.zeros([5, 2, 3], { dtype: 'int32' })))).toBeInstanceOf(tg.DTypeError);
    const cell = new nn.GRUCell(3, 4);
    expect(thrown(() => cell.call(tg.zeros([2, 3]), tg.zeros([3, 4]))).message).toMatch(/hx must have shape \[2, 4\]/);
  });
});
