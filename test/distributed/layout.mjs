// Rank 1 builds a model with a different layout: DistributedDataParallel must throw the same
// TensorgradError on every rank (no hang). Prints "LAYOUT {...}" per rank.
import { tg } from './common.mjs';

const { nn, distributed: dist } = tg;
dist.initProcessGroup({ timeoutMs: 20_000 });
const rank = dist.getRank();
const net = rank === 1 ? new nn.Sequential(new nn.Linear(4, 3), new nn.Linear(3, 2)) : new nn.Sequential(new nn.Linear(4, 5), new nn.Linear(5, 2));
try {
  new nn.parallel.DistributedDataParallel(net);
  console.log(`LAYOUT ${JSON.stringify({ rank, threw: false })}`);
} catch (error) {
  console.log(`LAYOUT ${JSON.stringify({ rank, threw: true, name: error.name, code: error.code, message: error.message })}`);
}
dist.destroyProcessGroup();
