// Tomorrow's maximum temperature in Seattle from the last two weeks of weather, by an LSTM,
// against two baselines: "tomorrow is like today" (persistence) and a linear model on the same
// two weeks. Data: seattle-weather.csv from the npm package vega-datasets (daily, 2012-2015:
// precipitation, temp_max, temp_min, wind, and the day of the year). 2012-2014 train (the last 20% of it validates,
// choosing the epoch), 2015 tests.
//   Run: npm run example:weather   (node examples/weather-lstm.mjs [--epochs 60])
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';

const { nn, optim, data } = tg;
const EPOCHS = Number(option('epochs', 60));
const WINDOW = 14;
const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];
tg.manualSeed(0);

// vega-datasets exports only its JS index: the CSV sits beside it, under data/.
const require = createRequire(import.meta.url);
const csv = readFileSync(join(dirname(require.resolve('vega-datasets')), '..', 'data', 'seattle-weather.csv'), 'utf8');
const [header, ...lines] = csv.trim().split('\n');
const columns = header.split(',');
const rows = lines.map((line) => {
  const cells = line.split(',');
  return { date: cells[0], values: FEATURES.map((f) => Number(cells[columns.indexOf(f)])) };
});
const testStart = rows.findIndex((r) => r.date.startsWith('2015'));

// Standardise every feature with the training years' mean and std.
const stats = FEATURES.map((_, f) => {
  const v = rows.slice(0, testStart).map((r) => r.values[f]);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
});
// Plus the season, as a point on the circle of the year.
const season = (date) => {
  const day = (Date.parse(date) - Date.parse(`${date.slice(0, 4)}-01-01`)) / 864e5;
  return [Math.sin((2 * Math.PI * day) / 365.25), Math.cos((2 * Math.PI * day) / 365.25)];
};
const scaled = rows.map((r) => [...r.values.map((v, f) => (v - stats[f].mean) / stats[f].std), ...season(r.date)]);
const INPUTS = FEATURES.length + 2;
const TMAX = FEATURES.indexOf('temp_max');

// Window ending at day d (exclusive) -> the temperature of day d, for the targets in [from, to).
function windows(from, to) {
  const n = to - from;
  const x = new Float32Array(n * WINDOW * INPUTS);
  const y = new Float32Array(n);
  const today = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = from + i;
    for (let t = 0; t < WINDOW; t++) x.set(scaled[d - WINDOW + t], (i * WINDOW + t) * INPUTS);
    y[i] = scaled[d][TMAX];
    today[i] = scaled[d - 1][TMAX];
  }
  return { x: tg.Tensor.from(x, [n, WINDOW, INPUTS]), y: tg.Tensor.from(y, [n, 1]), today: tg.Tensor.from(today, [n, 1]), n };
}
const valStart = WINDOW + Math.floor((testStart - WINDOW) * 0.8);
const trainSet = windows(WINDOW, valStart);
const valSet = windows(valStart, testStart);
const testSet = windows(testStart, rows.length);

class Forecaster extends nn.Module {
  constructor() {
    super();
    this.lstm = new nn.LSTM(INPUTS, 32, { batchFirst: true });
    this.head = new nn.Linear(32, 1);
  }
  forward(x) {
    const [, [h]] = this.lstm.call(x);
    return this.head.call(h.get(0)); // the last step's state
  }
}

// RMSE in °C on the original scale.
const rmse = (pred, target) => Math.sqrt(nn.functional.mseLoss(pred, target).item()) * stats[TMAX].std;

function trainModel(model, epochs, lr) {
  const opt = new optim.Adam(model.parameters(), { lr });
  const loader = new data.DataLoader(new data.TensorDataset(trainSet.x, trainSet.y), { batchSize: 64, shuffle: true, seed: 0 });
  let best = { val: Infinity, state: null, epoch: 0 };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    for (const [x, y] of loader) {
      opt.zeroGrad();
      nn.functional.mseLoss(model.call(x), y).backward();
      opt.step();
    }
    model.eval();
    const val = tg.noGrad(() => rmse(model.call(valSet.x), valSet.y));
    // stateDict() holds the live tensors (as PyTorch's): keep copies of the best epoch's.
    if (val < best.val) best = { val, state: Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.clone()])), epoch };
  }
  model.loadStateDict(best.state);
  model.eval();
  return best;
}

// The linear baseline: one Linear layer on the flattened window.
class Linear extends nn.Module {
  constructor() {
    super();
    this.fc = new nn.Linear(WINDOW * INPUTS, 1);
  }
  forward(x) {
    return this.fc.call(x.reshape(x.shape[0], -1));
  }
}

const started = performance.now();
const lstm = new Forecaster();
const bestLstm = trainModel(lstm, EPOCHS, 5e-3);
const linear = new Linear();
const bestLinear = trainModel(linear, EPOCHS, 5e-3);
const test = tg.noGrad(() => ({
  lstm: rmse(lstm.call(testSet.x), testSet.y),
  linear: rmse(linear.call(testSet.x), testSet.y),
  persistence: rmse(testSet.today, testSet.y),
}));
console.log(`Seattle daily weather (vega-datasets): ${trainSet.n} training, ${valSet.n} validation and ${testSet.n} test days (2015), windows of ${WINDOW} days`);
console.log(`LSTM (32 hidden), best epoch ${bestLstm.epoch} of ${EPOCHS}; linear model, best epoch ${bestLinear.epoch}; ${((performance.now() - started) / 1e3).toFixed(1)} s`);
console.log('test RMSE of tomorrow\'s maximum temperature:');
console.log(`  persistence (tomorrow = today)  ${test.persistence.toFixed(2)} °C`);
console.log(`  linear model on the window      ${test.linear.toFixed(2)} °C`);
console.log(`  LSTM                            ${test.lstm.toFixed(2)} °C`);
