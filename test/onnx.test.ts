// io.exportOnnx: every exported model is loaded in onnxruntime-node and run at batch sizes
// other than the example's (the batch axis is dynamic), and its outputs compared with
// tensorgrad's eval outputs; every model also passes onnx.checker.check_model(full_check)
// when a Python with onnx is at hand. In CI (CI set) both must be available. Then the
// errors, and the protobuf writer on its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, cat, F, io, manualSeed, nn, noGrad, randn, stack, type Tensor, tensor, where } from '../lib/index.js';
import { ProtoWriter } from '../lib/io/onnx/protobuf.js';
import { native } from '../lib/native.js';
import { activeTracer } from '../lib/trace_hook.js';
import { thrown } from './helpers.js';

// ---- the two external checkers ---------------------------------------------------------

// What the tests use of onnxruntime-node, typed here so that the tests type-check without it
// installed (it is not a dependency; .ci/run installs it).
interface OrtTensor {
  dims: readonly number[];
  data: unknown;
}
interface Ort {
  Tensor: new (type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: {
    create(model: Uint8Array): Promise<{ outputNames: readonly string[]; run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> }>;
  };
}
const ORT_PACKAGE = 'onnxruntime-node';
let ort: Ort | null = null;
let ortProblem = '';
try {
  ort = (await import(ORT_PACKAGE)) as Ort;
} catch (e) {
  ortProblem = String((e as Error).message ?? e);
}

const PYTHONS = [process.env.TG_ONNX_PYTHON, '/usr/bin/python3', 'python3', '/root/.cache/tensorgrad-anchors/torch2/bin/python'].filter((p): p is string => !!p);
const python = PYTHONS.find((p) => spawnSync(p, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0) ?? null;

// Reads the model from stdin; a model for an opset newer than this onnx knows is reported, not failed.
const CHECK = `
import sys, onnx
m = onnx.load_from_string(sys.stdin.buffer.read())
if m.opset_import[0].version > onnx.defs.onnx_opset_version():
    print('skipped: opset', m.opset_import[0].version, 'is newer than onnx', onnx.__version__); sys.exit(0)
onnx.checker.check_model(m, full_check=True)
print('ok')
`;

function checkWithOnnx(bytes: Uint8Array): void {
  if (python === null) return;
  const r = spawnSync(python, ['-c', CHECK], { input: bytes, encoding: 'utf8' });
  if (r.status !== 0) expect.fail(`onnx.checker rejected the model:\n${r.stderr}`);
}

describe('the checkers', () => {
  it('onnxruntime-node imports (required in CI)', (ctx) => {
    if (ort === null && !process.env.CI) {
      console.warn(`onnx.test: onnxruntime-node cannot be imported (${ortProblem}); the comparisons with it are skipped`);
      ctx.skip();
    }
    expect(ort, `onnxruntime-node: ${ortProblem}`).not.toBeNull();
  });
  it("Python's onnx imports (required in CI)", (ctx) => {
    if (python === null && !process.env.CI) {
      console.warn(`onnx.test: no Python with onnx among ${PYTHONS.join(', ')}; onnx.checker is skipped`);
      ctx.skip();
    }
    expect(python, `no Python with onnx among ${PYTHONS.join(', ')}`).not.toBeNull();
  });
});

// ---- export, run in onnxruntime, compare ---------------------------------------------------

type AnyModule = nn.Module<never[], unknown>;
const errors: Record<string, number> = {};
afterAll(() => console.log(`max relative error vs onnxruntime: ${JSON.stringify(errors)}; onnx.checker: ${python ?? 'none'}`));

function flat(out: unknown): Tensor[] {
  return Array.isArray(out) ? out.flatMap(flat) : [out as Tensor];
}

/**
 * Exports model on `example`, checks it, then runs each of `runs` (lists of inputs) in
 * onnxruntime and compares every output with the model's own, in eval mode.
 */
async function roundTrip(label: string, model: AnyModule, example: Tensor[], runs: Tensor[][], options: io.ExportOnnxOptions = {}): Promise<Buffer> {
  const bytes = io.exportOnnxToBuffer(model, example, options);
  checkWithOnnx(bytes);
  if (ort === null) return bytes;
  const session = await ort.InferenceSession.create(bytes);
  const names = options.inputNames ?? (example.length === 1 ? ['input'] : example.map((_, i) => `input${i}`));
  model.eval();
  let worst = 0;
  let worstAbs = 0;
  for (const run of runs) {
    const feed = (t: Tensor): OrtTensor =>
      t.dtype === 'int32' ? new ort!.Tensor('int32', Int32Array.from(t.data()), t.shape) : new ort!.Tensor('float32', Float32Array.from(t.data()), t.shape);
    const feeds = Object.fromEntries(run.map((t, i) => [names[i]!, feed(t)]));
    const got = await session.run(feeds);
    const expected = flat(noGrad(() => (model.call as (...a: Tensor[]) => unknown)(...run)));
    const outNames = session.outputNames;
    expect(outNames.length).toBe(expected.length);
    expected.forEach((want, i) => {
      const result = got[outNames[i]!]!;
      expect([...result.dims]).toEqual(want.shape);
      const a = result.data as Float32Array;
      const b = want.data();
      for (let k = 0; k < b.length; k++) {
        const diff = Math.abs(a[k]! - b[k]!);
        if (diff > 1e-5 * Math.abs(b[k]!) + 2e-6) expect.fail(`${label}: output ${i}[${k}] is ${a[k]} in onnxruntime, ${b[k]} in tensorgrad`);
        worstAbs = Math.max(worstAbs, diff);
        if (Math.abs(b[k]!) >= 1e-2) worst = Math.max(worst, diff / Math.abs(b[k]!)); // relative, where that means something
      }
    });
  }
  errors[label] = Math.max(errors[label] ?? 0, worst);
  errors[`${label} (abs)`] = Math.max(errors[`${label} (abs)`] ?? 0, worstAbs);
  return bytes;
}

const batchAxis = (...names: string[]): io.DynamicAxes => Object.fromEntries(names.map((n) => [n, { 0: 'batch' }]));

beforeAll(() => manualSeed(7));

describe('exportOnnx: models', () => {
  it('an MLP, with a dynamic batch', async () => {
    const model = new nn.Sequential(new nn.Linear(20, 32), new nn.ReLU(), new nn.Linear(32, 16), new nn.Tanh(), new nn.Linear(16, 10), new nn.LogSoftmax(1));
    await roundTrip('mlp', model, [randn(4, 20)], [[randn(7, 20)], [randn(1, 20)]], { dynamicAxes: batchAxis('input', 'output') });
  });

  it('a CNN with batch norm (running statistics), pooling, dropout and flatten', async () => {
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(4, 8, 3),
      new nn.ReLU(),
      new nn.Dropout(0.25),
      new nn.Flatten(),
      new nn.Linear(8 * 4 * 4, 10),
      new nn.LogSoftmax(1),
    );
    noGrad(() => [0, 1, 2].forEach(() => model.call(randn(8, 1, 12, 12)))); // running statistics away from 0 and 1
    // By state-dict key, whichever spelling (runningMean or PyTorch's running_mean) the buffers have.
    const runningMeanOf = (): Float32Array => Float32Array.from(model.namedBuffers().find(([k]) => /^1\.running_?mean$/i.test(k))![1].data());
    const runningMean = runningMeanOf();
    const bytes = await roundTrip('cnn', model, [randn(2, 1, 12, 12)], [[randn(5, 1, 12, 12)], [randn(1, 1, 12, 12)]], { dynamicAxes: { input: [0], output: [0] } });
    expect(runningMeanOf()).toEqual(runningMean);
    expect(bytes.includes(Buffer.from('1.running_mean')) || bytes.includes(Buffer.from('1.runningMean'))).toBe(true);
  });

  it('layers with their other options: strides, dilation, groups, same padding, average pools, batch norm 1d', async () => {
    const model = new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1, dilation: 1 }),
      new nn.LeakyReLU(0.2),
      new nn.Conv2d(4, 4, 3, { padding: 'same', groups: 2, dilation: 2, bias: false }),
      new nn.Sigmoid(),
      new nn.AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }),
      new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
      new nn.AvgPool2d(2, { ceilMode: true }),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.BatchNorm1d(4, { affine: false }),
      new nn.Identity(),
      new nn.Linear(4, 3),
      new nn.Softmax(-1),
    );
    noGrad(() => model.call(randn(6, 2, 12, 12)));
    await roundTrip('cnn-options', model, [randn(3, 2, 12, 12)], [[randn(2, 2, 12, 12)]], { dynamicAxes: batchAxis('input', 'output') });
  });

  it.each([17, 18])('adaptive average pooling to sizes that divide, and batch norm without running statistics (opset %i)', async (opsetVersion) => {
    const model = new nn.Sequential(new nn.BatchNorm2d(3, { trackRunningStats: false }), new nn.AdaptiveAvgPool2d([2, 4]), new nn.Flatten(1, 2));
    await roundTrip(`pool-bn-batch-stats-opset${opsetVersion}`, model, [randn(4, 3, 6, 8)], [[randn(3, 3, 6, 8)]], {
      dynamicAxes: batchAxis('input', 'output'),
      opsetVersion,
    });
    const step = new nn.Sequential(new nn.Linear(4, 3), new nn.Step());
    await roundTrip('step', step as AnyModule, [randn(2, 4)], [[randn(5, 4)]], { dynamicAxes: batchAxis('input'), opsetVersion });
  });

  it('pools unbatched (C, H, W) input', async () => {
    const model = new nn.Sequential(new nn.MaxPool2d(2), new nn.AvgPool2d(3, { stride: 1, padding: 1 }), new nn.AdaptiveAvgPool2d([2, 1]), new nn.AdaptiveAvgPool2d(1));
    await roundTrip('unbatched-pools', model as AnyModule, [randn(3, 8, 6)], [[randn(3, 8, 6)]]);
  });

  it.each([13, 17, 18, 20])('a custom module: residual add, view, matmul, softmax and tensor math in forward (opset %i)', async (opsetVersion) => {
    class Attention extends nn.Module {
      fc1 = new nn.Linear(16, 32);
      fc2 = new nn.Linear(32, 16);
      scale = new nn.Parameter(randn(16));
      forward(x: Tensor): Tensor {
        const h = F.relu(this.fc1.call(x));
        const r = x.add(this.fc2.call(h)); // residual
        const batch = x.shape[0]!;
        const v = r.view(batch, 4, 4);
        const scores = v.matmul(v.transpose(1, 2)).div(2).softmax(-1);
        const mixed = scores.matmul(v).reshape(batch, 16).mul(this.scale);
        const gate = F.sigmoid(mixed.sub(mixed.mean(1, true)));
        const extra = mixed.abs().add(1).sqrt().log().exp().pow(2).clamp(null, 5).maximum(gate).minimum(3).neg();
        const logits = F.linear(extra.add(mixed.mul(0.5)), this.fc1.weight.T.contiguous().T, null, { activation: 'tanh' });
        return logits.permute(1, 0).sum(0).mul(-1).add(logits.narrow(1, 0, 8).sum([0, 1]).div(100)).leakyRelu(0.1);
      }
    }
    await roundTrip(`custom-opset${opsetVersion}`, new Attention() as AnyModule, [randn(5, 16)], [[randn(3, 16)], [randn(9, 16)]], {
      dynamicAxes: batchAxis('input'),
      opsetVersion,
    });
  });

  it('masks: comparisons, where, maskedFill and triu / tril', async () => {
    class Masked extends nn.Module<[Tensor], Tensor[]> {
      forward(x: Tensor): Tensor[] {
        const scores = x.matmul(x.transpose(1, 2));
        const attention = scores.maskedFill(scores.triu(1).ne(0), -1e4).softmax(-1);
        const leaky = where(x.gt(0), x, x.mul(0.1));
        const flags = x.lt(0.5).add(x.le(-0.5)).add(x.ge(1)).add(x.eq(0)).add(where(x.lt(0), 1, 0));
        return [attention.tril(0), leaky, flags, scores.tril(-1)];
      }
    }
    await roundTrip('masks', new Masked() as unknown as AnyModule, [randn(2, 4, 3)], [[randn(5, 4, 3)]], { dynamicAxes: batchAxis('input') });
    expect(thrown(() => io.exportOnnxToBuffer(new Masked() as unknown as AnyModule, randn(2, 4, 3), { opsetVersion: 13 })).message).toMatch(
      /triu before opset 14 \(ONNX added Trilu in 14\) has no ONNX conversion/,
    );
  });

  it('several inputs and outputs, cat and stack, and a model that returns one of its inputs', async () => {
    class Pair extends nn.Module<[Tensor, Tensor], Tensor[]> {
      fc = new nn.Linear(6, 6);
      forward(a: Tensor, b: Tensor): Tensor[] {
        const joined = cat([a, this.fc.call(b)], 1);
        return [joined, b, stack([a, b], 1).max(1), a.get(0)];
      }
    }
    await roundTrip('pair', new Pair() as unknown as AnyModule, [randn(2, 6), randn(2, 6)], [[randn(4, 6), randn(4, 6)]], {
      dynamicAxes: batchAxis('input0', 'input1'),
    });
  });

  it('writes files (async and sync) with the bytes of exportOnnxToBuffer; names, opset and producer are in the model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-onnx-'));
    try {
      const model = new nn.Sequential(new nn.Linear(3, 2));
      const x = randn(2, 3);
      const options = { inputNames: ['features'], outputNames: ['scores'], opsetVersion: 13 };
      await io.exportOnnx(model, x, join(dir, 'a.onnx'), options);
      io.exportOnnxSync(model, [x], join(dir, 'b.onnx'), options);
      const buffer = io.exportOnnxToBuffer(model, x, options);
      expect(readFileSync(join(dir, 'a.onnx'))).toEqual(buffer);
      expect(readFileSync(join(dir, 'b.onnx'))).toEqual(buffer);
      for (const s of ['features', 'scores', 'tensorgrad', '0.weight', 'Gemm']) expect(buffer.includes(Buffer.from(s))).toBe(true);
      await roundTrip('linear-opset13', model as AnyModule, [x], [[x]], options);
      await roundTrip('mlp-opset18', new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU()) as AnyModule, [x], [[randn(2, 3)]], { opsetVersion: 18 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('declares dynamic dimensions as dim_param, named or numbered, and follows them to the outputs', (ctx) => {
    if (python === null) return ctx.skip();
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.Flatten(), new nn.Linear(2 * 4 * 4, 3));
    const bytes = io.exportOnnxToBuffer(model, randn(2, 1, 6, 6), { dynamicAxes: { input: [0] } });
    const dims = `
import sys, onnx
m = onnx.load_from_string(sys.stdin.buffer.read())
show = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
print([show(v) for v in m.graph.input], [show(v) for v in m.graph.output], m.ir_version, m.opset_import[0].version, m.producer_name)
`;
    const r = spawnSync(python, ['-c', dims], { input: bytes, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe("[['input_dim0', 1, 6, 6]] [['input_dim0', 3]] 8 17 tensorgrad");
    const named = io.exportOnnxToBuffer(model, randn(2, 1, 6, 6), { dynamicAxes: { input: { 0: 'n' }, output: { 0: 'batch' } } });
    const again = spawnSync(python, ['-c', dims], { input: named, encoding: 'utf8' });
    expect(again.stdout.trim()).toBe("[['n', 1, 6, 6]] [['batch', 3]] 8 17 tensorgrad");
  });

  it('stores a weight shared by two layers once, under its first state-dict key', async () => {
    const first = new nn.Linear(5, 5);
    const second = new nn.Linear(5, 5);
    second.weight = first.weight;
    const model = new nn.Sequential(first, new nn.Tanh(), second);
    const bytes = await roundTrip('tied', model as AnyModule, [randn(2, 5)], [[randn(3, 5)]], { dynamicAxes: batchAxis('input') });
    expect(bytes.includes(Buffer.from('0.weight'))).toBe(true);
    expect(bytes.includes(Buffer.from('2.weight'))).toBe(false);
    expect(bytes.includes(Buffer.from('2.bias'))).toBe(true);
  });

  it('leaves nothing behind: the native binding and Module.call are as before, after a failed export too', () => {
    const binding = native as unknown as Record<string, unknown>;
    const before = Object.fromEntries(Object.entries(binding));
    class Broken extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.cumsum(0).add(1);
      }
    }
    expect(thrown(() => io.exportOnnxToBuffer(new Broken(), randn(2, 2)))).toBeInstanceOf(ArgumentError);
    expect(Object.entries(binding).every(([k, v]) => before[k] === v)).toBe(true);
    expect(activeTracer).toBeNull();
    const model = new nn.Sequential(new nn.Linear(2, 2));
    expect(noGrad(() => model.call(randn(1, 2))).shape).toEqual([1, 2]);
  });

  it('runs in eval mode without recording autograd, and restores each module mode', () => {
    const drop = new nn.Dropout(0.5);
    const model = new nn.Sequential(new nn.Linear(4, 4), drop);
    drop.eval(); // a mixed mode comes back as it was
    const x = randn(2, 4);
    x.requiresGrad = true;
    io.exportOnnxToBuffer(model, x);
    expect([model.training, drop.training]).toEqual([true, false]);
    expect((model.get(0) as nn.Linear).weight.grad).toBeNull();
  });
});

