/**
 * ONNX conversions of nn.RNN, nn.LSTM and nn.GRU: one ONNX RNN / LSTM / GRU node per layer
 * (both directions in one node when bidirectional), chained.
 *
 * Layouts: ONNX wants W (dirs, G·H, in), R (dirs, G·H, H) and B (dirs, 2·G·H) = [Wb, Rb],
 * with the gates in its own order: LSTM i, o, f, c where PyTorch has i, f, g, o; GRU z, r, h
 * where PyTorch has r, z, n (and PyTorch's GRU applies the reset gate after the hidden
 * projection: linear_before_reset = 1). The reordered weights are computed once at export,
 * with tensor ops, and stored as initializers named after the layer (lstm.W_l0, ...).
 * ONNX's Y is (T, dirs, B, H); Transpose and Reshape make it PyTorch's (T, B, dirs·H), with
 * T and B copied (Reshape's 0), so both stay dynamic.
 *
 * Unbatched input (T, F) and states (layers·dirs, H) get a batch dimension of 1 for the nodes.
 * Refused: projSize > 0 (ONNX's LSTM has no projection) and packed sequences.
 */
import { cat, stack } from '../../ops.js';
import { ArgumentError } from '../../errors.js';
import { GRU, LSTM, RNN } from '../../nn/rnn.js';
import { PackedSequence } from '../../nn/rnn_utils.js';
import type { Tensor } from '../../tensor.js';
import { attr, type Attribute } from './onnx_proto.js';
import { type OnnxTracer, registerModule, type Sym } from './trace.js';

type Recurrent = RNN | LSTM | GRU;

interface Flavour {
  opType: 'RNN' | 'LSTM' | 'GRU';
  /** PyTorch's gate blocks in ONNX's order. */
  gateOrder: number[];
  attributes(module: Recurrent): Record<string, Attribute>;
}

const FLAVOURS = new Map<unknown, Flavour>([
  [LSTM, { opType: 'LSTM', gateOrder: [0, 3, 1, 2], attributes: () => ({}) }],
  [GRU, { opType: 'GRU', gateOrder: [1, 0, 2], attributes: () => ({ linear_before_reset: attr.int(1) }) }],
  [
    RNN,
    {
      opType: 'RNN',
      gateOrder: [0],
      attributes: (m) => ({ activations: attr.strings(Array<string>(m.directions).fill((m as RNN).nonlinearity === 'relu' ? 'Relu' : 'Tanh')) }),
    },
  ],
]);

function check(module: Recurrent, args: readonly unknown[]): void {
  const name = `nn.${module.constructor.name}`;
  if (module.projSize > 0) throw new ArgumentError(`exportOnnx: ${name} with projSize ${module.projSize} has no ONNX conversion (ONNX's LSTM has no projection)`);
  const input = args[0];
  if (input instanceof PackedSequence) throw new ArgumentError(`exportOnnx: ${name} on a PackedSequence has no ONNX conversion (export it on a padded batch)`);
}

// One layer's weights in ONNX's layout, from PyTorch's, as tensors (computed natively).
function layerWeights(module: Recurrent, flavour: Flavour, layer: number): { w: Tensor; r: Tensor; b: Tensor | null } {
  const params = module as unknown as Record<string, Tensor | undefined>;
  const h = module.hiddenSize;
  const reorder = (t: Tensor): Tensor => cat(flavour.gateOrder.map((g) => t.narrow(0, g * h, h)), 0);
  const dirs = Array.from({ length: module.directions }, (_, d) => `_l${layer}${d === 1 ? '_reverse' : ''}`);
  const w = stack(dirs.map((s) => reorder(params[`weight_ih${s}`]!)), 0);
  const r = stack(dirs.map((s) => reorder(params[`weight_hh${s}`]!)), 0);
  const b = module.bias ? stack(dirs.map((s) => cat([reorder(params[`bias_ih${s}`]!), reorder(params[`bias_hh${s}`]!)], 0)), 0) : null;
  return { w, r, b };
}

