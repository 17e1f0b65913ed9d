/**
 * The pieces the plain MLP and LeNet share: a seeded generator, parameters with their
 * gradients, the fully connected layer, ReLU, softmax cross-entropy and SGD with momentum, each
 * written the way PyTorch defines it so the bench compares like with like.
 */
import { gemm } from './matmul.js';

/** A learnable array and its gradient (same length); shape is row-major, PyTorch's layout. */
export interface Parameter {
  readonly shape: readonly number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

/** What the training loop needs of a model. */
export interface Model {
  readonly parameters: readonly Parameter[];
  /** The logits (count×classes) of count inputs; keeps what backward() needs. */
  forward(x: Float32Array, count: number): Float32Array;
  /** From the loss's gradient by the logits of the last forward(), writes every parameter's grad. */
  backward(dLogits: Float32Array, count: number): void;
}

/** Uniform numbers in [0, 1) from mulberry32: small, fast and reproducible from one seed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * PyTorch's default init of Linear and Conv2d: kaiming_uniform with a = √5 gives the weights
 * U(±1/√fanIn), and the bias gets the same bound.
 */
export function defaultInit(weight: Parameter, bias: Parameter, fanIn: number, random: () => number): void {
  const bound = 1 / Math.sqrt(fanIn);
  for (const p of [weight, bias]) for (let i = 0; i < p.value.length; i++) p.value[i] = (2 * random() - 1) * bound;
}

export function parameter(shape: readonly number[]): Parameter {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, value: new Float32Array(size), grad: new Float32Array(size) };
}

/**
 * buffer if it holds exactly size floats, else a new one: layers keep their activations between
 * steps and only reallocate when the batch size changes (the epoch's last, smaller batch).
 */
export function sized(buffer: Float32Array, size: number): Float32Array {
  return buffer.length === size ? buffer : new Float32Array(size);
}

/** y = x·Wᵀ + b: x (count, inFeatures), weight (outFeatures, inFeatures), bias (outFeatures). */
export class Linear {
  readonly weight: Parameter;
  readonly bias: Parameter;
  private input: Float32Array = new Float32Array(0); // the last forward's x, for dW
  private output: Float32Array = new Float32Array(0);
  private inputGrad: Float32Array = new Float32Array(0);

  constructor(readonly inFeatures: number, readonly outFeatures: number, random: () => number) {
    this.weight = parameter([outFeatures, inFeatures]);
    this.bias = parameter([outFeatures]);
    defaultInit(this.weight, this.bias, inFeatures, random);
  }

  /** The output (count, outFeatures); the returned buffer is reused by the next call. */
  forward(x: Float32Array, count: number): Float32Array {
    const { inFeatures: inF, outFeatures: outF } = this;
    this.input = x;
    this.output = sized(this.output, count * outF);
    gemm(false, true, count, outF, inF, x, this.weight.value, this.output);
    const bias = this.bias.value;
    for (let r = 0; r < count; r++) for (let o = 0; o < outF; o++) this.output[r * outF + o]! += bias[o]!;
    return this.output;
  }

  /**
   * Writes dW = dYᵀ·x and db = Σ_rows dY; returns dX = dY·W (count, inFeatures), or null when
   * the caller needs no input gradient (the first layer, whose input is the data).
   */
  backward(dOut: Float32Array, count: number, needInputGrad: boolean): Float32Array | null {
    const { inFeatures: inF, outFeatures: outF } = this;
    gemm(true, false, outF, inF, count, dOut, this.input, this.weight.grad);
    const db = this.bias.grad;
    db.fill(0);
    for (let r = 0; r < count; r++) for (let o = 0; o < outF; o++) db[o]! += dOut[r * outF + o]!;
    if (!needInputGrad) return null;
    this.inputGrad = sized(this.inputGrad, count * inF);
    gemm(false, false, count, inF, outF, dOut, this.weight.value, this.inputGrad);
    return this.inputGrad;
  }
}

/** max(x, 0) in place: the layer before keeps no use for its raw output. */
export function reluInPlace(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) if (x[i]! < 0) x[i] = 0;
}

/** The gradient through ReLU in place: zero where the forward's output was 0 (input ≤ 0). */
export function reluBackwardInPlace(grad: Float32Array, output: Float32Array): void {
  for (let i = 0; i < grad.length; i++) if (output[i]! <= 0) grad[i] = 0;
}

/**
 * Softmax cross-entropy on logits (count, classes), averaged over the batch (PyTorch's
 * CrossEntropyLoss). Returns the loss and writes its gradient by the logits into dLogits:
 * (softmax - onehot(label)) / count.
 */
export function crossEntropy(logits: Float32Array, labels: Int32Array, count: number, classes: number, dLogits: Float32Array): number {
  let loss = 0;
  for (let r = 0; r < count; r++) {
    const row = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]!);
    // Shifted by the row's maximum so exp never overflows.
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
    const label = labels[r]!;
    loss += Math.log(sum) - (logits[row + label]! - max);
    for (let c = 0; c < classes; c++) dLogits[row + c] = (Math.exp(logits[row + c]! - max) / sum - (c === label ? 1 : 0)) / count;
  }
  return loss / count;
}

/** SGD with momentum exactly as torch.optim.SGD (no dampening, no Nesterov): v = μ·v + g; p -= lr·v. */
export class SGD {
  private readonly velocity: Float32Array[];

  constructor(private readonly parameters: readonly Parameter[], readonly lr: number, readonly momentum: number) {
    // Zero velocity makes the first step v = g, which is what PyTorch's first step sets.
    this.velocity = parameters.map((p) => new Float32Array(p.value.length));
  }

  step(): void {
    const { lr, momentum } = this;
    this.parameters.forEach((p, index) => {
      const v = this.velocity[index]!;
      const { value, grad } = p;
      for (let i = 0; i < value.length; i++) {
        v[i] = momentum * v[i]! + grad[i]!;
        value[i]! -= lr * v[i]!;
      }
    });
  }
}

/** One training step on a batch: forward, loss, backward, update. Returns the batch's loss. */
export function trainStep(model: Model, optimizer: SGD, x: Float32Array, labels: Int32Array, count: number, classes: number): number {
  const logits = model.forward(x, count);
  const dLogits = new Float32Array(logits.length);
  const loss = crossEntropy(logits, labels, count, classes, dLogits);
  model.backward(dLogits, count);
  optimizer.step();
  return loss;
}
