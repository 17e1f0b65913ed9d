// DistributedDataParallel broadcasts batch norm's buffers from rank 0: at construction, and
// before each training forward (broadcastBuffers). Prints "BUFFERS {...}" per rank.
import { tg } from './common.mjs';

const { nn, distributed: dist } = tg;
dist.initProcessGroup({ timeoutMs: 20_000 });
const rank = dist.getRank();
const net = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
const bn = net.children()[1];
const setMean = (v) => tg.noGrad(() => bn.runningMean.fill_(v));
if (rank === 1) setMean(5);
const ddp = new nn.parallel.DistributedDataParallel(net);
const afterConstruction = Array.from(bn.runningMean.data());
// Rank 1 drifts again; the next training forward starts from rank 0's value (0), so its
// running mean is 0.9 * 0 + 0.1 * (batch mean), not 0.9 * 7 + ...
if (rank === 1) setMean(7);
tg.manualSeed(rank);
ddp.call(tg.randn([8, 3]));
const afterForward = Array.from(bn.runningMean.data());
console.log(`BUFFERS ${JSON.stringify({ rank, afterConstruction, afterForward })}`);
dist.destroyProcessGroup();
