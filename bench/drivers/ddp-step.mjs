// One configuration of bench/ddp.mjs: training steps of the MLP (784-512-10) or the LeNet-style
// CNN on random MNIST-shaped data, with the global batch --batch split over the ranks.
//   alone:            node bench/drivers/ddp-step.mjs --model mlp --threads 2
//   under mpirun -np N with --ddp 1: DistributedDataParallel (gradients averaged);
//   with --ddp 0: every rank trains its own replica on batch/N, no communication -- the same
//   contention for the cores, so the difference is what the communication costs.
// Rank 0 prints one line: RESULT {"samplesPerSec", "stepMs", "commMs", "waitedMs", ...}.
import * as tg from '../../dist/index.js';
import { median, option } from '../../scripts/cli-args.mjs';
import { lenet, mlp } from './tensorgrad-models.mjs';

const { nn, optim, distributed: dist } = tg;
const MODEL = option('model', 'mlp');
const BATCH = Number(option('batch', 64));
const STEPS = Number(option('steps', 40));
const ROUNDS = Number(option('rounds', 5));
const DDP = option('ddp', '0') === '1';
const underMpi = process.env.OMPI_COMM_WORLD_SIZE !== undefined;

tg.setNumThreads(Number(option('threads', 1)));
let rank = 0;
let world = 1;
if (underMpi) {
  dist.initProcessGroup({ timeoutMs: 120_000 });
  rank = dist.getRank();
  world = dist.getWorldSize();
}
const perRank = BATCH / world;
tg.manualSeed(rank);
const net = MODEL === 'cnn' ? lenet() : mlp();
const BUCKET_MB = option('bucketMb', undefined);
const model = DDP ? new nn.parallel.DistributedDataParallel(net, BUCKET_MB === undefined ? {} : { bucketCapMb: Number(BUCKET_MB) }) : net;
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const lossFn = new nn.CrossEntropyLoss();
const x = MODEL === 'cnn' ? tg.rand(perRank, 1, 28, 28) : tg.rand(perRank, 784);
const y = tg.tensor(Int32Array.from({ length: perRank }, (_, i) => i % 10));
const step = () => {
  opt.zeroGrad();
  lossFn.call(model.call(x), y).backward();
  opt.step();
};
for (let i = 0; i < 5; i++) step();
const stepMs = [];
const commMs = [];
const waitedMs = [];
for (let r = 0; r < ROUNDS; r++) {
  if (underMpi) {
    dist.barrier();
    dist.commStats({ reset: true });
  }
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  stepMs.push((performance.now() - t0) / STEPS);
  if (DDP) {
    const stats = dist.commStats();
    commMs.push(stats.busyMs / STEPS);
    waitedMs.push(stats.waitedMs / STEPS);
  }
}
const ms = median(stepMs);
if (rank === 0) {
  const result = { model: MODEL, world, threads: tg.getNumThreads(), ddp: DDP, batch: BATCH, stepMs: ms, samplesPerSec: (BATCH / ms) * 1000 };
  if (DDP) Object.assign(result, { commMs: median(commMs), waitedMs: median(waitedMs), buckets: model.bucketSizes.length, bucketCapMb: model.bucketCapMb });
  console.log(`RESULT ${JSON.stringify(result)}`);
}
if (underMpi) dist.destroyProcessGroup();
