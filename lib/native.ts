/**
 * The one typed interface to the C++ addon. Everything in lib/ reaches native code through
 * the `native` object exported here; nothing else loads the addon.
 */
import { type AddonSource, loadAddon } from './addon.js';
import { ArgumentError, DTypeError, IOError, ShapeError, TensorgradError } from './errors.js';
import type { QueueStats } from './deferred.js';

/** An opaque handle to a native tensor; only lib/ touches it. */
export type Handle = { readonly __tensorHandle: unique symbol };

export interface BackendInfo {
  /** The kernel ISA in use: 'avx512', 'avx2' or 'ref' (portable C++). */
  isa: 'avx512' | 'avx2' | 'ref';
  /** True when TENSORGRAD_ISA asked for an ISA this CPU cannot run (the best one is used). */
  isaOverrideIgnored: boolean;
  cpu: { sse2: boolean; avx2: boolean; fma: boolean; avx512f: boolean; neon: boolean };
  numThreads: number;
  /** How the loaded binary was built. */
  build: { compiler: string; arch: string; kernels: string[]; cxxRuntime?: string };
}

export interface MemoryStats {
  /** Bytes of tensor memory in use in the whole process (rounded up to size classes). */
  bytesInUse: number;
  peakBytesInUse: number;
  /** Freed bytes kept by the caching allocator for reuse. */
  bytesCached: number;
  cacheLimit: number;
  allocations: number;
  cacheHits: number;
  /** Bytes owned by tensors of this thread (main thread or worker), as reported to V8. */
  envLiveBytes: number;
}

