// A rank that fails mid-training. --fault exit: rank 1 exits (status 1) at step --at of a DDP
// training loop; --fault stall: rank 1 stops taking part (it sleeps) at that step. Rank 0 must
// throw a TensorgradError within --timeout ms; it prints one JSON line (FAULT {...}) with the
// error and how long the failing step took, checks that a later collective fails fast, and
// exits with status 3.
import { args, model, problem, tg } from './common.mjs';

const a = args();
const timeoutMs = Number(a.timeout ?? 2000);
const at = Number(a.at ?? 5);
const { data, nn, optim, distributed: dist } = tg;

dist.initProcessGroup({ timeoutMs });
const rank = dist.getRank();
const dataset = problem(640);
const ddp = new nn.parallel.DistributedDataParallel(model());
const opt = new optim.SGD(ddp.parameters(), { lr: 0.05, momentum: 0.9 });
const loader = new data.DataLoader(dataset, { batchSize: 8, sampler: new data.DistributedSampler(dataset) });
const lossFn = new nn.CrossEntropyLoss();

let stepIndex = 0;
for (const [x, y] of loader) {
  if (rank === 1 && stepIndex === at) {
    if (a.fault === 'exit') process.exit(1);
    await new Promise((resolve) => setTimeout(resolve, timeoutMs * 3));
    process.exit(0);
  }
  const started = performance.now();
  try {
    opt.zeroGrad();
    lossFn.call(ddp.call(x), y).backward();
    opt.step();
  } catch (error) {
    const elapsedMs = performance.now() - started;
    let later = null;
    const t0 = performance.now();
    try {
      dist.allReduce(tg.tensor([1]));
    } catch (e) {
      later = { message: e.message, code: e.code, ms: performance.now() - t0 };
    }
    console.log(`FAULT ${JSON.stringify({ rank, step: stepIndex, name: error.name, code: error.code, message: error.message, elapsedMs, later })}`);
    process.exit(3);
  }
  stepIndex++;
}
console.log(`NOFAULT rank ${rank}`);
dist.destroyProcessGroup();
