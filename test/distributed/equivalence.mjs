// Trains the common model for --steps steps with global batch --batch, and writes its final
// parameters (rank 0) to --out as JSON. Under mpirun each of the N ranks takes batch/N samples
// of every global batch through a DistributedSampler without shuffle and averages gradients
// with DistributedDataParallel; alone (--mode single) one process takes the whole batch.
// --optim sgd (with momentum) or adam; --deferred 1 runs every step in tg.deferred. The JSON
// also names each rank's host (scripts/mpi-two-hosts.sh checks they differ).
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { args, model, problem, tg } from './common.mjs';

const a = args();
const steps = Number(a.steps ?? 50);
const batch = Number(a.batch ?? 16);
const single = a.mode === 'single';
const { data, nn, optim, distributed: dist } = tg;

let rank = 0;
let world = 1;
if (!single) {
  dist.initProcessGroup({ timeoutMs: 60_000 });
  rank = dist.getRank();
  world = dist.getWorldSize();
}
const dataset = problem(steps * batch);
const net = model();
// A different start on the other ranks: DDP must broadcast rank 0's weights.
if (rank !== 0) tg.noGrad(() => net.parameters().forEach((p) => p.fill_(0.5)));
const trained = single ? net : new nn.parallel.DistributedDataParallel(net, { bucketCapMb: Number(a.bucketMb ?? 0.001) });
const params = trained.parameters();
const opt = a.optim === 'adam' ? new optim.Adam(params, { lr: 1e-2 }) : new optim.SGD(params, { lr: 0.05, momentum: 0.9 });
const sampler = single ? undefined : new data.DistributedSampler(dataset, { shuffle: false });
const loader = new data.DataLoader(dataset, { batchSize: batch / world, sampler });
const lossFn = new nn.CrossEntropyLoss();

function step(x, y) {
  opt.zeroGrad();
  const loss = lossFn.call(trained.call(x), y);
  loss.backward();
  opt.step();
}
for (const [x, y] of loader) {
  if (a.deferred === '1') await tg.deferred(() => step(x, y));
  else step(x, y);
}
// Every rank's hostname, gathered as 64 bytes each.
function hosts() {
  if (single) return [hostname()];
  const name = Int32Array.from(Buffer.from(hostname().padEnd(64, '\0').slice(0, 64)));
  const all = Array.from({ length: world }, () => tg.zeros([64], { dtype: 'int32' }));
  dist.allGather(all, tg.Tensor.from(name, [64]));
  return all.map((t) => Buffer.from(Uint8Array.from(t.data())).toString().replace(/\0+$/, ''));
}
const ranHosts = hosts();
if (rank === 0) {
  const out = Object.fromEntries(net.namedParameters().map(([name, p]) => [name, Array.from(p.data())]));
  writeFileSync(a.out, JSON.stringify({ world, hosts: ranHosts, buckets: single ? null : trained.bucketSizes, params: out }));
}
if (!single) dist.destroyProcessGroup();