export interface NativeBinding {
  fromTypedArray(data: Float32Array | Int32Array, shape: number[], copy: boolean): Handle;
  full(shape: number[], value: number, dtype: string): Handle;
  arange(start: number, end: number, step: number, dtype: string): Handle;
  rand(shape: number[]): Handle;
  randn(shape: number[]): Handle;
  manualSeed(seed: number): void;
  meta(h: Handle): [number[], number[], 'float32' | 'int32', number];
  data(h: Handle): Float32Array | Int32Array;
  item(h: Handle): number;
  version(h: Handle): number;
  dispose(h: Handle): void;
  reshape(h: Handle, shape: number[]): Handle;
  view(h: Handle, shape: number[]): Handle;
  transpose(h: Handle, dim0: number, dim1: number): Handle;
  permute(h: Handle, dims: number[]): Handle;
  slice(h: Handle, start: number, end: number, step: number): Handle;
  select(h: Handle, index: number): Handle;
  contiguous(h: Handle): Handle;
  clone(h: Handle): Handle;
  toDType(h: Handle, dtype: string): Handle;
  unary(op: number, h: Handle): Handle;
  binary(op: number, a: Handle, b: Handle): Handle;
  binaryScalar(op: number, a: Handle, b: number, scalarFirst: boolean): Handle;
  clamp(h: Handle, min: number, max: number): Handle;
  reduce(op: number, h: Handle, dims: number[], keepdim: boolean): Handle;
  mean(h: Handle, dims: number[], keepdim: boolean): Handle;
  argExtreme(isMax: boolean, h: Handle, dim: number | null, keepdim: boolean): Handle;
  matmul(a: Handle, b: Handle): Handle;
  linear(x: Handle, weight: Handle, bias: Handle | null, activation: number, negativeSlope: number): Handle;
  conv2d(
    x: Handle,
    weight: Handle,
    bias: Handle | null,
    stride: [number, number],
    padding: [number, number, number, number] /* top, bottom, left, right */,
    dilation: [number, number],
    groups: number,
    activation: number,
    negativeSlope: number,
  ): Handle;
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, flag: boolean): void;
  isLeaf(h: Handle): boolean;
  grad(h: Handle): Handle | null;
  hasGrad(h: Handle): boolean;
  setGrad(h: Handle, grad: Handle | null): void;
  gradFn(h: Handle): string | null;
  /** onGradReady(readyId): called during the walk as each leaf with a ready id gets its last gradient. */
  backward(h: Handle, gradient: Handle | null, retainGraph: boolean, onGradReady?: (readyId: number) => void): void;
  /** The id backward's onGradReady reports for this leaf (-1: none). */
  setGradReadyId(h: Handle, readyId: number): void;
  /**
   * Runs another addon's native operation (native/runtime/external_op.h; the MPI addon's
   * collectives) on the tensors' memory at this point of the stream: now in eager mode,
   * queued in order in deferred mode.
   */
  callExternal(op: object, arg: number, tensors: Handle[]): void;
  detach(h: Handle): Handle;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  cat(tensors: Handle[], dim: number): Handle;
  stack(tensors: Handle[], dim: number): Handle;
  narrow(h: Handle, dim: number, start: number, length: number): Handle;
  expand(h: Handle, shape: number[]): Handle;
  gather(h: Handle, dim: number, index: Handle): Handle;
  indexSelect(h: Handle, dim: number, index: Handle): Handle;
  /** index_select on a libuv worker thread, without autograd (DataLoader prefetch). */
  indexSelectAsync(h: Handle, dim: number, index: Handle): Promise<Handle>;
  // Deferred execution (native/binding/deferred_exports.cc).
  deferredEnter(cancellable: boolean): number;
  deferredExit(): void;
  deferredCancel(token: number): boolean;
  deferredRelease(token: number): void;
  isDeferring(): boolean;
  lastTicket(): number;
  synchronize(): void;
  synchronizeAsync(ticket?: number): Promise<void>;
  readyAsync(h: Handle): Promise<void>;
  waitFor(h: Handle): void;
  ownedBatch(h: Handle): Handle;
  queueInfo(): QueueStats;
  setQueueCapacity(n: number): void;
  // Shared weights (native/binding/shared_exports.cc).
  storageInfo(h: Handle): [number, number];
  rebindStorage(h: Handle, array: Float32Array | Int32Array, copy: boolean): void;
  sharedArrayOf(h: Handle): [Float32Array | Int32Array, number] | null;
  sharedLock(lock: Handle): void;
  sharedUnlock(lock: Handle): void;
  copyShared(lock: Handle, sources: Handle[], destinations: Handle[]): void;
  // Sequence and attention ops (native/binding/sequence_exports.cc).
  compare(op: number, a: Handle, b: Handle): Handle;
  compareScalar(op: number, a: Handle, b: number): Handle;
  where(condition: Handle, input: Handle, other: Handle): Handle;
  /** value: a 0-D tensor of the input's dtype. */
  maskedFill(input: Handle, mask: Handle, value: Handle): Handle;
  maskedFill_(input: Handle, mask: Handle, value: Handle): void;
  triangle(h: Handle, diagonal: number, upper: boolean): Handle;
  cumsum(h: Handle, dim: number): Handle;
  repeat(h: Handle, sizes: number[]): Handle;
  /** paddingIdx: already normalised to [0, numEmbeddings), or -1 for none. */
  embedding(weight: Handle, input: Handle, paddingIdx: number, scaleGradByFreq: boolean): Handle;
  embeddingRenorm_(weight: Handle, input: Handle, maxNorm: number, normType: number): void;
  activate(h: Handle, activation: number, negativeSlope: number): Handle;
  step(h: Handle): Handle;
  softmax(h: Handle, dim: number, log: boolean): Handle;
  pointwiseLoss(kind: number, input: Handle, target: Handle, weight: Handle | null, posWeight: Handle | null, reduction: number): Handle;
  crossEntropy(input: Handle, target: Handle, weight: Handle | null, ignoreIndex: number, labelSmoothing: number, reduction: number): Handle;
  nllLoss(input: Handle, target: Handle, weight: Handle | null, ignoreIndex: number, reduction: number): Handle;
  batchNorm(
    x: Handle,
    weight: Handle | null,
    bias: Handle | null,
    runningMean: Handle | null,
    runningVar: Handle | null,
    training: boolean,
    momentum: number,
    eps: number,
  ): Handle;
  dropout(x: Handle, p: number, channelwise: boolean): Handle;
  maxPool2d(x: Handle, kernel: [number, number], stride: [number, number], padding: [number, number], dilation: [number, number], ceilMode: boolean): Handle;
  /** divisorOverride: 0 for none. */
  avgPool2d(
    x: Handle,
    kernel: [number, number],
    stride: [number, number],
    padding: [number, number],
    ceilMode: boolean,
    countIncludePad: boolean,
    divisorOverride: number,
  ): Handle;
  adaptiveAvgPool2d(x: Handle, outputSize: [number, number]): Handle;
  /** One recurrent layer and direction over a packed sequence (native/ops/rnn.h): [out, hN, cN (LSTM) or null]. */
  rnnLayer(
    mode: RnnModeCode,
    x: Handle,
    batchSizes: Int32Array,
    h0: Handle,
    c0: Handle | null,
    weightIh: Handle,
    weightHh: Handle,
    biasIh: Handle | null,
    biasHh: Handle | null,
    weightHr: Handle | null,
    reverse: boolean,
  ): [Handle, Handle, Handle | null];
  fill_(h: Handle, value: number): void;
  copy_(dst: Handle, src: Handle): void;
  uniform_(h: Handle, a: number, b: number): void;
  normal_(h: Handle, mean: number, std: number): void;
  optimizerStep(kind: OptimizerKind, params: Handle[], states: (Handle | null)[], hyper: Float64Array): void;
  /** The total norm, as a 0-D float32 tensor. */
  clipGradNorm(params: Handle[], maxNorm: number, normType: number, errorIfNonfinite: boolean): Handle;
  clipGradValue(params: Handle[], clipValue: number): void;
  backendInfo(): BackendInfo;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  memoryStats(): MemoryStats;
  emptyCache(): void;
  setCacheLimit(bytes: number): void;
  setErrorClasses(classes: Record<string, unknown>): void;
  // File formats (native/binding/io_exports.cc).
  /**
   * Converts src's whole little-endian elements of sourceType into dst from dstOffset on
   * (a Float32Array for F16/BF16/F64, an Int32Array for the integer types); returns the index
   * of the first element out of the target's range (nothing from it on is written), or -1.
   */
  convertElements(src: Uint8Array, sourceType: SourceTypeCode, dst: Float32Array | Int32Array, dstOffset: number): number;
}