describe('exportOnnx: recurrent layers', () => {
  const seqAxes = (...names: string[]): io.DynamicAxes => Object.fromEntries(names.map((n) => [n, { 0: 'steps', 1: 'batch' }]));

  it('a 2-layer bidirectional LSTM: output and [hN, cN], dynamic steps and batch', async () => {
    const lstm = new nn.LSTM(5, 8, { numLayers: 2, bidirectional: true });
    await roundTrip('lstm-2layer-bi', lstm as unknown as AnyModule, [randn(6, 3, 5)], [[randn(4, 2, 5)], [randn(9, 5, 5)]], {
      dynamicAxes: { ...seqAxes('input', 'output0'), output1: { 1: 'batch' }, output2: { 1: 'batch' } },
    });
  });

  it('a character model: Embedding (a Gather of int32 ids), a 2-layer LSTM and a Linear head', async () => {
    class CharModel extends nn.Module {
      emb = new nn.Embedding(12, 5, { paddingIdx: 0 });
      lstm = new nn.LSTM(5, 8, { numLayers: 2, batchFirst: true });
      head = new nn.Linear(8, 12);
      forward(ids: Tensor): Tensor {
        return this.head.call(this.lstm.call(this.emb.call(ids))[0]);
      }
    }
    const ids = (b: number, t: number): Tensor => randn(b, t).abs().mul(4).clamp(0, 11).int();
    await roundTrip('embedding-lstm', new CharModel() as unknown as AnyModule, [ids(2, 6)], [[ids(3, 4)], [ids(1, 9)]], {
      inputNames: ['ids'],
      dynamicAxes: { ids: { 0: 'batch', 1: 'steps' } },
    });
    const renorm = new nn.Sequential(new nn.Embedding(10, 4, { maxNorm: 1 }) as never, new nn.Linear(4, 2));
    expect(thrown(() => io.exportOnnxToBuffer(renorm, ids(1, 2))).message).toMatch(/embedding with maxNorm renormalises its weight rows in place/);
  });

  it('a batch-first LSTM given [h0, c0], inside a custom module', async () => {
    class Tagger extends nn.Module<[Tensor, Tensor, Tensor], Tensor[]> {
      lstm = new nn.LSTM(4, 6, { batchFirst: true, numLayers: 2 });
      head = new nn.Linear(6, 3);
      forward(x: Tensor, h0: Tensor, c0: Tensor): Tensor[] {
        const [out, [hN, cN]] = this.lstm.call(x, [h0, c0]);
        return [this.head.call(out).logSoftmax(-1), hN.add(cN)];
      }
    }
    const batchOf = (b: number, t: number): Tensor[] => [randn(b, t, 4), randn(2, b, 6), randn(2, b, 6)];
    await roundTrip('lstm-batch-first-h0c0', new Tagger() as unknown as AnyModule, batchOf(3, 5), [batchOf(2, 7), batchOf(6, 1)], {
      inputNames: ['x', 'h0', 'c0'],
      dynamicAxes: { x: { 0: 'batch', 1: 'steps' }, h0: { 1: 'batch' }, c0: { 1: 'batch' } },
    });
  });

  it('a 3-layer bidirectional batch-first GRU with h0', async () => {
    class Encoder extends nn.Module<[Tensor, Tensor], Tensor[]> {
      gru = new nn.GRU(4, 6, { numLayers: 3, batchFirst: true, bidirectional: true });
      forward(x: Tensor, h0: Tensor): Tensor[] {
        const [out, hN] = this.gru.call(x, h0);
        return [out, hN];
      }
    }
    const batchOf = (b: number, t: number): Tensor[] => [randn(b, t, 4), randn(6, b, 6)];
    await roundTrip('gru-3layer-bi-batch-first', new Encoder() as unknown as AnyModule, batchOf(2, 5), [batchOf(4, 3), batchOf(1, 8)], {
      dynamicAxes: { input0: { 0: 'batch', 1: 'steps' }, input1: { 1: 'batch' } },
    });
  });

  it('GRU and RNN (tanh and relu, with and without biases)', async () => {
    const gru = new nn.GRU(3, 5);
    await roundTrip('gru', gru as unknown as AnyModule, [randn(4, 2, 3)], [[randn(6, 3, 3)]], { dynamicAxes: seqAxes('input') });
    const tanh = new nn.RNN(3, 5, { numLayers: 2, bidirectional: true });
    await roundTrip('rnn-tanh', tanh as unknown as AnyModule, [randn(4, 2, 3)], [[randn(6, 3, 3)]], { dynamicAxes: seqAxes('input') });
    const relu = new nn.RNN(3, 5, { nonlinearity: 'relu', bias: false, batchFirst: true });
    await roundTrip('rnn-relu-nobias', relu as unknown as AnyModule, [randn(2, 4, 3)], [[randn(3, 6, 3)]], { dynamicAxes: { input: { 0: 'batch', 1: 'steps' } } });
  });

  it('unbatched (T, F) sequences, with and without initial states', async () => {
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
    await roundTrip('lstm-unbatched', lstm as unknown as AnyModule, [randn(5, 3)], [[randn(8, 3)]], { dynamicAxes: { input: { 0: 'steps' } } });
    class WithState extends nn.Module<[Tensor, Tensor], Tensor[]> {
      gru = new nn.GRU(3, 4, { numLayers: 2 });
      forward(x: Tensor, h0: Tensor): Tensor[] {
        const [out, hN] = this.gru.call(x, h0);
        return [out, hN];
      }
    }
    await roundTrip('gru-unbatched-h0', new WithState() as unknown as AnyModule, [randn(5, 3), randn(2, 4)], [[randn(7, 3), randn(2, 4)]], {
      dynamicAxes: { input0: { 0: 'steps' } },
    });
  });

  it('refuses projections and packed sequences', () => {
    const proj = new nn.LSTM(3, 5, { projSize: 2 });
    expect(thrown(() => io.exportOnnxToBuffer(proj as unknown as AnyModule, randn(4, 2, 3))).message).toMatch(/nn\.LSTM with projSize 2 has no ONNX conversion/);
    class Packed extends nn.Module {
      gru = new nn.GRU(3, 5);
      forward(x: Tensor): Tensor {
        const packed = nn.utils.rnn.packPaddedSequence(x, [4, 2]);
        return this.gru.call(packed)[1];
      }
    }
    expect(thrown(() => io.exportOnnxToBuffer(new Packed(), randn(4, 2, 3))).message).toMatch(/nn\.GRU on a PackedSequence has no ONNX conversion/);
  });
});

