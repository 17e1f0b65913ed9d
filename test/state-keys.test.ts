// State-dict keys are PyTorch's (running_mean, pos_weight), JavaScript properties stay
// camelCase, a user's module keeps its property names, and dicts saved with the old
// camelCase keys still load.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, io, manualSeed, nn, randn, Tensor, tensor } from '../lib/index.js';
import { tempFolder, thrown } from './helpers.js';

const values = (t: Tensor): number[] => Array.from(t.data());
const { dir } = tempFolder('tg-state-keys-');

/** A user's module: its own properties, camelCase, stay its keys. */
class Block extends nn.Module {
  inProj = new nn.Linear(3, 4);
  norm = new nn.BatchNorm1d(4);
  gainFactor = new nn.Parameter(tensor([1.5]));
  forward(x: Tensor): Tensor {
    return this.norm.call(this.inProj.call(x)).mul(this.gainFactor);
  }
}

/** A built-in-style module that names a child and a parameter the PyTorch way. */
class Attention extends nn.Module {
  static override readonly stateKeys: nn.StateKeys = { selfAttn: 'self_attn', inProjWeight: 'in_proj_weight' };
  selfAttn = new nn.Linear(2, 2);
  inProjWeight = new nn.Parameter(tensor([[1, 2]]));
  forward(x: Tensor): Tensor {
    return this.selfAttn.call(x);
  }
}

/** A subclass adds keys to its parent's table and inherits the rest. */
class GatedAttention extends Attention {
  static override readonly stateKeys: nn.StateKeys = { outGate: 'out_gate' };
  outGate = new nn.Parameter(tensor([0.5]));
}

describe('state-dict keys', () => {
  it("BatchNorm's buffers take PyTorch's names in stateDict, namedBuffers and a Sequential", () => {
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    expect(Object.keys(model.stateDict())).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    expect(model.namedBuffers().map(([k]) => k)).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked']);
    const bn = model.get(1) as nn.BatchNorm1d;
    expect(bn.runningMean).toBeInstanceOf(Tensor);
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
  });

  it("BCEWithLogitsLoss's posWeight is saved as pos_weight", () => {
    const loss = new nn.BCEWithLogitsLoss({ posWeight: tensor([2, 3]) });
    expect(Object.keys(loss.stateDict())).toEqual(['pos_weight']);
    expect(values(loss.posWeight!)).toEqual([2, 3]);
  });

  it("a user's module keeps its property names, nested built-ins use PyTorch's", () => {
    expect(Object.keys(new Block().stateDict())).toEqual([
      'gainFactor',
      'inProj.weight',
      'inProj.bias',
      'norm.weight',
      'norm.bias',
      'norm.running_mean',
      'norm.running_var',
      'norm.num_batches_tracked',
    ]);
  });

  it('stateKeys rename children and parameters everywhere a name is shown, and subclasses add to them', () => {
    const m = new GatedAttention();
    expect(Object.keys(m.stateDict())).toEqual(['in_proj_weight', 'out_gate', 'self_attn.weight', 'self_attn.bias']);
    expect(m.namedParameters().map(([k]) => k)).toEqual(['in_proj_weight', 'out_gate', 'self_attn.weight', 'self_attn.bias']);
    expect(m.namedModules().map(([k]) => k)).toEqual(['', 'self_attn']);
    expect([...m.namedChildren()].map(([k]) => k)).toEqual(['self_attn']);
    expect(m.toString()).toContain('(self_attn): Linear(in_features=2, out_features=2, bias=True)');
  });

  it('a dict with the old camelCase keys loads, and round-trips through a .tg checkpoint', async () => {
    manualSeed(3);
    const source = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    source.call(randn(8, 3));
    const state = source.stateDict();
    // What a checkpoint written before the rename holds.
    const old: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(state)) {
      old[k.replace('running_mean', 'runningMean').replace('running_var', 'runningVar').replace('num_batches_tracked', 'numBatchesTracked')] = t;
    }
    expect(Object.keys(old)).toContain('1.runningMean');
    const path = join(dir, 'old.tg');
    await io.save(old, path);
    const target = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    const result = target.loadStateDict(await io.load<Record<string, Tensor>>(path));
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, t] of Object.entries(target.stateDict())) expect(values(t)).toEqual(values(state[k]!));
    expect((target.get(1) as nn.BatchNorm1d).numBatchesTracked!.item()).toBe(1);
  });

  it('old keys count as loaded, not unexpected; unknown ones still fail strict loading', () => {
    const m = new GatedAttention();
    const dict = { selfAttn: undefined, inProjWeight: tensor([[5, 6]]), out_gate: tensor([2]), 'selfAttn.weight': tensor([[1, 0], [0, 1]]), 'self_attn.bias': tensor([0, 0]) };
    delete dict.selfAttn;
    expect(m.loadStateDict(dict as unknown as Record<string, Tensor>)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(m.inProjWeight)).toEqual([5, 6]);
    const extra = { ...m.stateDict(), 'selfAttn.extra': tensor([1]) };
    const err = thrown(() => m.loadStateDict(extra));
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err.message).toMatch(/unexpected key\(s\): selfAttn\.extra/);
    expect(m.loadStateDict(extra, { strict: false }).unexpectedKeys).toEqual(['selfAttn.extra']);
  });

  it('a shape mismatch under an old key names the key as given', () => {
    const bn = new nn.BatchNorm1d(2);
    const dict = { ...bn.stateDict() } as Record<string, Tensor>;
    delete dict.running_mean;
    dict.runningMean = tensor([1, 2, 3]);
    expect(thrown(() => bn.loadStateDict(dict)).message).toMatch(/size mismatch for runningMean: the value has shape \[3\], the module's is \[2\]/);
  });
});
