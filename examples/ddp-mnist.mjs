// Data-parallel training across processes: the MNIST MLP of examples/mnist-mlp.mjs, one
// replica per MPI rank, each rank training on its share of every batch and averaging
// gradients with the others during backward.
//   Build the MPI addon once:  npx tensorgrad build-mpi   (in this repository: npm run build:mpi)
//   Run:  mpirun -np 2 node examples/ddp-mnist.mjs [--epochs 3] [--batch 64] [--checkpoint ddp-mnist.tg]
//   (as root add --allow-run-as-root; with more ranks than cores add --oversubscribe; and
//   --bind-to none lets each rank's threads use any core -- see the README, "Distributed training")
// --batch is the global batch: each of N ranks takes batch/N samples per step. The learning
// rate follows the linear scaling rule from a base of 0.05 at batch 64, with a short warm-up.
import { cpus } from 'node:os';
import * as tg from '../dist/index.js';
import { option } from '../scripts/cli-args.mjs';
import { mnistSplits } from './mnist-splits.mjs';

const { nn, optim, data, train, distributed: dist } = tg;
const EPOCHS = Number(option('epochs', 3));
const GLOBAL_BATCH = Number(option('batch', 64));
const CHECKPOINT = option('checkpoint', 'ddp-mnist.tg');

dist.initProcessGroup({ backend: 'mpi', timeoutMs: 120_000 });
const rank = dist.getRank();
const world = dist.getWorldSize();
// Ranks on one machine share its cores: give each its part (Open MPI says how many ranks are here).
const localRanks = Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE ?? 1);
tg.setNumThreads(Math.max(1, Math.floor(cpus().length / localRanks)));
if (GLOBAL_BATCH % world !== 0) throw new Error(`--batch ${GLOBAL_BATCH} must divide by the ${world} ranks`);
const log = (...args) => rank === 0 && console.log(...args);
log(`${world} rank(s) x ${tg.getNumThreads()} thread(s), global batch ${GLOBAL_BATCH} (${GLOBAL_BATCH / world} per rank)`);

// The same split on every rank (seeded), then each rank trains on its DistributedSampler share.
const { trainSet: trainData, valSet: valData, testSet } = mnistSplits();
// fit calls the sampler's setEpoch at every epoch, so each epoch has a new shuffle, the same on every rank.
const trainLoader = new data.DataLoader(trainData, { batchSize: GLOBAL_BATCH / world, sampler: new data.DistributedSampler(trainData, { seed: 0 }) });
const valLoader = new data.DataLoader(valData, { batchSize: 500, sampler: new data.DistributedSampler(valData, { shuffle: false }) });

tg.manualSeed(0); // rank 0's initial weights are broadcast to all by DistributedDataParallel anyway
const model = new nn.parallel.DistributedDataParallel(
  new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(512, 10)),
);
log(model.module.toString());

// Linear scaling rule: lr grows with the global batch; warm up over the first epoch's steps.
const lr = 0.05 * (GLOBAL_BATCH / 64);
const optimizer = new optim.SGD(model.parameters(), { lr, momentum: 0.9, weightDecay: 1e-4 });
const warmupSteps = trainLoader.length;
let step = 0;
const warmup = {
  onBatchEnd() {
    step += 1;
    optimizer.paramGroups[0].lr = lr * Math.min(1, (step + 1) / warmupSteps);
  },
};
optimizer.paramGroups[0].lr = lr / warmupSteps;

const history = await train.fit(model, trainLoader, {
  optimizer,
  loss: new nn.CrossEntropyLoss(),
  epochs: EPOCHS,
  validation: valLoader,
  callbacks: [warmup, new train.ModelCheckpoint({ path: CHECKPOINT, monitor: 'valLoss' })],
});
// Every rank has the same history: the logs are combined across ranks.
log(`val accuracy by epoch: ${history.metrics.valAccuracy.map((a) => (a * 100).toFixed(2)).join('%, ')}%`);

if (rank === 0) {
  const test = await train.evaluate(model.module, new data.DataLoader(testSet, { batchSize: 500 }), { loss: new nn.CrossEntropyLoss() });
  console.log(`test accuracy: ${(test.metrics.accuracy * 100).toFixed(2)}% on ${test.samples} digits; best checkpoint (rank 0): ${CHECKPOINT}`);
}
dist.destroyProcessGroup();