function convert(t: OnnxTracer, module: Recurrent, args: readonly unknown[], output: unknown): void {
  const flavour = FLAVOURS.get(module.constructor)!;
  const lstm = flavour.opType === 'LSTM';
  const input = args[0] as Tensor;
  const state = args[1] as Tensor | [Tensor, Tensor] | undefined | null;
  const [h0, c0] = state == null ? [null, null] : Array.isArray(state) ? state : [state, null];
  const [out, finalState] = output as [Tensor, Tensor | [Tensor, Tensor]];
  const [hN, cN] = Array.isArray(finalState) ? finalState : [finalState, null];
  const dirs = module.directions;
  const inSyms = t.syms(input);
  const unbatched = input.ndim === 2;
  const batchFirst = module.batchFirst && !unbatched;
  const stepSym: Sym = inSyms[batchFirst ? 1 : 0] ?? null;
  const batchSym: Sym = unbatched ? null : (inSyms[batchFirst ? 0 : 1] ?? null);
  const axis1 = unbatched ? t.int64s([1]) : '';
  // To (T, B, F) and back; unbatched values have B = 1 in between.
  const batched = (v: string): string => (unbatched ? t.emit1('Unsqueeze', [v, axis1]) : v);
  const unbatch = (v: string): string => (unbatched ? t.emit1('Squeeze', [v, axis1]) : v);

  let x = batched(t.value(input));
  if (batchFirst) x = t.emit1('Transpose', [x], { perm: attr.ints([1, 0, 2]) });
  // Rows [layer·dirs, (layer+1)·dirs) of a given initial state, or '' (ONNX's zeros).
  const initial = (given: Tensor | null, layer: number): string => {
    if (given === null) return '';
    return t.emit1('Slice', [batched(t.value(given)), t.int64s([layer * dirs]), t.int64s([(layer + 1) * dirs]), t.int64s([0])]);
  };
  const finalH: string[] = [];
  const finalC: string[] = [];
  const byTimeBatch = t.int64s([0, 0, -1]);
  for (let layer = 0; layer < module.numLayers; layer++) {
    const { w, r, b } = layerWeights(module, flavour, layer);
    const inputs = [
      x,
      t.derivedInitializer(module, `W_l${layer}`, w),
      t.derivedInitializer(module, `R_l${layer}`, r),
      b === null ? '' : t.derivedInitializer(module, `B_l${layer}`, b),
      '', // sequence_lens: every sequence runs the whole length
      initial(h0, layer),
      ...(lstm ? [initial(c0, layer)] : []),
    ];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const [y, yH, yC] = t.emit(
      flavour.opType,
      inputs,
      { hidden_size: attr.int(module.hiddenSize), direction: attr.string(dirs === 2 ? 'bidirectional' : 'forward'), ...flavour.attributes(module) },
      lstm ? 3 : 2,
    );
    finalH.push(yH!);
    if (yC !== undefined) finalC.push(yC);
    // (T, dirs, B, H) → (T, B, dirs, H) → (T, B, dirs·H)
    x = t.emit1('Reshape', [t.emit1('Transpose', [y!], { perm: attr.ints([0, 2, 1, 3]) }), byTimeBatch]);
  }
  if (batchFirst) x = t.emit1('Transpose', [x], { perm: attr.ints([1, 0, 2]) });
  const outSyms: Sym[] = unbatched ? [stepSym, null] : batchFirst ? [batchSym, stepSym, null] : [stepSym, batchSym, null];
  t.bind(out, unbatch(x), outSyms);
  const joinLayers = (names: string[]): string => unbatch(names.length === 1 ? names[0]! : t.emit1('Concat', names, { axis: attr.int(0) }));
  const stateSyms: Sym[] = unbatched ? [null, null] : [null, batchSym, null];
  t.bind(hN, joinLayers(finalH), stateSyms);
  if (cN !== null) t.bind(cN, joinLayers(finalC), stateSyms);
}

for (const cls of [RNN, LSTM, GRU]) {
  registerModule(cls, { check: check as (m: never, a: readonly unknown[]) => void, convert: convert as (t: OnnxTracer, m: never, a: readonly unknown[], o: unknown) => void });
}