// ---- refusals ---------------------------------------------------------------------------

describe('exportOnnx: errors', () => {
  const mlp = new nn.Sequential(new nn.Linear(4, 2));
  const x = randn(2, 4);

  it('refuses bad arguments, naming them', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => io.exportOnnxToBuffer({} as AnyModule, x), /exportOnnxToBuffer: model must be a Module/],
      [() => io.exportOnnxToBuffer(mlp, [1, 2] as never), /exampleInput\[0\] must be a Tensor/],
      [() => io.exportOnnxToBuffer(mlp, 'x' as never), /exampleInput must be a Tensor or a non-empty array/],
      [() => io.exportOnnxToBuffer(mlp, x, { opset: 17 } as never), /opset/],
      [() => io.exportOnnxToBuffer(mlp, x, { opsetVersion: 12 }), /options.opsetVersion must be an opset from 13 to 20/],
      [() => io.exportOnnxToBuffer(mlp, x, { opsetVersion: 21 }), /options.opsetVersion must be an opset from 13 to 20/],
      [() => io.exportOnnxToBuffer(mlp, x, { inputNames: ['a', 'b'] }), /options.inputNames must be 1 name/],
      [() => io.exportOnnxToBuffer(mlp, x, { outputNames: ['a', 'b'] }), /options.outputNames must be 1 name/],
      [() => io.exportOnnxToBuffer(mlp, x, { inputNames: ['same'], outputNames: ['same'] }), /also an input name/],
      [() => io.exportOnnxToBuffer(mlp, x, { dynamicAxes: { nothing: [0] } }), /options.dynamicAxes must be keyed by input or output names \(input, output\)/],
      [() => io.exportOnnxToBuffer(mlp, x, { dynamicAxes: { input: [5] } }), /dynamicAxes.input lists axis 5, but input has 2 dimension/],
      [() => io.exportOnnxToBuffer(mlp, x, { dynamicAxes: { input: [-1] } }), /dynamicAxes.input entry must be an integer >= 0/],
      [() => io.exportOnnxToBuffer(mlp, x, { dynamicAxes: { input: 'batch' } as never }), /a list of axes or an object of dimension names/],
      [() => io.exportOnnxToBuffer(mlp, x, { dynamicAxes: { input: { 0: '' } } }), /dynamicAxes.input\[0\] must be a non-empty string/],
      [() => io.exportOnnxSync(mlp, x, ''), /exportOnnxSync: path must be a non-empty string/],
      [() => io.exportOnnxToBuffer(mlp, x, { inputNames: ['0.weight'] }), /input name "0.weight" is also the state-dict key/],
      [() => io.exportOnnxToBuffer(mlp, x, { outputNames: ['0.weight'] }), /output name "0.weight" is already a name in the graph/],
    ];
    for (const [call, message] of cases) {
      const e = thrown(call);
      expect(e, String(message)).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(message);
    }
  });

  it('names an op without conversion that the graph reaches, and a library layer without one', () => {
    class Running extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.cumsum(1).add(1);
      }
    }
    const e = thrown(() => io.exportOnnxToBuffer(new Running(), x));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/exportOnnxToBuffer|exportOnnx: a value of shape \[2, 4\] comes from cumsum, which has no ONNX conversion/);
    class Stepper extends nn.Module {
      cell = new nn.LSTMCell(4, 3);
      forward(x: Tensor): Tensor {
        return this.cell.call(x)[0].add(1);
      }
    }
    expect(thrown(() => io.exportOnnxToBuffer(new Stepper(), x)).message).toMatch(/comes from nn\.LSTMCell, which has no ONNX conversion/);
    class Output extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.cumsum(0);
      }
    }
    expect(thrown(() => io.exportOnnxToBuffer(new Output(), x)).message).toMatch(/comes from cumsum/);
  });

  it('refuses layer options that have no ONNX form', () => {
    const divisor = new nn.Sequential(new nn.AvgPool2d(2, { divisorOverride: 3 }));
    expect(thrown(() => io.exportOnnxToBuffer(divisor, randn(1, 1, 4, 4))).message).toMatch(/avgPool2d with divisorOverride has no ONNX conversion/);
    const adaptive = new nn.Sequential(new nn.AdaptiveAvgPool2d(3));
    expect(thrown(() => io.exportOnnxToBuffer(adaptive, randn(1, 1, 4, 4))).message).toMatch(/adaptiveAvgPool2d from 4x4 to 3x3/);
    const ceil = new nn.Sequential(new nn.AvgPool2d(2, { padding: 1, ceilMode: true }));
    expect(thrown(() => io.exportOnnxToBuffer(ceil, randn(1, 1, 5, 5))).message).toMatch(/avgPool2d with ceilMode where the last window would start in the padding/);
  });

  it('refuses a reshape that cannot keep a dynamic dimension dynamic', () => {
    class Spread extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.reshape(6, 2);
      }
    }
    expect(thrown(() => io.exportOnnxToBuffer(new Spread(), randn(4, 3), { dynamicAxes: { input: [0] } })).message).toMatch(
      /reshape from \[4, 3\] to \[6, 2\] cannot keep dimension\(s\) input_dim0 dynamic/,
    );
  });
});

