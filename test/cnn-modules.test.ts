// The CNN modules: Conv2d and BatchNorm2d as PyTorch prints and initialises them, Sequential's
// fused Conv2d + activation, and a small CNN learning the MNIST digits.
import { describe, expect, it } from 'vitest';
import { ArgumentError, data, datasets, evaluate, fit, manualSeed, nn, optim, randn, type Tensor } from '../lib/index.js';

const values = (t: Tensor): number[] => Array.from(t.data());

describe('Conv2d and BatchNorm2d modules', () => {
  it('print as PyTorch prints them', () => {
    expect(new nn.Conv2d(1, 16, 5, { padding: 2 }).toString()).toBe('Conv2d(1, 16, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))');
    expect(new nn.Conv2d(16, 32, [3, 5], { stride: 2, dilation: 2, groups: 2, bias: false }).toString()).toBe(
      'Conv2d(16, 32, kernel_size=(3, 5), stride=(2, 2), dilation=(2, 2), groups=2, bias=False)',
    );
    expect(new nn.Conv2d(3, 3, 3, { padding: 'same' }).toString()).toBe('Conv2d(3, 3, kernel_size=(3, 3), stride=(1, 1), padding=same)');
    expect(new nn.Conv2d(3, 3, 1).toString()).toBe('Conv2d(3, 3, kernel_size=(1, 1), stride=(1, 1))');
    expect(new nn.BatchNorm2d(16).toString()).toBe('BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)');
  });

  it('start from U(±1/√fanIn) for weight and bias, and check their arguments', () => {
    manualSeed(4);
    const conv = new nn.Conv2d(8, 16, 3);
    expect(conv.weight.shape).toEqual([16, 8, 3, 3]);
    const bound = 1 / Math.sqrt(8 * 9);
    for (const t of [conv.weight, conv.bias!]) expect(values(t).every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(Math.max(...values(conv.weight))).toBeGreaterThan(0.8 * bound);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
    expect(() => new nn.Conv2d(3, 4, 3, { padding: 'same', stride: 2 })).toThrow(ArgumentError);
    expect(() => new nn.BatchNorm2d(3).call(randn(2, 3, 4))).toThrow(/expected 4D input/);
  });

  it.each([
    ['ReLU', () => new nn.ReLU()],
    ['Tanh', () => new nn.Tanh()],
    ['LeakyReLU', () => new nn.LeakyReLU(0.2)],
  ])('Sequential fuses Conv2d + %s without changing values or gradients', (_name, make) => {
    manualSeed(9);
    const conv = new nn.Conv2d(3, 5, 3, { padding: 1 });
    const act = make() as nn.Module;
    const x = randn(2, 3, 7, 6);
    const y1 = new nn.Sequential(conv, act).call(x);
    y1.mul(y1).sum().backward();
    const g1 = values(conv.weight.grad!);
    conv.zeroGrad();
    const y2 = act.call(conv.call(x));
    y2.mul(y2).sum().backward();
    values(y1).forEach((v, i) => expect(v).toBeCloseTo(values(y2)[i]!, 5));
    g1.forEach((v, i) => expect(v).toBeCloseTo(values(conv.weight.grad!)[i]!, 4));
  });

  it('BatchNorm2d normalises each channel over the batch and every position', () => {
    manualSeed(1);
    const bn = new nn.BatchNorm2d(3);
    const y = bn.call(randn(4, 3, 5, 5).mul(3).add(2));
    const perChannel = y.permute(1, 0, 2, 3).reshape(3, -1);
    values(perChannel.mean(1)).forEach((m) => expect(m).toBeCloseTo(0, 5));
    values(perChannel.pow(2).mean(1)).forEach((v) => expect(v).toBeCloseTo(1, 3));
  });
});

describe('a small CNN on the MNIST digits', () => {
  it('learns them in one epoch', async () => {
    manualSeed(0);
    const { images, labels } = datasets.mnistDigits();
    const all = new data.TensorDataset(images.reshape(-1, 1, 28, 28), labels);
    const [trainSet, testSet] = data.randomSplit(all, [3000, 1000, 6000], { seed: 2 });
    const model = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(8, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(16 * 7 * 7, 10),
    );
    await fit(model, new data.DataLoader(trainSet!, { batchSize: 32, shuffle: true, seed: 0 }), {
      optimizer: new optim.Adam(model.parameters(), { lr: 3e-3 }),
      loss: new nn.CrossEntropyLoss(),
      verbose: false,
    });
    const result = await evaluate(model, new data.DataLoader(testSet!, { batchSize: 500 }));
    expect(result.metrics.accuracy!).toBeGreaterThan(0.9);
  });
});
