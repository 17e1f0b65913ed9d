// An HTTP server that keeps answering while a model trains in the same process: fit runs in
// deferred mode (its kernels on a native thread), so the event loop stays free. Each request
// to /predict classifies a few digits with the live model and says how long it waited.
//   Run: npm run example:serve   (node examples/serve-while-training.mjs [--epochs 3] [--port 8080])
// Then: curl localhost:8080/predict  (the script also asks itself every 200 ms and prints it)
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';

const { nn, optim, data, datasets } = tg;
const EPOCHS = Number(option('epochs', 3));
const PORT = Number(option('port', 8080));

tg.manualSeed(0);
const { images, labels } = datasets.mnistDigits();
const x = data.Normalize.fit(new data.TensorDataset(images, labels)).apply(images);
const loader = new data.DataLoader(new data.TensorDataset(x, labels), { batchSize: 256, shuffle: true, seed: 0 });
const model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 10));
const probe = x.narrow(0, 0, 8);

const server = createServer(async (req, res) => {
  if (req.url !== '/predict') {
    res.writeHead(404).end();
    return;
  }
  const t0 = performance.now();
  // predict plans in deferred mode; dataAsync waits for the values without blocking the loop.
  const out = tg.predict(model, probe);
  const classes = Array.from(await out.argmax(1).dataAsync());
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ classes, ms: Number((performance.now() - t0).toFixed(1)) }));
});
await new Promise((resolve) => server.listen(PORT, '127.0.0.1', resolve));
console.log(`serving http://127.0.0.1:${PORT}/predict while training`);

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const asker = setInterval(async () => {
  const r = await fetch(`http://127.0.0.1:${PORT}/predict`).then((res) => res.json());
  console.log(`  /predict answered in ${r.ms} ms: ${r.classes.join(' ')}`);
}, 200);

const history = await tg.fit(model, loader, { optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }), loss: new nn.CrossEntropyLoss(), epochs: EPOCHS, verbose: false });
clearInterval(asker);
delay.disable();
server.close();
console.log(`trained ${EPOCHS} epoch(s), loss ${history.loss.at(-1).toFixed(3)}, accuracy ${(history.metrics.accuracy.at(-1) * 100).toFixed(1)}%`);
console.log(`event-loop delay during training: p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);
