/**
 * exportOnnx: a model to an ONNX file, shaped like torch.onnx.export. The graph is captured by
 * tracing one forward call on the example input (trace.ts says why and what that freezes),
 * in eval mode and without autograd, then encoded with our own protobuf writer.
 *
 * Names: the graph's inputs are `input` (`input0`, `input1`, ... for several) and its outputs
 * `output` (`output0`, ...), unless inputNames / outputNames say otherwise; parameters and
 * buffers are initializers under their state-dict keys. dynamicAxes marks dimensions as
 * symbolic (dim_param): `{ input: [0] }` names the dimension `input_dim0`, `{ input: { 0:
 * 'batch' } }` names it `batch`. Symbolic input dimensions are followed through the graph, so
 * outputs computed from them are symbolic too; dynamicAxes may name them for an output.
 *
 * What cannot be dynamic: sizes that the traced ops take as attributes or constants other
 * than Reshape's (narrow's bounds, adaptiveAvgPool2d's window when the output is not 1x1,
 * tensors created in forward from a size, loop counts in forward). Reshape keeps a dynamic
 * dimension when it stays in place or ends up alone in one entry (reshapeNode).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../autograd.js';
import { packageRoot } from '../../addon.js';
import { ArgumentError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { checkTensor, Tensor } from '../../tensor.js';
import { activeTracer, setActiveTracer } from '../../trace_hook.js';
import { checkInt, checkOptions, describe, fail } from '../../validate.js';
import { checkPath, writeAtomic, writeAtomicSync } from '../files.js';
import './convert_modules.js';
import './convert_ops.js';
import './convert_rnn.js';
import { encodeModel, type NodeData, type ValueInfoData } from './onnx_proto.js';
import { OnnxTracer, type Sym } from './trace.js';

export type DynamicAxes = Record<string, readonly number[] | Record<number, string>>;

export interface ExportOnnxOptions {
  /** Names of the graph's inputs, one per example tensor (default `input`, or `input0`, `input1`, ...). */
  inputNames?: readonly string[];
  /** Names of the graph's outputs, one per output tensor in order (default `output`, or `output0`, ...). */
  outputNames?: readonly string[];
  /** Dimensions of inputs and outputs that may vary: `{ input: [0] }` or `{ input: { 0: 'batch' } }`. */
  dynamicAxes?: DynamicAxes;
  /** The ai.onnx opset to target, 13 to 20 (default 17). */
  opsetVersion?: number;
}

const OPTIONS = ['inputNames', 'outputNames', 'dynamicAxes', 'opsetVersion'];
const MIN_OPSET = 13;
const MAX_OPSET = 20;
// The IR version each opset came with (onnx/docs/Versioning.md): a reader new enough for the opset reads it.
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9 };

type AnyModule = Module<never[], unknown>;

/** The model as the bytes of an .onnx file. */
export function exportOnnxToBuffer(model: AnyModule, exampleInput: Tensor | readonly Tensor[], options?: ExportOnnxOptions): Buffer {
  return Buffer.from(buildModel('exportOnnxToBuffer', model, exampleInput, options));
}

/** Writes the model to path (atomically: a failed export leaves an earlier file as it was). */
export function exportOnnxSync(model: AnyModule, exampleInput: Tensor | readonly Tensor[], path: string, options?: ExportOnnxOptions): void {
  checkPath('exportOnnxSync', path);
  writeAtomicSync('exportOnnxSync', path, [buildModel('exportOnnxSync', model, exampleInput, options)]);
}

/** exportOnnxSync, with the file written asynchronously (the trace itself runs at once). */
export async function exportOnnx(model: AnyModule, exampleInput: Tensor | readonly Tensor[], path: string, options?: ExportOnnxOptions): Promise<void> {
  checkPath('exportOnnx', path);
  const bytes = buildModel('exportOnnx', model, exampleInput, options);
  await writeAtomic('exportOnnx', path, [bytes]);
}

