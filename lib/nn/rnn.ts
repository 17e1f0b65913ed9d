/**
 * Recurrent layers, as torch.nn: RNN, LSTM and GRU (stacked, bidirectional, batchFirst,
 * dropout between layers, LSTM projections, packed sequences, unbatched input) and the cells
 * RNNCell, LSTMCell and GRUCell. Parameters carry PyTorch's names (weight_ih_l0,
 * bias_hh_l1_reverse, weight_hr_l0, ...) and layouts, gates in PyTorch's order (LSTM i, f, g,
 * o; GRU r, z, n), so state dicts move between the two unchanged.
 *
 * Each layer and direction is one native op over the whole sequence (native/ops/rnn.h): the
 * input projection of all steps as one GEMM, per step one GEMM and one fused gate kernel, and
 * the backward likewise; this file only stacks layers and directions and lays the input out.
 */
import { ShapeError } from '../errors.js';
import { zeros } from '../creation.js';
import { native, RnnMode, type RnnModeCode } from '../native.js';
import { cat, indexSelect, stack } from '../ops.js';
import { checkTensor, requireFloat, Tensor } from '../tensor.js';
import { checkBool, checkInt, checkOptions, checkRange, describe, fail } from '../validate.js';
import { dropout } from './functional_norm.js';
import { uniform } from './init.js';
import { Module, pyBool, pyFloat } from './module.js';
import { Parameter } from './parameter.js';
import { PackedSequence } from './rnn_utils.js';

export type RnnNonlinearity = 'tanh' | 'relu';

export interface RNNBaseOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Learn b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are (batch, steps, features) rather than (steps, batch, features) (default false). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Run a second direction from the last step back, and concatenate both (default false). */
  bidirectional?: boolean;
}
export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: RnnNonlinearity;
}
export interface LSTMOptions extends RNNBaseOptions {
  /** The size of a learned projection of h (weight_hr), 0 for none (default); less than hiddenSize. */
  projSize?: number;
}

const GATES: Record<RnnModeCode, number> = { [RnnMode.rnnTanh]: 1, [RnnMode.rnnRelu]: 1, [RnnMode.lstm]: 4, [RnnMode.gru]: 3 };

interface LayerNames {
  wIh: string;
  wHh: string;
  bIh: string;
  bHh: string;
  wHr: string;
}

/** One layer and direction over a packed sequence: [out (N, P), hN (B, P), cN (B, H) or null]. */
function runLayer(
  module: Module<never[], unknown>,
  mode: RnnModeCode,
  names: LayerNames,
  x: Tensor,
  sizes: Int32Array,
  h0: Tensor,
  c0: Tensor | null,
  reverse: boolean,
): [Tensor, Tensor, Tensor | null] {
  const p = module as unknown as Record<string, Parameter | null | undefined>;
  const handle = (name: string): Tensor['_h'] | null => p[name]?._h ?? null;
  const [out, hN, cN] = native.rnnLayer(
    mode,
    x._h,
    sizes,
    h0._h,
    c0?._h ?? null,
    handle(names.wIh)!,
    handle(names.wHh)!,
    handle(names.bIh),
    handle(names.bHh),
    handle(names.wHr),
    reverse,
  );
  return [new Tensor(out), new Tensor(hN), cN === null ? null : new Tensor(cN)];
}

/** PyTorch's init of recurrent layers and cells: every parameter ~ U(-1/√hidden, 1/√hidden), in parameter order. */
export function initUniform(module: Module<never[], unknown>, hiddenSize: number): void {
  const bound = 1 / Math.sqrt(hiddenSize);
  for (const param of module.parameters()) uniform(param, -bound, bound);
}

