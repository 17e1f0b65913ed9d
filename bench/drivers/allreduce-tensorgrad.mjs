// tensorgrad's dist.allReduce (float32, in place, sum; eager, so it returns once complete) for
// each buffer size of bench/drivers/allreduce.c. Rank 0 prints
//   TG {"bytes": 4096, "us": 20.1}
import * as tg from '../../dist/index.js';
import { median, option } from '../../scripts/cli-args.mjs';

const { distributed: dist } = tg;
const MAX = Number(option('max', 64 << 20));
dist.initProcessGroup({ timeoutMs: option('timeout', '120000') === 'Infinity' ? Infinity : Number(option('timeout', '120000')) });
const rank = dist.getRank();
for (let bytes = 4096; bytes <= MAX; bytes *= 4) {
  const t = tg.zeros([bytes / 4]);
  const reps = bytes >= 16 << 20 ? 5 : 15;
  const times = [];
  for (let r = -1; r < reps; r++) {
    dist.barrier();
    const t0 = performance.now();
    dist.allReduce(t);
    if (r >= 0) times.push((performance.now() - t0) * 1000);
  }
  if (rank === 0) console.log(`TG ${JSON.stringify({ bytes, us: median(times) })}`);
}
dist.destroyProcessGroup();