function buildModel(fn: string, model: AnyModule, exampleInput: Tensor | readonly Tensor[], options: ExportOnnxOptions | undefined): Uint8Array {
  if (!(model instanceof Module)) fail(fn, 'model', 'a Module', model);
  const inputs = exampleTensors(fn, exampleInput);
  const opts = checkOptions<ExportOnnxOptions>(fn, options, OPTIONS);
  const opset = opts.opsetVersion ?? 17;
  if (typeof opset !== 'number' || !Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    fail(fn, 'options.opsetVersion', `an opset from ${MIN_OPSET} to ${MAX_OPSET} (the ones this exporter writes)`, opset);
  }
  const inputNames = valueNames(fn, 'options.inputNames', opts.inputNames, inputs.length, 'input');
  if (opts.outputNames !== undefined) valueNames(fn, 'options.outputNames', opts.outputNames, null, 'output');
  const dynamicAxes = checkDynamicAxes(fn, opts.dynamicAxes);
  if (activeTracer !== null) throw new ArgumentError(`${fn}: an export is already running (exportOnnx cannot be called from a model's forward)`);

  const state = stateNames(model);
  const taken = inputNames.find((name) => [...state.values()].includes(name));
  if (taken !== undefined) throw new ArgumentError(`${fn}: input name ${JSON.stringify(taken)} is also the state-dict key of a parameter or buffer`);
  const tracer = new OnnxTracer(opset, state, new Map(model.namedModules().map(([name, m]) => [m as unknown, name])));
  inputNames.forEach((name) => tracer.reserve(name));
  const graphInputs = inputs.map((t, i) => {
    const dims = dimsOf(fn, inputNames[i]!, t.shape, dynamicAxes.get(inputNames[i]!), []);
    tracer.bind(t, inputNames[i]!, dims.map((d) => (typeof d === 'string' ? d : null)));
    return { name: inputNames[i]!, elemType: t.dtype, dims };
  });
  const output = traceForward(model, inputs, tracer);

  const outputs = outputTensors(fn, output);
  const outputNames = valueNames(fn, 'options.outputNames', opts.outputNames, outputs.length, 'output');
  for (const name of dynamicAxes.keys()) {
    if (!inputNames.includes(name) && !outputNames.includes(name)) {
      fail(fn, 'options.dynamicAxes', `keyed by input or output names (${[...inputNames, ...outputNames].join(', ')})`, name);
    }
  }
  const graphOutputs: ValueInfoData[] = outputs.map((t, i) => {
    const name = outputNames[i]!;
    if (inputNames.includes(name)) throw new ArgumentError(`${fn}: output name ${JSON.stringify(name)} is also an input name`);
    const dims = dimsOf(fn, name, t.shape, dynamicAxes.get(name), tracer.syms(t));
    return { name, elemType: t.dtype, dims };
  });
  nameOutputs(fn, tracer, outputs, outputNames, inputNames);

  return encodeModel({
    irVersion: IR_VERSION[opset]!,
    opsetVersion: opset,
    producerName: 'tensorgrad',
    producerVersion: producerVersion(),
    graph: { name: model.constructor.name, nodes: tracer.nodes, initializers: tracer.initializers, inputs: graphInputs, outputs: graphOutputs },
  });
}

