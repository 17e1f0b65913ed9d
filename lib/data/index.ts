/** Datasets and batching (torch.utils.data): `import { data } from 'tensorgrad'`. */
export { type Dataset, type RandomSplitOptions, randomSplit, Subset, TensorDataset } from './dataset.js';
export { DataLoader, type DataLoaderOptions, type Sampler } from './dataloader.js';
export { DistributedSampler, type DistributedSamplerOptions } from './distributed_sampler.js';
export { defaultCollate } from './collate.js';
export { flatten, Normalize, type NormalizeFitOptions, oneHot } from './transforms.js';
