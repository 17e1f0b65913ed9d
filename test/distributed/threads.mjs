// Prints "THREADS {rank, threads, cores}" after initProcessGroup: a rank that mpirun bound to
// fewer cores than its thread pool has gets a pool of that many threads.
import { availableParallelism } from 'node:os';
import { tg } from './common.mjs';

tg.distributed.initProcessGroup({ timeoutMs: 20_000 });
console.log(`THREADS ${JSON.stringify({ rank: tg.distributed.getRank(), threads: tg.getNumThreads(), cores: availableParallelism() })}`);
tg.distributed.destroyProcessGroup();
