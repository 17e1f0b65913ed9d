/**
 * tensorgrad: deep learning for Node.js. Tensors, their math and autograd run in a
 * native C++ core; this package is the PyTorch-shaped API over it.
 */
export { ArgumentError, DTypeError, type ErrorCode, IOError, ShapeError, TensorgradError } from './errors.js';
export { type DType, type NestedArray, Tensor } from './tensor.js';
export { arange, full, manualSeed, ones, rand, randn, tensor, type TensorOptions, zeros } from './creation.js';
export { enableGrad, isGradEnabled, noGrad } from './autograd.js';
export { deferred, type DeferredOptions, isDeferred, type QueueStats, queueStats, setMaxQueuedOps, synchronize, synchronizeSync } from './deferred.js';
export { gradcheck, type GradcheckOptions } from './gradcheck.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as train from './train/index.js';
export * as io from './io/index.js';
export * as distributed from './distributed/index.js';
export * as datasets from './io/datasets.js';
export { evaluate, fit, predict } from './train/index.js';
export * as F from './nn/functional.js';
export {
  abs,
  add,
  argmax,
  argmin,
  cat,
  clamp,
  div,
  exp,
  gather,
  identity,
  indexSelect,
  leakyRelu,
  linear,
  type LinearActivation,
  type LinearOptions,
  log,
  logSoftmax,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  narrow,
  neg,
  permute,
  pow,
  relu,
  reshape,
  sigmoid,
  softmax,
  sqrt,
  stack,
  step,
  sub,
  sum,
  tanh,
  transpose,
} from './ops.js';
export {
  chunk,
  type Comparison,
  cumsum,
  eq,
  ge,
  gt,
  le,
  lt,
  maskedFill,
  ne,
  repeat,
  split,
  tril,
  triu,
  where,
} from './sequence.js';
export {
  backendInfo,
  type BackendInfo,
  emptyCache,
  getNumThreads,
  memoryStats,
  type MemoryStats,
  setCacheLimit,
  setNumThreads,
} from './runtime.js';