// ---- the protobuf writer ------------------------------------------------------------------

describe('ProtoWriter', () => {
  const varint = (v: number | bigint): number[] => [...new ProtoWriter().varint(v).finish()];
  it('writes varints at their byte boundaries', () => {
    expect(varint(0)).toEqual([0]);
    expect(varint(127)).toEqual([0x7f]);
    expect(varint(128)).toEqual([0x80, 0x01]);
    expect(varint(300)).toEqual([0xac, 0x02]);
    expect(varint(16383)).toEqual([0xff, 0x7f]);
    expect(varint(16384)).toEqual([0x80, 0x80, 0x01]);
    expect(varint(2 ** 31 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(varint(2 ** 31)).toEqual([0x80, 0x80, 0x80, 0x80, 0x08]);
    expect(varint(2 ** 53 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(varint((1n << 63n) - 1n)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(varint((1n << 64n) - 1n)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
  it('writes negative int64 as ten-byte two’s complement', () => {
    expect(varint(-1)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(varint(-2n)).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(varint(-(1n << 63n))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  });
  it('refuses what does not fit', () => {
    expect(thrown(() => varint(1n << 64n))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => varint(0.5))).toBeInstanceOf(ArgumentError);
  });
  it('writes keys, packed fields, floats and nested messages', () => {
    const w = new ProtoWriter().int(1, 150).string(2, 'hi').packedInts(4, [3, 270, -1]).float(5, 1).message(6, (m) => m.int(1, true));
    expect([...w.finish()]).toEqual([
      0x08, 0x96, 0x01, // field 1 varint 150
      0x12, 0x02, 0x68, 0x69, // field 2 "hi"
      0x22, 0x0d, 0x03, 0x8e, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // field 4 packed
      0x2d, 0x00, 0x00, 0x80, 0x3f, // field 5 fixed32 1.0f
      0x32, 0x02, 0x08, 0x01, // field 6 { field 1: 1 }
    ]);
  });
});
