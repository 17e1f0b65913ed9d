// The course's checks on the building blocks: why weights are never initialised to zero, what a
// single perceptron can learn (AND, NAND, OR) and cannot (XOR), and that one hidden layer fixes it.
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, optim, type Tensor, tensor } from '../lib/index.js';

const inputs = tensor([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const gates: Record<string, number[]> = {
  AND: [0, 0, 0, 1],
  NAND: [1, 1, 1, 0],
  OR: [0, 1, 1, 1],
  XOR: [0, 1, 1, 0],
};

// Full-batch training on the four rows with a logistic loss; returns the thresholded outputs
// (a perceptron fires, step activation, where its pre-activation is positive) and the loss.
function trainGateWithLoss(model: nn.Module, truth: number[], steps: number, makeOptimizer: (m: nn.Module) => optim.Optimizer<{ lr: number }>): [number[], number] {
  const target = tensor(truth.map((v) => [v]));
  const lossFn = new nn.BCEWithLogitsLoss();
  const opt = makeOptimizer(model);
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    lossFn.call(model.call(inputs) as Tensor, target).backward();
    opt.step();
  }
  const out = model.call(inputs) as Tensor;
  return [Array.from(out.step().data()), lossFn.call(out, target).item()];
}

function trainGate(model: nn.Module, truth: number[], steps: number, makeOptimizer: (m: nn.Module) => optim.Optimizer<{ lr: number }>): number[] {
  return trainGateWithLoss(model, truth, steps, makeOptimizer)[0];
}

const sgd = (m: nn.Module): optim.Optimizer<{ lr: number }> => new optim.SGD(m.parameters(), { lr: 0.5, momentum: 0.9 });
const adam = (m: nn.Module): optim.Optimizer<{ lr: number }> => new optim.Adam(m.parameters(), { lr: 0.05 });

describe('perceptrons and logic gates', () => {
  it.each(['AND', 'NAND', 'OR'])('a single perceptron learns %s', (gate) => {
    manualSeed(1);
    expect(trainGate(new nn.Linear(2, 1), gates[gate]!, 200, sgd)).toEqual(gates[gate]);
  });

  // No line separates XOR's classes, so the best a linear model can do under the logistic loss
  // is to output 0 everywhere: loss ln 2. Training gets there and no further.
  it('a single perceptron cannot learn XOR (it is not linearly separable), whatever the seed', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      manualSeed(seed);
      const [predicted, loss] = trainGateWithLoss(new nn.Linear(2, 1), gates.XOR!, 500, sgd);
      expect(predicted.filter((v, i) => v === gates.XOR![i]).length).toBeLessThanOrEqual(3);
      expect(loss).toBeGreaterThan(Math.LN2 - 1e-4);
      expect(loss).toBeLessThan(Math.LN2 + 1e-2);
    }
  });

  it('an MLP with one hidden layer learns XOR', () => {
    manualSeed(1);
    const mlp = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 1));
    const [predicted, loss] = trainGateWithLoss(mlp, gates.XOR!, 300, adam);
    expect(predicted).toEqual(gates.XOR);
    expect(loss).toBeLessThan(0.05);
  });
});

describe('initialisation', () => {
  // With every weight at zero, each hidden unit gets the same gradient as its neighbours at every
  // step, so the units stay copies of one another: the layer is as good as one unit wide.
  it('zero initialisation keeps every hidden unit identical through training', () => {
    manualSeed(2);
    const mlp = new nn.Sequential(new nn.Linear(2, 5), new nn.Sigmoid(), new nn.Linear(5, 1));
    for (const p of mlp.parameters()) nn.init.zeros(p);
    trainGate(mlp, gates.AND!, 100, sgd);
    const w1 = (mlp.get(0) as nn.Linear).weight.toArray() as number[][];
    const b1 = Array.from((mlp.get(0) as nn.Linear).bias!.data());
    const w2 = Array.from((mlp.get(2) as nn.Linear).weight.data());
    for (let unit = 1; unit < 5; unit++) {
      expect(w1[unit]).toEqual(w1[0]);
      expect(b1[unit]).toBe(b1[0]);
      expect(w2[unit]).toBe(w2[0]);
    }
    expect(w2[0]).not.toBe(0); // it did train: the units moved, together
  });

  it('the default initialisation breaks the symmetry', () => {
    manualSeed(2);
    const mlp = new nn.Sequential(new nn.Linear(2, 5), new nn.Sigmoid(), new nn.Linear(5, 1));
    trainGate(mlp, gates.XOR!, 10, sgd);
    const w1 = (mlp.get(0) as nn.Linear).weight.toArray() as number[][];
    expect(new Set(w1.map((row) => row.join())).size).toBe(5);
  });
});
