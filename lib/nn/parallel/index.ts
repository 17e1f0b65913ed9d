/** nn.parallel (torch.nn.parallel): data-parallel wrappers. */
export { DistributedDataParallel, type DistributedDataParallelOptions } from './distributed.js';
