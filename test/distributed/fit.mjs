// fit with a DistributedDataParallel model on 2 ranks: prints "FIT {...}" per rank with its
// history, what its progress output wrote, and its checkpoint saves.
import { args, model, problem, tg } from './common.mjs';

const { data, nn, optim, train, distributed: dist } = tg;
dist.initProcessGroup({ timeoutMs: 30_000 });
const rank = dist.getRank();
const dataset = problem(256);
const ddp = new nn.parallel.DistributedDataParallel(model());
const loader = new data.DataLoader(dataset, { batchSize: 16, sampler: new data.DistributedSampler(dataset, { seed: 1 }) });
const valLoader = new data.DataLoader(dataset, { batchSize: 64, sampler: new data.DistributedSampler(dataset, { shuffle: false }) });
let printed = '';
const output = { write: (s) => { printed += s; return true; }, isTTY: false };
const saves = [];
const checkpoint = new train.ModelCheckpoint({ path: 'unused.tg', saveBestOnly: false, save: async (state, path) => saves.push(Object.keys(state)) });
const history = await train.fit(ddp, loader, {
  optimizer: new optim.Adam(ddp.parameters(), { lr: 1e-2 }),
  loss: new nn.CrossEntropyLoss(),
  epochs: 3,
  validation: valLoader,
  verbose: true,
  output,
  callbacks: [checkpoint],
});
const summary = { loss: history.loss, valLoss: history.valLoss, metrics: history.metrics };
console.log(`FIT ${JSON.stringify({ rank, history: summary, printed: printed.length, saves, stateKeys: Object.keys(ddp.stateDict()) })}`);
dist.destroyProcessGroup();
