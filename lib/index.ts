/**
 * tensorgrad: deep learning for Node.js. Tensors, their math and (soon) autograd run in a
 * native C++ core; this package is the PyTorch-shaped API over it.
 */
export { ArgumentError, DTypeError, type ErrorCode, IOError, ShapeError, TensorgradError } from './errors.js';
export { type DType, type NestedArray, Tensor } from './tensor.js';
export { arange, full, manualSeed, ones, rand, randn, tensor, type TensorOptions, zeros } from './creation.js';
export {
  abs,
  add,
  argmax,
  argmin,
  clamp,
  div,
  exp,
  linear,
  type LinearActivation,
  type LinearOptions,
  log,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  permute,
  pow,
  reshape,
  sqrt,
  sub,
  sum,
  transpose,
} from './ops.js';
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