/** What RNN, LSTM and GRU share: the stack of layers and directions, and the input layouts. */
abstract class RNNBase<State> extends Module<[Tensor | PackedSequence, State?], [Tensor | PackedSequence, State]> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  protected readonly mode: RnnModeCode;
  readonly #names: LayerNames[] = [];

  protected constructor(fn: string, mode: RnnModeCode, inputSize: number, hiddenSize: number, opts: Partial<LSTMOptions>) {
    super();
    this.mode = mode;
    this.inputSize = checkInt(fn, 'inputSize', inputSize, 1);
    this.hiddenSize = checkInt(fn, 'hiddenSize', hiddenSize, 1);
    this.numLayers = checkInt(fn, 'options.numLayers', opts.numLayers ?? 1, 1);
    this.bias = checkBool(fn, 'options.bias', opts.bias ?? true);
    this.batchFirst = checkBool(fn, 'options.batchFirst', opts.batchFirst ?? false);
    this.dropout = checkRange(fn, 'options.dropout', opts.dropout ?? 0, { min: 0, max: 1, what: 'a probability' });
    this.bidirectional = checkBool(fn, 'options.bidirectional', opts.bidirectional ?? false);
    this.projSize = checkInt(fn, 'options.projSize', opts.projSize ?? 0, 0);
    if (this.projSize >= this.hiddenSize) fail(fn, 'options.projSize', `an integer in [0, hiddenSize = ${this.hiddenSize})`, this.projSize);
    const gateSize = GATES[mode] * this.hiddenSize;
    const out = this.outputSize;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < this.directions; dir++) {
        const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? this.inputSize : out * this.directions;
        const names: LayerNames = {
          wIh: `weight_ih${suffix}`,
          wHh: `weight_hh${suffix}`,
          bIh: `bias_ih${suffix}`,
          bHh: `bias_hh${suffix}`,
          wHr: `weight_hr${suffix}`,
        };
        this.registerParameter(names.wIh, new Parameter(zeros([gateSize, layerInput])));
        this.registerParameter(names.wHh, new Parameter(zeros([gateSize, out])));
        if (this.bias) {
          this.registerParameter(names.bIh, new Parameter(zeros([gateSize])));
          this.registerParameter(names.bHh, new Parameter(zeros([gateSize])));
        }
        if (this.projSize > 0) this.registerParameter(names.wHr, new Parameter(zeros([this.projSize, this.hiddenSize])));
        this.#names.push(names);
      }
    }
    this.resetParameters();
  }

  /** 2 for a bidirectional layer, else 1. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The size of h: projSize when there is a projection, else hiddenSize. */
  get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** PyTorch's initialisation: every parameter ~ U(-1/√hiddenSize, 1/√hiddenSize), seeded by manualSeed. */
  resetParameters(): void {
    initUniform(this as unknown as Module<never[], unknown>, this.hiddenSize);
  }

  protected abstract splitState(fn: string, hx: State | undefined): [Tensor | null, Tensor | null];
  protected abstract joinState(h: Tensor, c: Tensor | null): State;

  // Narrows call()'s type to the input's kind; it still goes through Module.call (ONNX export's tracer sees it there).
  override call<I extends Tensor | PackedSequence>(input: I, hx?: State): [I, State] {
    return super.call(input, hx) as [I, State];
  }

  forward<I extends Tensor | PackedSequence>(input: I, hx?: State): [I, State] {
    const fn = this.constructor.name;
    const layout = sequenceLayout(fn, input, this.inputSize, this.batchFirst);
    const [hGiven, cGiven] = this.splitState(fn, hx);
    const stateRows = this.numLayers * this.directions;
    const lstm = this.mode === RnnMode.lstm;
    const h0 = layout.initialState(fn, 'hx', hGiven, [stateRows, this.outputSize]);
    const c0 = lstm ? layout.initialState(fn, 'cx', cGiven, [stateRows, this.hiddenSize]) : null;
    let x = layout.data;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < this.directions; dir++) {
        const k = layer * this.directions + dir;
        const names = this.#names[k]!;
        const [out, hN, cN] = runLayer(this as never, this.mode, names, x, layout.sizes, h0.get(k), c0?.get(k) ?? null, dir === 1);
        outs.push(out);
        hs.push(hN);
        if (cN !== null) cs.push(cN);
      }
      x = outs.length === 1 ? outs[0]! : cat(outs, 1);
      if (layer < this.numLayers - 1 && this.dropout > 0) x = dropout(x, { p: this.dropout, training: this.training });
    }
    const hN = layout.finalState(stack(hs, 0));
    const cN = lstm ? layout.finalState(stack(cs, 0)) : null;
    return [layout.output(x) as I, this.joinState(hN, cN)];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

/** How a call's input is laid out, and how to shape its outputs and states back. */
interface SequenceLayout {
  data: Tensor;
  sizes: Int32Array;
  initialState(fn: string, arg: string, given: Tensor | null, shape: [number, number]): Tensor;
  finalState(state: Tensor): Tensor;
  output(data: Tensor): Tensor | PackedSequence;
}

