// The perceptron, as the course introduces it: a weighted sum, a step activation, and the
// perceptron learning rule w += lr·(target − output)·x. It learns AND, NAND and OR; it can never
// learn XOR (no straight line separates XOR's outputs), which a network with one hidden layer,
// trained by backpropagation, does.
//   Run: node examples/perceptron-gates.mjs
import * as tg from '../dist/index.js';

const { nn, optim } = tg;
const inputs = tg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const gates = { AND: [0, 0, 0, 1], NAND: [1, 1, 1, 0], OR: [0, 1, 1, 1], XOR: [0, 1, 1, 0] };

// The classic rule, one sample at a time, with the Step module as the activation. Returns the
// epochs it needed, or null when it never got every row right.
function trainPerceptron(truth, maxEpochs = 100, lr = 0.1) {
  const perceptron = new nn.Sequential(new nn.Linear(2, 1), new nn.Step());
  const linear = perceptron.get(0);
  for (let epoch = 1; epoch <= maxEpochs; epoch++) {
    let mistakes = 0;
    tg.noGrad(() => {
      for (let i = 0; i < 4; i++) {
        const x = inputs.narrow(0, i, 1); // (1, 2)
        const error = truth[i] - perceptron.call(x).item();
        if (error === 0) continue;
        mistakes++;
        linear.weight.copy_(linear.weight.add(x.mul(lr * error)));
        linear.bias.copy_(linear.bias.add(lr * error));
      }
    });
    if (mistakes === 0) return { perceptron, epochs: epoch };
  }
  return { perceptron, epochs: null };
}

tg.manualSeed(1);
for (const [gate, truth] of Object.entries(gates)) {
  const { perceptron, epochs } = trainPerceptron(truth);
  const out = Array.from(tg.noGrad(() => perceptron.call(inputs)).data());
  const verdict = epochs === null ? 'never converges (not linearly separable)' : `learned in ${epochs} epoch(s)`;
  console.log(`${gate.padEnd(4)} perceptron: outputs [${out.join(', ')}], truth [${truth.join(', ')}] — ${verdict}`);
}

// XOR with a hidden layer: 2 → 4 (tanh) → 1, trained on the logistic loss with Adam.
const mlp = new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh(), new nn.Linear(4, 1));
const target = tg.tensor(gates.XOR.map((v) => [v]));
const lossFn = new nn.BCEWithLogitsLoss();
const opt = new optim.Adam(mlp.parameters(), { lr: 0.05 });
for (let i = 0; i < 500; i++) {
  opt.zeroGrad();
  lossFn.call(mlp.call(inputs), target).backward();
  opt.step();
}
const out = tg.noGrad(() => mlp.call(inputs));
console.log(`XOR  MLP 2-4-1:   outputs [${Array.from(out.step().data()).join(', ')}], loss ${lossFn.call(out, target).item().toFixed(4)} — learned`);
