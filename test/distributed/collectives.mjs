// Every collective on every rank, eager and deferred, polled or blocking; prints "CHECK name ok|<what went wrong>"
// lines for test/distributed.test.ts to read.
import { args, tg } from './common.mjs';

const { distributed: dist } = tg;
// --timeout Infinity: the blocking collectives (no deadline) instead of the polled ones.
const timeout = args().timeout ?? '30000';
dist.initProcessGroup({ timeoutMs: timeout === 'Infinity' ? Infinity : Number(timeout) });
const rank = dist.getRank();
const n = dist.getWorldSize();
const sum = (f) => Array.from({ length: n }, (_, r) => f(r)).reduce((a, b) => a + b, 0);
const results = [];
function check(name, actual, expected) {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  results.push(ok);
  console.log(`CHECK ${name} ${ok ? 'ok' : `got ${JSON.stringify(actual)} expected ${JSON.stringify(expected)}`}`);
}
const values = (t) => Array.from(t.data());

let t = tg.tensor([rank + 1, 2 * (rank + 1)]);
dist.allReduce(t);
check('allReduce sum', values(t), [sum((r) => r + 1), sum((r) => 2 * (r + 1))]);
t = tg.tensor([rank, 4]);
dist.allReduce(t, { op: 'avg' });
check('allReduce avg', values(t), [sum((r) => r) / n, 4]);
t = tg.tensor([rank, -rank]);
dist.allReduce(t, { op: 'max' });
check('allReduce max', values(t), [n - 1, 0]);
t = tg.tensor([rank, -rank]);
dist.allReduce(t, { op: 'min' });
check('allReduce min', values(t), [0, -(n - 1)]);
t = tg.tensor([rank + 1], { dtype: 'int32' });
dist.allReduce(t);
check('allReduce int32', values(t), [sum((r) => r + 1)]);
t = tg.full([3, 4], rank + 7);
dist.broadcast(t, n - 1);
check('broadcast', values(t), Array(12).fill(n - 1 + 7));
const gathered = Array.from({ length: n }, () => tg.zeros([2]));
dist.allGather(gathered, tg.tensor([rank, 10 * rank]));
check('allGather', gathered.map(values), Array.from({ length: n }, (_, r) => [r, 10 * r]));
t = tg.tensor([rank]);
const work = dist.allReduce(t, { op: 'sum', asyncOp: true });
await work.wait();
check('allReduce asyncOp', [values(t), work.isCompleted()], [[sum((r) => r)], true]);
const b = dist.barrier({ asyncOp: true });
await b.wait();
dist.barrier();
check('barrier', true, true);
// Deferred: the collective runs in the stream, after the op that makes its input.
const d = await tg.deferred(() => {
  const x = tg.full([1000], rank + 1).mul(2);
  dist.allReduce(x);
  return x.add(1);
});
check('allReduce deferred', values(d).slice(0, 2), [2 * sum((r) => r + 1) + 1, 2 * sum((r) => r + 1) + 1]);
// A large message (several MB) in one piece.
t = tg.full([1 << 20], 1);
dist.allReduce(t);
check('allReduce 4 MB', values(t).every((v) => v === n), true);
dist.destroyProcessGroup();
console.log(`DONE rank ${rank} ${results.every(Boolean) ? 'pass' : 'fail'}`);