/** Op codes shared with native/kernels (UnaryOp, BinaryOp, ReduceOp): keep the order. */
export const UnaryOp = { neg: 0, exp: 1, log: 2, sqrt: 3, abs: 4 } as const;
export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6 } as const;
export const ReduceOp = { sum: 0, max: 1, min: 2 } as const;
/** native/ops/ops.h: CompareOp. */
export const CompareOp = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 } as const;
/** Activations the GEMM epilogue fuses (native/kernels/activation.h: Activation). */
export const Activation = { identity: 0, relu: 1, leakyRelu: 2, sigmoid: 3, tanh: 4 } as const;
/** native/ops/nn.h: Reduction and PointwiseLossKind. */
export const Reduction = { none: 0, mean: 1, sum: 2 } as const;
export const PointwiseLoss = { mse: 0, l1: 1, bce: 2, bceWithLogits: 3 } as const;
/** native/ops/rnn.h: RnnMode. */
export const RnnMode = { rnnTanh: 0, rnnRelu: 1, lstm: 2, gru: 3 } as const;
export type RnnModeCode = (typeof RnnMode)[keyof typeof RnnMode];
/** native/kernels/optim.h: the fused update each optimizer runs. */
export const OptimizerKinds = { sgd: 0, adagrad: 1, rmsprop: 2, adam: 3, adamw: 4 } as const;
export type OptimizerKind = (typeof OptimizerKinds)[keyof typeof OptimizerKinds];
/** native/kernels/dtype_convert.h: SourceType, the element types convertElements reads. */
export const SourceType = { f16: 0, bf16: 1, f64: 2, i64: 3, i8: 4, u8: 5, i16: 6, u16: 7, u32: 8, u64: 9, bool: 10 } as const;
export type SourceTypeCode = (typeof SourceType)[keyof typeof SourceType];

const loaded = loadAddon();

/** Where the addon was loaded from (`npx tensorgrad info` prints it). */
export const addonLocation: { source: AddonSource; path: string } = { source: loaded.source, path: loaded.path };

export const native = loaded.binding as NativeBinding;
native.setErrorClasses({ TensorgradError, ShapeError, DTypeError, ArgumentError, IOError });
