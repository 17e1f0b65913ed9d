/**
 * The plain TypeScript reference of `npm run bench` (driver: bench/drivers/plain.mjs): what a
 * Node developer writes by hand, in pure JS on Float32Arrays, single-threaded. The driver
 * bundles this entry with esbuild; the tests import the modules directly.
 */
export { gemm } from './matmul.js';
export { crossEntropy, Linear, type Model, type Parameter, SGD, seededRandom, trainStep } from './layers.js';
export { Mlp } from './mlp.js';
export { Conv2d, MaxPool2d } from './conv.js';
export { LeNet } from './lenet.js';
