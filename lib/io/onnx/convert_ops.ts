/**
 * ONNX conversions of the ops that report to the tracer (lib/trace_hook.ts): elementwise
 * math, activations, softmax, matmul and F.linear, reductions, views, joins, and the
 * functional forms behind Conv2d, the pooling layers and batch norm (so a layer and its
 * functional form convert the same way, from the options the op has already resolved).
 *
 * Each converter also says which output dimensions follow a dynamic axis (Sym), so that a
 * Reshape can keep them dynamic: see reshapeNode.
 */
import { full, zeros } from '../../creation.js';
import { ArgumentError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { attr, type Attribute, DataType } from './onnx_proto.js';
import { type OnnxTracer, registerOp, type Sym } from './trace.js';

type Operand = Tensor | number | null | undefined;

const BOOL = 9; // TensorProto.DataType BOOL
const positive = (d: number, ndim: number): number => (d < 0 ? d + ndim : d);
const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

function refuse(op: string, why: string): never {
  throw new ArgumentError(`exportOnnx: ${op} ${why} has no ONNX conversion`);
}

/** Right-aligned broadcast of two operands' symbols: a dimension is symbolic if either side's is. */
function broadcastSyms(a: readonly Sym[], b: readonly Sym[]): Sym[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => a[a.length - n + i] ?? b[b.length - n + i] ?? null);
}

const ACTIVATION_OPS: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

/** The activation of F.linear's and conv2d's epilogue, or of an activation op, applied to value x. */
function activationNode(t: OnnxTracer, x: string, activation: string, negativeSlope: number): string {
  if (activation === 'identity') return x;
  if (activation === 'leakyRelu') return t.emit1('LeakyRelu', [x], { alpha: attr.float(negativeSlope) });
  const opType = ACTIVATION_OPS[activation];
  if (opType === undefined) refuse(activation, 'as an activation');
  return t.emit1(opType, [x]);
}

for (const kind of ['relu', 'sigmoid', 'tanh', 'leakyRelu']) {
  registerOp(kind, (t, [x], out, p) => t.bind(out, activationNode(t, t.value(x!), kind, p.negativeSlope as number), t.syms(x!)));
}

