// PyTorch interop through safetensors: state dicts that PyTorch saved with
// safetensors.torch.save_file load strictly into the same architectures built here and give
// PyTorch's outputs (fixtures from test/fixtures/make_interop_fixtures.py, so CI needs no
// Python); and what tensorgrad writes loads back in PyTorch (checked here when a PyTorch 2
// with safetensors is at hand, and in CI by the format tests of safetensors.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { io, manualSeed, nn, noGrad, optim, randn, Tensor, train } from '../lib/index.js';
import { expectClose, tempFolder } from './helpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'interop');
const { dir } = tempFolder('tg-interop-');

class SequenceModel extends nn.Module {
  emb = new nn.Embedding(12, 6);
  lstm = new nn.LSTM(6, 8, { numLayers: 2, batchFirst: true });
  gru = new nn.GRU(8, 5, { batchFirst: true, bidirectional: true });
  head = new nn.Linear(10, 12);
  forward(x: Tensor): Tensor {
    const [y] = this.lstm.call(this.emb.call(x));
    const [z] = this.gru.call(y);
    return this.head.call(z);
  }
}

// The same architectures as make_interop_fixtures.py's MODELS.
const MODELS: Record<string, () => nn.Module> = {
  mlp: () => new nn.Sequential(new nn.Linear(20, 16), new nn.ReLU(), new nn.Linear(16, 5)),
  cnn: () =>
    new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(4, 6, 3),
      new nn.BatchNorm2d(6),
      new nn.ReLU(),
      new nn.AvgPool2d(2),
      new nn.Flatten(),
      new nn.Linear(24, 10),
    ),
  sequence: () => new SequenceModel(),
};

const values = (t: Tensor): number[] => Array.from(t.data());
const run = (model: nn.Module, x: Tensor): Tensor => noGrad(() => model.eval().call(x));

describe('PyTorch state dicts through safetensors', () => {
  for (const name of Object.keys(MODELS)) {
    it(`${name}: PyTorch's state dict loads strictly and gives PyTorch's output`, async () => {
      const model = MODELS[name]!();
      const state = await io.loadSafetensors(join(FIXTURES, `${name}.safetensors`));
      expect(Object.keys(state).sort()).toEqual(Object.keys(model.stateDict()).sort());
      expect(model.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      const { input, output } = io.loadSafetensorsSync(join(FIXTURES, `${name}.io.safetensors`));
      expect(input!.dtype).toBe(name === 'sequence' ? 'int32' : 'float32'); // int64 token ids load as int32
      const y = run(model, input!);
      expect(y.shape).toEqual(output!.shape);
      expectClose(y.data(), output!.data(), { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it("the CNN's int64 num_batches_tracked loads into tensorgrad's int32 buffer", async () => {
    const model = MODELS.cnn!() as nn.Sequential;
    model.loadStateDict(await io.loadSafetensors(join(FIXTURES, 'cnn.safetensors')));
    const bn = model.get(1) as nn.BatchNorm2d;
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    expect(bn.numBatchesTracked!.item()).toBe(3);
    expect(values(bn.runningVar!).every((v) => v !== 1)).toBe(true);
  });

  it('fine-tuned here, saved, and loaded again gives the same model', async () => {
    manualSeed(5);
    for (const name of Object.keys(MODELS)) {
      const model = MODELS[name]!();
      model.loadStateDict(io.loadSafetensorsSync(join(FIXTURES, `${name}.safetensors`)));
      const { input } = io.loadSafetensorsSync(join(FIXTURES, `${name}.io.safetensors`));
      // One training step moves every parameter (and the CNN's running statistics).
      model.train();
      const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
      const out = model.call(input!);
      out.mul(randn(...out.shape)).sum().backward();
      opt.step();
      const path = join(dir, `${name}.safetensors`);
      await io.saveSafetensors(model.stateDict(), path);
      const again = MODELS[name]!();
      expect(again.loadStateDict(await io.loadSafetensors(path))).toEqual({ missingKeys: [], unexpectedKeys: [] });
      expect(values(run(again, input!))).toEqual(values(run(model, input!)));
      const y = run(model, input!);
      io.saveSafetensorsSync({ input: input!, output: y }, join(dir, `${name}.io.safetensors`));
    }
    // The reverse direction, when a PyTorch with safetensors is here: PyTorch loads these files
    // into its own modules and reproduces tensorgrad's outputs.
    const python = process.env.TG_TORCH_PYTHON ?? '/root/.cache/tensorgrad-anchors/torch2/bin/python';
    if (!existsSync(python) || spawnSync(python, ['-c', 'import torch, safetensors'], { stdio: 'ignore' }).status !== 0) return;
    const check = spawnSync(python, [join(import.meta.dirname, 'fixtures', 'make_interop_fixtures.py'), '--check', dir], { encoding: 'utf8' });
    expect(check.stderr + check.stdout).toMatch(/sequence: max relative difference/);
    expect(check.status, check.stderr + check.stdout).toBe(0);
  }, 60_000);

  it('ModelCheckpoint writes safetensors for a .safetensors path and .tg otherwise', async () => {
    const model = MODELS.cnn!();
    const ctx = { model, hasValidation: false } as unknown as train.TrainContext;
    for (const file of ['ckpt.safetensors', 'ckpt.tg']) {
      const checkpoint = new train.ModelCheckpoint({ path: join(dir, file), saveBestOnly: false });
      checkpoint.onTrainBegin(ctx);
      await checkpoint.onEpochEnd(1, { epoch: 1, loss: 1 } as unknown as train.EpochLogs, ctx);
    }
    const fromSafetensors = await io.loadSafetensors(join(dir, 'ckpt.safetensors'));
    const fromTg = await io.load<Record<string, Tensor>>(join(dir, 'ckpt.tg'));
    expect(Object.keys(fromSafetensors).sort()).toEqual(Object.keys(model.stateDict()).sort());
    for (const [k, t] of Object.entries(model.stateDict())) {
      expect(values(fromSafetensors[k]!)).toEqual(values(t));
      expect(values(fromTg[k]!)).toEqual(values(t));
    }
  });
});
