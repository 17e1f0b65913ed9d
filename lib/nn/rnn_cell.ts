/**
 * One step of a recurrent layer, as torch.nn: RNNCell, LSTMCell and GRUCell, with parameters
 * weight_ih, weight_hh, bias_ih and bias_hh. Each call is the recurrent layer's native op over
 * a single step (native/ops/rnn.h), so a cell and a layer compute alike.
 */
import { ShapeError } from '../errors.js';
import { zeros } from '../creation.js';
import { native, RnnMode, type RnnModeCode } from '../native.js';
import { checkTensor, requireFloat, Tensor } from '../tensor.js';
import { checkBool, checkInt, checkOptions, fail } from '../validate.js';
import { Module, pyBool } from './module.js';
import { Parameter } from './parameter.js';
import { checkState, initUniform, type RnnNonlinearity } from './rnn.js';

export interface RNNCellOptions {
  /** Learn b_ih and b_hh (default true). */
  bias?: boolean;
}

abstract class RNNCellBase<State> extends Module<[Tensor, State?], State> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  /** (gates·hiddenSize, inputSize) */
  weight_ih: Parameter;
  /** (gates·hiddenSize, hiddenSize) */
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;
  protected readonly mode: RnnModeCode;

  protected constructor(fn: string, mode: RnnModeCode, gates: number, inputSize: number, hiddenSize: number, opts: RNNCellOptions) {
    super();
    this.mode = mode;
    this.inputSize = checkInt(fn, 'inputSize', inputSize, 1);
    this.hiddenSize = checkInt(fn, 'hiddenSize', hiddenSize, 1);
    this.bias = checkBool(fn, 'options.bias', opts.bias ?? true);
    this.weight_ih = new Parameter(zeros([gates * hiddenSize, inputSize]));
    this.weight_hh = new Parameter(zeros([gates * hiddenSize, hiddenSize]));
    this.bias_ih = this.bias ? new Parameter(zeros([gates * hiddenSize])) : null;
    this.bias_hh = this.bias ? new Parameter(zeros([gates * hiddenSize])) : null;
    this.resetParameters();
  }

  /** PyTorch's initialisation: every parameter ~ U(-1/√hiddenSize, 1/√hiddenSize), seeded by manualSeed. */
  resetParameters(): void {
    initUniform(this as unknown as Module<never[], unknown>, this.hiddenSize);
  }

  /** One step: [h', c' (LSTM) or null], from input (batch, inputSize) or (inputSize). */
  protected step(input: Tensor, h: Tensor | null, c: Tensor | null): [Tensor, Tensor | null] {
    const fn = this.constructor.name;
    checkTensor(fn, 'input', input);
    requireFloat(fn, input);
    if (input.ndim !== 1 && input.ndim !== 2) fail(fn, 'input', 'a 1-D (inputSize) or 2-D (batch, inputSize) tensor', input);
    const unbatched = input.ndim === 1;
    const x = unbatched ? input.reshape([1, input.shape[0]!]) : input;
    const [batch, features] = x.shape as [number, number];
    if (features !== this.inputSize) throw new ShapeError(`${fn}: input has ${features} features, expected inputSize ${this.inputSize}`);
    if (batch < 1) fail(fn, 'input', 'at least one row', input);
    const state = (arg: string, t: Tensor | null): Tensor => {
      if (t === null) return zeros([batch, this.hiddenSize]);
      checkState(fn, arg, t, unbatched ? [this.hiddenSize] : [batch, this.hiddenSize]);
      return unbatched ? t.reshape([1, this.hiddenSize]) : t;
    };
    const h0 = state('hx', h);
    const c0 = this.mode === RnnMode.lstm ? state('cx', c) : null;
    const [, hN, cN] = native.rnnLayer(
      this.mode,
      x._h,
      new Int32Array([batch]),
      h0._h,
      c0?._h ?? null,
      this.weight_ih._h,
      this.weight_hh._h,
      this.bias_ih?._h ?? null,
      this.bias_hh?._h ?? null,
      null,
      false,
    );
    const shape = (t: Tensor): Tensor => (unbatched ? t.reshape([this.hiddenSize]) : t);
    return [shape(new Tensor(hN)), cN === null ? null : shape(new Tensor(cN))];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : `, bias=${pyBool(false)}`}`;
  }
}

export interface RNNCellLayerOptions extends RNNCellOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: RnnNonlinearity;
}

/** h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh): call(x, h?) → h'. */
export class RNNCell extends RNNCellBase<Tensor> {
  readonly nonlinearity: RnnNonlinearity;
  constructor(inputSize: number, hiddenSize: number, options?: RNNCellLayerOptions) {
    const opts = checkOptions<RNNCellLayerOptions>('RNNCell', options, ['bias', 'nonlinearity']);
    const nonlinearity = opts.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') fail('RNNCell', 'options.nonlinearity', "'tanh' or 'relu'", nonlinearity);
    super('RNNCell', nonlinearity === 'tanh' ? RnnMode.rnnTanh : RnnMode.rnnRelu, 1, inputSize, hiddenSize, opts);
    this.nonlinearity = nonlinearity;
  }
  forward(input: Tensor, hx?: Tensor): Tensor {
    return this.step(input, hx ?? null, null)[0];
  }
  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === 'tanh' ? '' : `, nonlinearity=${this.nonlinearity}`);
  }
}

/** One LSTM step: call(x, [h, c]?) → [h', c']. */
export class LSTMCell extends RNNCellBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options?: RNNCellOptions) {
    super('LSTMCell', RnnMode.lstm, 4, inputSize, hiddenSize, checkOptions<RNNCellOptions>('LSTMCell', options, ['bias']));
  }
  forward(input: Tensor, hx?: [Tensor, Tensor]): [Tensor, Tensor] {
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2)) fail('LSTMCell', 'hx', 'a pair [h, c] of tensors', hx);
    const [h, c] = this.step(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [h, c!];
  }
}

/** One GRU step: call(x, h?) → h'. */
export class GRUCell extends RNNCellBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options?: RNNCellOptions) {
    super('GRUCell', RnnMode.gru, 3, inputSize, hiddenSize, checkOptions<RNNCellOptions>('GRUCell', options, ['bias']));
  }
  forward(input: Tensor, hx?: Tensor): Tensor {
    return this.step(input, hx ?? null, null)[0];
  }
}
