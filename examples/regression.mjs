// Regression as the course frames it: a channel's subscriber count over three years grows in
// two waves, and a network with one hidden layer fits the curve as a sum of shifted, scaled
// sigmoids (or of ReLU "hinges": a piecewise-linear fit). Each hidden unit contributes one
// step (or one bend); the output layer adds them up.
//   Run: node examples/regression.mjs
import * as tg from '../dist/index.js';

const { nn, optim } = tg;
tg.manualSeed(3);

// Monthly subscribers: two growth waves and some noise.
const months = tg.arange(0, 37).reshape([37, 1]);
const sig = (t) => t.neg().exp().add(1).pow(-1);
const truth = sig(months.sub(8).div(2)).mul(2000).add(sig(months.sub(22).div(3)).mul(5000));
const subscribers = truth.add(tg.randn(37, 1).mul(60));

// Inputs centred and scaled to about [-3, 3], targets to [0, 1]: the optimizer's step sizes then suit every weight.
const x = months.sub(18).div(6);
const y = subscribers.div(7000);

function fit(activation, hidden, steps = 6000) {
  const model = new nn.Sequential(new nn.Linear(1, hidden), activation, new nn.Linear(hidden, 1));
  const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
  const sched = new optim.StepLR(opt, { stepSize: 2000, gamma: 0.3 });
  const mse = new nn.MSELoss();
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    mse.call(model.call(x), y).backward();
    opt.step();
    sched.step();
  }
  const pred = tg.noGrad(() => model.call(x)).mul(7000);
  const rmse = pred.sub(truth).pow(2).mean().sqrt().item();
  return { pred, rmse };
}

const fits = { 'sum of 6 sigmoids': fit(new nn.Sigmoid(), 6), 'sum of 12 ReLUs': fit(new nn.ReLU(), 12) };
console.log('month  subscribers  ' + Object.keys(fits).map((k) => k.padStart(18)).join(''));
const observed = subscribers.data();
for (let m = 0; m <= 36; m += 3) {
  const cols = Object.values(fits).map(({ pred }) => Math.round(pred.data()[m]).toString().padStart(18));
  console.log(`${String(m).padStart(5)}  ${Math.round(observed[m]).toString().padStart(11)}  ${cols.join('')}`);
}
for (const [name, { rmse }] of Object.entries(fits)) {
  console.log(`${name}: RMS error against the noise-free curve ${rmse.toFixed(0)} subscribers (noise σ = 60)`);
}