function sequenceLayout(fn: string, input: Tensor | PackedSequence, inputSize: number, batchFirst: boolean): SequenceLayout {
  const checkFeatures = (size: number): void => {
    if (size !== inputSize) throw new ShapeError(`${fn}: input.size(-1) must be equal to inputSize ${inputSize}, got ${size}`);
  };
  if (input instanceof PackedSequence) {
    requireFloat(fn, input.data, 'input.data');
    if (input.data.ndim !== 2) fail(fn, 'input.data', 'a 2-D tensor (rows, features)', input.data);
    checkFeatures(input.data.shape[1]!);
    const sizes = input.sizes();
    const batch = sizes[0]!;
    return {
      data: input.data,
      sizes,
      initialState: (f, arg, given, [rows, width]) => {
        if (given === null) return zeros([rows, batch, width]);
        checkState(f, arg, given, [rows, batch, width]);
        return input.sortedIndices === null ? given : indexSelect(given, 1, input.sortedIndices);
      },
      finalState: (state) => (input.unsortedIndices === null ? state : indexSelect(state, 1, input.unsortedIndices)),
      output: (data) => input.withData(data),
    };
  }
  checkTensor(fn, 'input', input);
  requireFloat(fn, input);
  if (input.ndim !== 2 && input.ndim !== 3) fail(fn, 'input', 'a 2-D (steps, features) or 3-D batch of sequences', input);
  const unbatched = input.ndim === 2;
  const seq = unbatched ? input.reshape([input.shape[0]!, 1, input.shape[1]!]) : batchFirst ? input.transpose(0, 1) : input;
  const [steps, batch, features] = seq.shape as [number, number, number];
  checkFeatures(features);
  if (steps < 1 || batch < 1) fail(fn, 'input', 'at least one step and one sequence', input);
  return {
    data: seq.reshape([steps * batch, features]),
    sizes: new Int32Array(steps).fill(batch),
    initialState: (f, arg, given, [rows, width]) => {
      if (given === null) return zeros([rows, batch, width]);
      if (unbatched) {
        checkState(f, arg, given, [rows, width]);
        return given.reshape([rows, 1, width]);
      }
      checkState(f, arg, given, [rows, batch, width]);
      return given;
    },
    finalState: (state) => (unbatched ? state.reshape([state.shape[0]!, state.shape[2]!]) : state),
    output: (data) => {
      const width = data.shape[1]!;
      if (unbatched) return data.reshape([steps, width]);
      const out = data.reshape([steps, batch, width]);
      return batchFirst ? out.transpose(0, 1) : out;
    },
  };
}

/** A float32 state tensor of exactly this shape (ShapeError naming arg otherwise). */
export function checkState(fn: string, arg: string, t: Tensor, shape: number[]): void {
  checkTensor(fn, arg, t);
  requireFloat(fn, t, arg);
  if (t.shape.join() !== shape.join()) {
    throw new ShapeError(`${fn}: ${arg} must have shape [${shape.join(', ')}], got ${describe(t.shape)}`);
  }
}

/** Elman RNN: h_t = act(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh), act tanh or relu. call(x, h0?) → [output, hN]. */
export class RNN extends RNNBase<Tensor> {
  readonly nonlinearity: RnnNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions) {
    const opts = checkOptions<RNNOptions>('RNN', options, ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'nonlinearity']);
    const nonlinearity = opts.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') fail('RNN', 'options.nonlinearity', "'tanh' or 'relu'", nonlinearity);
    super('RNN', nonlinearity === 'tanh' ? RnnMode.rnnTanh : RnnMode.rnnRelu, inputSize, hiddenSize, opts);
    this.nonlinearity = nonlinearity;
  }

  protected splitState(fn: string, hx: Tensor | undefined): [Tensor | null, null] {
    if (hx !== undefined && hx !== null) checkTensor(fn, 'hx', hx);
    return [hx ?? null, null];
  }
  protected joinState(h: Tensor): Tensor {
    return h;
  }
}

/** LSTM, gates i, f, g, o: call(x, [h0, c0]?) → [output, [hN, cN]]. */
export class LSTM extends RNNBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options?: LSTMOptions) {
    const opts = checkOptions<LSTMOptions>('LSTM', options, ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'projSize']);
    super('LSTM', RnnMode.lstm, inputSize, hiddenSize, opts);
  }

  protected splitState(fn: string, hx: [Tensor, Tensor] | undefined): [Tensor | null, Tensor | null] {
    if (hx === undefined || hx === null) return [null, null];
    if (!Array.isArray(hx) || hx.length !== 2) fail(fn, 'hx', 'a pair [h0, c0] of tensors', hx);
    return [checkTensor(fn, 'hx[0]', hx[0]), checkTensor(fn, 'hx[1]', hx[1])];
  }
  protected joinState(h: Tensor, c: Tensor | null): [Tensor, Tensor] {
    return [h, c!];
  }
}

/** GRU, gates r, z, n, with n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)): call(x, h0?) → [output, hN]. */
export class GRU extends RNNBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options?: RNNBaseOptions) {
    const opts = checkOptions<RNNBaseOptions>('GRU', options, ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional']);
    super('GRU', RnnMode.gru, inputSize, hiddenSize, opts);
  }

  protected splitState(fn: string, hx: Tensor | undefined): [Tensor | null, null] {
    if (hx !== undefined && hx !== null) checkTensor(fn, 'hx', hx);
    return [hx ?? null, null];
  }
  protected joinState(h: Tensor): Tensor {
    return h;
  }
}