const UNARY: Record<string, string> = { neg: 'Neg', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', abs: 'Abs' };
for (const [kind, opType] of Object.entries(UNARY)) {
  registerOp(kind, (t, [x], out) => t.bind(out, t.emit1(opType, [t.value(x!)]), t.syms(x!)));
}

const BINARY: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', maximum: 'Max', minimum: 'Min' };
for (const [kind, opType] of Object.entries(BINARY)) {
  registerOp(kind, (t, [a, b], out) => {
    t.bind(out, t.emit1(opType, [t.value(a!), t.value(b!)]), broadcastSyms(t.syms(a!), t.syms(b!)));
  });
}

// Comparisons give float32 1/0, as tensorgrad has no bool dtype: the ONNX bool result is cast.
const COMPARE: Record<string, [string, boolean]> = {
  eq: ['Equal', false],
  ne: ['Equal', true],
  lt: ['Less', false],
  le: ['LessOrEqual', false],
  gt: ['Greater', false],
  ge: ['GreaterOrEqual', false],
};
for (const [kind, [opType, negate]] of Object.entries(COMPARE)) {
  registerOp(kind, (t, [a, b], out) => {
    const input = a as Tensor;
    // A number is compared in the input's type (ONNX does not mix types).
    const other = typeof b === 'number' ? t.constant(input.dtype === 'int32' ? Int32Array.of(b) : Float32Array.of(b), [], input.dtype) : t.value(b!);
    const result = t.emit1(opType, [t.value(input), other]);
    const truth = negate ? t.emit1('Not', [result]) : result;
    t.bind(out, t.emit1('Cast', [truth], { to: attr.int(DataType.float32) }), broadcastSyms(t.syms(input), t.syms(b!)));
  });
}

// where(condition, a, b) and maskedFill(input, mask, value) = where(mask, value, input); true is nonzero.
registerOp('where', (t, [condition, a, b], out) => {
  const truth = t.emit1('Cast', [t.value(condition!)], { to: attr.int(BOOL) });
  t.bind(out, t.emit1('Where', [truth, t.value(a!), t.value(b!)]), broadcastSyms(broadcastSyms(t.syms(condition!), t.syms(a!)), t.syms(b!)));
});

for (const kind of ['triu', 'tril']) {
  registerOp(kind, (t, [x], out, p) => {
    if (t.opset < 14) refuse(kind, 'before opset 14 (ONNX added Trilu in 14)');
    const k = t.constant(BigInt64Array.of(BigInt(p.diagonal as number)), [], 'int64');
    t.bind(out, t.emit1('Trilu', [t.value(x!), k], { upper: attr.int(kind === 'triu' ? 1 : 0) }), t.syms(x!));
  });
}

registerOp('alias', (t, [x], out) => t.bind(out, t.value(x!), t.syms(x!)));

for (const [kind, opType] of [['softmax', 'Softmax'], ['logSoftmax', 'LogSoftmax']] as const) {
  // Opset 13's Softmax normalises along one axis, as torch does (before 13 it flattened from axis on).
  registerOp(kind, (t, [x], out, p) => t.bind(out, t.emit1(opType, [t.value(x!)], { axis: attr.int(p.dim as number) }), t.syms(x!)));
}

registerOp('step', (t, [x], out) => {
  const positiveMask = t.emit1('Greater', [t.value(x!), t.value(0)]);
  t.bind(out, t.emit1('Cast', [positiveMask], { to: attr.int(1) }), t.syms(x!));
});

registerOp('clamp', (t, [x], out, p) => {
  const bound = (v: number): string => (Number.isFinite(v) ? t.value(v) : '');
  const inputs = [t.value(x!), bound(p.min as number), bound(p.max as number)];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  t.bind(out, t.emit1('Clip', inputs), t.syms(x!));
});

registerOp('matmul', (t, [a, b], out) => {
  const as = t.syms(a!);
  const bs = t.syms(b!);
  const left = as.length === 1 ? [null, as[0]!] : as;
  const right = bs.length === 1 ? [bs[0]!, null] : bs;
  const syms = [...broadcastSyms(left.slice(0, -2), right.slice(0, -2)), ...(as.length === 1 ? [] : [left.at(-2)!]), ...(bs.length === 1 ? [] : [right.at(-1)!])];
  t.bind(out, t.emit1('MatMul', [t.value(a!), t.value(b!)]), syms);
});

/** x·Wᵀ + b: Gemm (transB) for a 2-D x, else MatMul with the transposed weight and Add. */
function linearNode(t: OnnxTracer, x: Tensor, weight: Tensor, bias: Tensor | null): string {
  const w = t.value(weight);
  if (x.ndim === 2) return t.emit1('Gemm', bias === null ? [t.value(x), w] : [t.value(x), w, t.value(bias)], { transB: attr.int(1) });
  const product = t.emit1('MatMul', [t.value(x), t.emit1('Transpose', [w], { perm: attr.ints([1, 0]) })]);
  return bias === null ? product : t.emit1('Add', [product, t.value(bias)]);
}

registerOp('linear', (t, [x, weight, bias], out, p) => {
  const y = linearNode(t, x as Tensor, weight as Tensor, bias as Tensor | null);
  t.bind(out, activationNode(t, y, p.activation as string, p.negativeSlope as number), [...t.syms(x!).slice(0, -1), null]);
});

// ---- reductions --------------------------------------------------------------------------

/** A Reduce* node over axes (none: every axis), which go as an input or an attribute as the opset wants. */
function reduceValue(t: OnnxTracer, opType: string, value: string, axes: readonly number[], keepdim: boolean): string {
  const inputs = [value];
  const attributes: Record<string, Attribute> = { keepdims: attr.int(keepdim ? 1 : 0) };
  if (axes.length > 0) {
    if (t.axesGoAsInput(opType)) inputs.push(t.int64s(axes));
    else attributes.axes = attr.ints(axes);
  }
  return t.emit1(opType, inputs, attributes);
}

function reduceNode(t: OnnxTracer, opType: string, x: Tensor, dims: readonly number[], keepdim: boolean): { name: string; syms: Sym[] } {
  const axes = dims.map((d) => positive(d, x.ndim));
  const syms = t.syms(x);
  const all = axes.length === 0;
  const kept = keepdim ? syms.map((s, i) => (all || axes.includes(i) ? null : s)) : syms.filter((_, i) => !all && !axes.includes(i));
  return { name: reduceValue(t, opType, t.value(x), axes, keepdim), syms: kept };
}

const REDUCE: Record<string, string> = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin' };
for (const [kind, opType] of Object.entries(REDUCE)) {
  registerOp(kind, (t, [x], out, p) => {
    const r = reduceNode(t, opType, x as Tensor, p.dims as number[], p.keepdim as boolean);
    t.bind(out, r.name, r.syms);
  });
}

// ---- views -------------------------------------------------------------------------------

/**
 * Reshape x to output's shape, keeping dynamic dimensions dynamic. Leading dimensions that
 * keep their size and position are copied (shape entry 0) when they are symbolic; the
 * symbolic dimensions after that prefix must all land in one output entry, which becomes -1
 * (the other entries are fixed sizes). A reshape that spreads a dynamic dimension over
 * several entries cannot stay valid for other sizes and is refused.
 */
export function reshapeNode(t: OnnxTracer, x: Tensor, output: Tensor, target: readonly number[] = output.shape): void {
  const inShape = x.shape;
  const inSyms = t.syms(x);
  const outShape = output.shape;
  const shape = [...outShape];
  const syms: Sym[] = outShape.map(() => null);
  let k = 0;
  for (; k < outShape.length && k < inShape.length && outShape[k] === inShape[k]; k++) {
    if (inSyms[k] !== null) [shape[k], syms[k]] = [0, inSyms[k]!];
  }
  const restSyms = inSyms.slice(k).filter((s) => s !== null);
  if (restSyms.length > 0) {
    const dynamicSize = product(inShape.slice(k).filter((_, i) => inSyms[k + i] !== null));
    let j = target.indexOf(-1, k);
    if (j < 0) j = outShape.findIndex((d, i) => i >= k && d % dynamicSize === 0);
    if (j < 0) {
      throw new ArgumentError(
        `exportOnnx: reshape from [${inShape.join(', ')}] to [${target.join(', ')}] cannot keep dimension(s) ${restSyms.join(', ')} dynamic ` +
          '(their sizes must end up in one dimension of the result); leave them out of dynamicAxes or reshape differently',
      );
    }
    shape[j] = -1;
    syms[j] = restSyms.length === 1 && outShape[j] === dynamicSize ? restSyms[0]! : t.derived(restSyms);
  }
  t.bind(output, t.emit1('Reshape', [t.value(x), t.int64s(shape)]), syms);
}

registerOp('reshape', (t, [x], out, p) => reshapeNode(t, x as Tensor, out, p.shape as number[]));

function transposeNode(t: OnnxTracer, x: Tensor, out: Tensor, perm: readonly number[]): void {
  const syms = t.syms(x);
  t.bind(out, t.emit1('Transpose', [t.value(x)], { perm: attr.ints(perm) }), perm.map((d) => syms[d] ?? null));
}

registerOp('transpose', (t, [x], out, p) => {
  const n = (x as Tensor).ndim;
  const perm = Array.from({ length: n }, (_, i) => i);
  const [a, b] = [positive(p.dim0 as number, n), positive(p.dim1 as number, n)];
  [perm[a], perm[b]] = [perm[b]!, perm[a]!];
  transposeNode(t, x as Tensor, out, perm);
});

registerOp('permute', (t, [x], out, p) => {
  const n = (x as Tensor).ndim;
  transposeNode(t, x as Tensor, out, (p.dims as number[]).map((d) => positive(d, n)));
});

registerOp('select', (t, [x], out, p) => {
  const index = t.constant(BigInt64Array.of(BigInt(p.index as number)), [], 'int64');
  t.bind(out, t.emit1('Gather', [t.value(x!), index], { axis: attr.int(0) }), t.syms(x!).slice(1));
});

registerOp('narrow', (t, [x], out, p) => {
  const input = x as Tensor;
  const dim = positive(p.dim as number, input.ndim);
  const start = positive(p.start as number, input.shape[dim]!);
  const inputs = [t.value(input), t.int64s([start]), t.int64s([start + (p.length as number)]), t.int64s([dim])];
  t.bind(out, t.emit1('Slice', inputs), t.syms(input).map((s, i) => (i === dim ? null : s)));
});

/** The symbols of tensors joined along axis: shared dimensions as the first's, the joined one derived. */
function joinedSyms(t: OnnxTracer, list: readonly Tensor[], axis: number, rank: number): Sym[] {
  const all = list.map((x) => t.syms(x));
  return Array.from({ length: rank }, (_, i) => (i === axis ? t.derived(all.map((s) => s[i] ?? null)) : (all.find((s) => s[i] != null)?.[i] ?? null)));
}

// Rows of the weight at int32 indices: Gather on axis 0 (ONNX takes int32 indices as they are).
registerOp('embedding', (t, [indices, weight], out, p) => {
  if (p.maxNorm !== null) {
    throw new ArgumentError('exportOnnx: an embedding with maxNorm renormalises its weight rows in place at each call, which ONNX cannot express (export with maxNorm null)');
  }
  t.bind(out, t.emit1('Gather', [t.value(weight!), t.value(indices!)], { axis: attr.int(0) }), [...t.syms(indices!), null]);
});

registerOp('cat', (t, list, out, p) => {
  const tensors = list as Tensor[];
  const axis = positive(p.dim as number, out.ndim);
  t.bind(out, t.emit1('Concat', tensors.map((x) => t.value(x)), { axis: attr.int(axis) }), joinedSyms(t, tensors, axis, out.ndim));
});

registerOp('stack', (t, list, out, p) => {
  const tensors = list as Tensor[];
  const axis = positive(p.dim as number, out.ndim);
  const axes = t.int64s([axis]);
  const parts = tensors.map((x) => t.emit1('Unsqueeze', [t.value(x), axes]));
  const syms = t.syms(tensors[0]!);
  syms.splice(axis, 0, null);
  t.bind(out, t.emit1('Concat', parts, { axis: attr.int(axis) }), syms);
});

// ---- convolution, pooling, normalisation ---------------------------------------------------

/** Symbols of an (N, C, H, W) result whose H and W are computed from the input's. */
function spatialSyms(t: OnnxTracer, x: Tensor): Sym[] {
  const s = t.syms(x);
  return [s[0] ?? null, null, t.derived([s[2] ?? null]), t.derived([s[3] ?? null])];
}

registerOp('conv2d', (t, [x, weight, bias], out, p) => {
  const w = weight as Tensor;
  const [top, bottom, left, right] = p.padding as number[];
  const inputs = [t.value(x!), t.value(w), ...(bias === null ? [] : [t.value(bias!)])];
  const conv = t.emit1('Conv', inputs, {
    kernel_shape: attr.ints(w.shape.slice(2)),
    strides: attr.ints(p.stride as number[]),
    pads: attr.ints([top!, left!, bottom!, right!]),
    dilations: attr.ints(p.dilation as number[]),
    group: attr.int(p.groups as number),
  });
  t.bind(out, activationNode(t, conv, p.activation as string, p.negativeSlope as number), spatialSyms(t, x as Tensor));
});

/**
 * A pooling node over x, (N, C, H, W) or unbatched (C, H, W): ONNX pools 4-D input only, so
 * an unbatched one gets a batch dimension of 1 for the node and loses it after.
 */
function poolNode(t: OnnxTracer, x: Tensor, out: Tensor, opType: string, attributes: Record<string, Attribute>, spatial: Sym[]): void {
  const unbatched = x.ndim === 3;
  const batchAxis = unbatched ? t.int64s([0]) : '';
  const input = unbatched ? t.emit1('Unsqueeze', [t.value(x), batchAxis]) : t.value(x);
  const pooled = t.emit1(opType, [input], attributes);
  const syms = t.syms(x);
  const leading = unbatched ? [null] : [syms[0] ?? null, null];
  t.bind(out, unbatched ? t.emit1('Squeeze', [pooled, batchAxis]) : pooled, [...leading, ...spatial]);
}

// The symbols of a pool's H and W, computed from the input's.
function pooledSyms(t: OnnxTracer, x: Tensor): Sym[] {
  return t.syms(x).slice(-2).map((s) => t.derived([s]));
}

// ONNX's output-size rule for ceil_mode lacks PyTorch's last step (a last window that would
// start in the right padding is dropped): where that step applies, the shapes would disagree.
function windowAttributes(op: string, x: Tensor, out: Tensor, p: Record<string, unknown>): Record<string, Attribute> {
  const [pH, pW] = p.padding as number[];
  const size = x.shape.slice(-2);
  if (p.ceilMode) {
    const dilation = (p.dilation as number[] | undefined) ?? [1, 1];
    for (let i = 0; i < 2; i++) {
      const [n, k, s, pad] = [size[i]!, (p.kernel as number[])[i]!, (p.stride as number[])[i]!, (p.padding as number[])[i]!];
      const onnxSize = Math.ceil((n + 2 * pad - dilation[i]! * (k - 1) - 1) / s) + 1;
      if (onnxSize !== out.shape.at(i - 2)) refuse(op, `with ceilMode where the last window would start in the padding (input ${size.join('x')})`);
    }
  }
  return {
    kernel_shape: attr.ints(p.kernel as number[]),
    strides: attr.ints(p.stride as number[]),
    pads: attr.ints([pH!, pW!, pH!, pW!]),
    ceil_mode: attr.int(p.ceilMode ? 1 : 0),
  };
}

registerOp('maxPool2d', (t, [x], out, p) => {
  const input = x as Tensor;
  const attributes = { ...windowAttributes('maxPool2d', input, out, p), dilations: attr.ints(p.dilation as number[]) };
  poolNode(t, input, out, 'MaxPool', attributes, pooledSyms(t, input));
});

registerOp('avgPool2d', (t, [x], out, p) => {
  const input = x as Tensor;
  if ((p.divisor as number) > 0) refuse('avgPool2d', 'with divisorOverride');
  const attributes = { ...windowAttributes('avgPool2d', input, out, p), count_include_pad: attr.int(p.countIncludePad ? 1 : 0) };
  poolNode(t, input, out, 'AveragePool', attributes, pooledSyms(t, input));
});

registerOp('adaptiveAvgPool2d', (t, [x], out, p) => {
  const input = x as Tensor;
  const [oh, ow] = p.outputSize as [number, number];
  const [h, w] = input.shape.slice(-2) as [number, number];
  if (oh === 1 && ow === 1) return poolNode(t, input, out, 'GlobalAveragePool', {}, [null, null]);
  if (h % oh !== 0 || w % ow !== 0) refuse('adaptiveAvgPool2d', `from ${h}x${w} to ${oh}x${ow} (only a 1x1 output, or sizes that divide the input's, convert)`);
  const kernel = [h / oh, w / ow];
  poolNode(t, input, out, 'AveragePool', { kernel_shape: attr.ints(kernel), strides: attr.ints(kernel) }, [null, null]);
});

registerOp('batchNorm', (t, [x, weight, bias, mean, variance], out, p) => {
  const input = x as Tensor;
  const channels = input.shape[1]!;
  const scale = t.value((weight as Tensor | null) ?? full([channels], 1));
  const shift = t.value((bias as Tensor | null) ?? zeros([channels]));
  const eps = p.eps as number;
  if (!p.training) {
    const inputs = [t.value(input), scale, shift, t.value(mean as Tensor), t.value(variance as Tensor)];
    t.bind(out, t.emit1('BatchNormalization', inputs, { epsilon: attr.float(eps) }), t.syms(input));
    return;
  }
  // Batch statistics (trackRunningStats false keeps using them in eval): per channel over
  // every other dimension, with the biased variance, as the native kernel normalises.
  const axes = Array.from({ length: input.ndim }, (_, i) => i).filter((i) => i !== 1);
  const reduceMean = (v: string): string => reduceValue(t, 'ReduceMean', v, axes, true);
  const centred = t.emit1('Sub', [t.value(input), reduceMean(t.value(input))]);
  const varianceOfBatch = reduceMean(t.emit1('Mul', [centred, centred]));
  const normalised = t.emit1('Div', [centred, t.emit1('Sqrt', [t.emit1('Add', [varianceOfBatch, t.value(eps)])])]);
  const perChannel = t.int64s([channels, ...Array<number>(input.ndim - 2).fill(1)]);
  const scaled = t.emit1('Mul', [normalised, t.emit1('Reshape', [scale, perChannel])]);
  t.bind(out, t.emit1('Add', [scaled, t.emit1('Reshape', [shift, perChannel])]), t.syms(input));
});
