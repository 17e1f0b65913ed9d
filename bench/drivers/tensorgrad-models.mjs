// The benchmark's two models in tensorgrad, shared by its driver and by the runner, which draws
// the initial weights that tensorgrad and PyTorch both start from (harness/shared-start.mjs).
import * as tg from '../../dist/index.js';
import { CLASSES, PIXELS } from './protocol.mjs';

const { nn } = tg;

/** 784 → 512, ReLU, 512 → 10. */
export const mlp = () => new nn.Sequential(new nn.Linear(PIXELS, 512), new nn.ReLU(), new nn.Linear(512, CLASSES));

/** conv 1→16 5x5 pad 2, relu, maxpool 2, conv 16→32 5x5 pad 2, relu, maxpool 2, fc 1568→128, relu, fc 128→10. */
export const lenet = () =>
  new nn.Sequential(
    new nn.Conv2d(1, 16, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(1568, 128), new nn.ReLU(), new nn.Linear(128, CLASSES),
  );

/** The model of a training workload, and the shape of one image as it takes it. */
export function modelFor(workload) {
  if (workload === 'mlp-train') return { model: mlp(), image: [PIXELS] };
  if (workload === 'cnn-train') return { model: lenet(), image: [1, 28, 28] };
  throw new Error(`no model for workload ${workload}`);
}