// One forward call in eval mode (torch.onnx.export's default TrainingMode.EVAL), without
// autograd, with the tracer active; every module's mode is restored afterwards.
function traceForward(model: AnyModule, inputs: Tensor[], tracer: OnnxTracer): unknown {
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  try {
    return noGrad(() => {
      setActiveTracer(tracer);
      tracer.watchNative();
      try {
        return (model.call as (...args: unknown[]) => unknown)(...inputs);
      } finally {
        tracer.unwatchNative();
        setActiveTracer(null);
      }
    });
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
}

function exampleTensors(fn: string, example: unknown): Tensor[] {
  if (example instanceof Tensor) return [checkTensor(fn, 'exampleInput', example)];
  if (!Array.isArray(example) || example.length === 0) fail(fn, 'exampleInput', 'a Tensor or a non-empty array of Tensors (the arguments of forward)', example);
  const list = example.map((t, i) => checkTensor(fn, `exampleInput[${i}]`, t));
  if (new Set(list.map((t) => t._h)).size !== list.length) throw new ArgumentError(`${fn}: exampleInput must hold distinct tensors (each is its own graph input)`);
  return list;
}

function valueNames(fn: string, arg: string, given: unknown, count: number | null, base: string): string[] {
  if (given === undefined) return count === 1 ? [base] : Array.from({ length: count ?? 0 }, (_, i) => `${base}${i}`);
  if (!Array.isArray(given) || given.some((n) => typeof n !== 'string' || n === '')) fail(fn, arg, 'an array of non-empty strings', given);
  if (new Set(given).size !== given.length) fail(fn, arg, 'an array of distinct names', given);
  if (count !== null && given.length !== count) fail(fn, arg, `${count} name(s), one per ${base}`, given);
  return [...(given as string[])];
}

function checkDynamicAxes(fn: string, given: unknown): Map<string, Map<number, string>> {
  const out = new Map<string, Map<number, string>>();
  if (given === undefined) return out;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) fail(fn, 'options.dynamicAxes', 'an object of axes by input or output name', given);
  for (const [name, axes] of Object.entries(given as Record<string, unknown>)) {
    const arg = `options.dynamicAxes.${name}`;
    const named = new Map<number, string>();
    if (Array.isArray(axes)) {
      for (const a of axes) named.set(checkInt(fn, `${arg} entry`, a, 0), `${name}_dim${a}`);
      if (named.size !== axes.length) fail(fn, arg, 'a list of distinct axes', axes);
    } else if (axes !== null && typeof axes === 'object') {
      for (const [key, sym] of Object.entries(axes as Record<string, unknown>)) {
        const axis = Number(key);
        if (!Number.isInteger(axis) || axis < 0) fail(fn, arg, 'keyed by axes (integers >= 0)', key);
        if (typeof sym !== 'string' || sym === '') fail(fn, `${arg}[${key}]`, 'a non-empty string (the dimension name)', sym);
        named.set(axis, sym);
      }
    } else {
      fail(fn, arg, 'a list of axes or an object of dimension names by axis', axes);
    }
    out.set(name, named);
  }
  return out;
}

// A value's dims: the named dynamic axes, then the symbols the trace followed, then the sizes.
function dimsOf(fn: string, name: string, shape: readonly number[], axes: Map<number, string> | undefined, syms: readonly Sym[]): (number | string)[] {
  for (const axis of axes?.keys() ?? []) {
    if (axis >= shape.length) throw new ArgumentError(`${fn}: options.dynamicAxes.${name} lists axis ${axis}, but ${name} has ${shape.length} dimension(s)`);
  }
  return shape.map((d, i) => axes?.get(i) ?? syms[i] ?? d);
}

// The model's result: a Tensor or nested arrays of them (LSTM's [output, [hN, cN]]), in order.
function outputTensors(fn: string, output: unknown): Tensor[] {
  const out: Tensor[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else throw new ArgumentError(`${fn}: the model's forward must return a Tensor or (nested) arrays of Tensors, got ${describe(v)} among its results`);
  };
  visit(output);
  if (out.length === 0) throw new ArgumentError(`${fn}: the model's forward returned no tensor`);
  return out;
}

// Gives the graph's outputs their names: the node that computes a value is renamed; a value
// that is an input, an initializer or an earlier output gets an Identity node.
function nameOutputs(fn: string, tracer: OnnxTracer, outputs: Tensor[], outputNames: string[], inputNames: string[]): void {
  const produced = new Map<string, NodeData>();
  for (const node of tracer.nodes) for (const o of node.outputs) produced.set(o, node);
  const initializerNames = new Set(tracer.initializers.map((t) => t.name));
  const renamed = new Map<string, string>();
  outputs.forEach((t, i) => {
    const value = tracer.value(t);
    const name = outputNames[i]!;
    if (initializerNames.has(name) || produced.has(name)) throw new ArgumentError(`${fn}: output name ${JSON.stringify(name)} is already a name in the graph`);
    if (produced.has(value) && !renamed.has(value) && !inputNames.includes(value)) renamed.set(value, name);
    else tracer.emit('Identity', [renamed.get(value) ?? value], {}, [name]);
  });
  for (const node of tracer.nodes) {
    node.inputs = node.inputs.map((n) => renamed.get(n) ?? n);
    node.outputs = node.outputs.map((n) => renamed.get(n) ?? n);
  }
}

/** Parameters, then buffers, by state-dict key (a tensor shared by two places under its first). */
function stateNames(model: AnyModule): Map<Tensor['_h'], string> {
  const names = new Map<Tensor['_h'], string>();
  for (const [name, t] of [...model.namedParameters(), ...model.namedBuffers()]) if (!names.has(t._h)) names.set(t._h, name);
  return names;
}

let version: string | undefined;
function producerVersion(): string {
  if (version === undefined) {
    try {
      version = String(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version);
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
