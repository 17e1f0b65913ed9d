/**
 * The tracer behind exportOnnx: it records the ops that one forward call runs as ONNX nodes.
 *
 * Why tracing: a model's forward is arbitrary JS (custom modules compute whatever they like
 * with tensor ops), and running it is the only way to see what it computes. The cost is that
 * control flow is frozen to the example's path: an `if` on a value or a loop over a size
 * takes the branch the example took, in every run of the exported graph.
 *
 * How: while it is active (lib/trace_hook.ts), every op with a conversion reports its inputs,
 * output and resolved options; the converter for that kind (convert_ops.ts) emits nodes and
 * binds the output tensor to an ONNX value name. Module.call hands each module here first:
 * one with a module converter (Flatten in convert_modules.ts, the recurrent layers in
 * convert_rnn.ts) runs with tracing paused, for its real output, and is emitted whole; a
 * library module known to have no conversion (nn.Embedding, ...) runs paused and its outputs
 * are marked as its own; any other module is traced through. Values are keyed by the native handle, so two Tensor
 * objects over one handle are the same value.
 *
 * A tensor the trace did not produce is a constant: an initializer named by its state-dict
 * key when it is one of the model's parameters or buffers, else const_N. To tell such
 * constants from the results of ops that have no conversion, the tracer wraps the native
 * binding's functions for the duration of the trace and remembers which native op made
 * each handle; reaching one of those is an ArgumentError naming the op.
 */
import { ArgumentError } from '../../errors.js';
import { native } from '../../native.js';
import type { Tensor } from '../../tensor.js';
import type { Tracer } from '../../trace_hook.js';
import { type Attribute, type ElemType, type NodeData, type TensorData } from './onnx_proto.js';

/** A dimension's symbolic name (it follows a dynamic axis), or null for a fixed size. */
export type Sym = string | null;

type Handle = Tensor['_h'];
type AnyModule = { constructor: { name: string } };

/** Emits the nodes for one op: `inputs`, `output` and `params` as the op reported them. */
export type OpConverter = (t: OnnxTracer, inputs: readonly (Tensor | number | null)[], output: Tensor, params: Record<string, unknown>) => void;

/** Emits a whole module: args as it was called with, output what it returned (run with tracing paused). */
export type ModuleConverter = (t: OnnxTracer, module: never, args: readonly unknown[], output: unknown) => void;

/** A module converter, and a check that runs before the module does (to refuse options early). */
export interface ModuleConversion {
  check?: (module: never, args: readonly unknown[]) => void;
  convert: ModuleConverter;
}

const opConverters = new Map<string, OpConverter>();
const moduleConverters = new Map<unknown, ModuleConversion>();
const opaqueModules = new Map<unknown, string>();

export function registerOp(kind: string, convert: OpConverter): void {
  opConverters.set(kind, convert);
}

/** A converter for exactly this class (a subclass is traced through: it may compute something else). */
export function registerModule(cls: abstract new (...args: never[]) => unknown, conversion: ModuleConversion): void {
  moduleConverters.set(cls, conversion);
}

/** A library module with no conversion: its outputs are named after it when they reach the graph. */
export function registerOpaque(cls: abstract new (...args: never[]) => unknown, label: string): void {
  opaqueModules.set(cls, label);
}

// Native functions whose handles are not results of computing (creation from data or a
// constant fill: their tensors are constants like any made before the trace).
const CONSTANT_MAKERS = new Set(['fromTypedArray', 'full', 'arange']);

interface Traced {
  name: string;
  syms: Sym[];
}

export class OnnxTracer implements Tracer {
  readonly opset: number;
  readonly nodes: NodeData[] = [];
  readonly initializers: TensorData[] = [];
  readonly #values = new WeakMap<Handle, Traced>();
  readonly #untraced = new WeakMap<Handle, string>();
  readonly #constants = new Map<Handle, string>();
  readonly #stateNames: Map<Handle, string>;
  readonly #moduleNames: Map<unknown, string>;
  readonly #usedNames = new Set<string>();
  #paused = 0;
  #counter = 0;
  #restoreNative: (() => void) | null = null;

  constructor(opset: number, stateNames: Map<Handle, string>, moduleNames: Map<unknown, string>) {
    this.opset = opset;
    this.#stateNames = stateNames;
    this.#moduleNames = moduleNames;
    for (const name of stateNames.values()) this.#usedNames.add(name);
  }

  // ---- the trace_hook interface ------------------------------------------------------------

  op(kind: string, inputs: readonly (Tensor | number | null)[], output: Tensor, params: Record<string, unknown> = {}): void {
    if (this.#paused > 0) return;
    const convert = opConverters.get(kind);
    if (convert === undefined) throw new ArgumentError(`exportOnnx: op ${kind} has no ONNX conversion`);
    this.paused(() => convert(this, inputs, output, params));
  }

  module(module: object, args: readonly unknown[], run: () => unknown): unknown {
    if (this.#paused > 0) return run();
    const cls = module.constructor;
    const conversion = moduleConverters.get(cls);
    const patched = (module as { forward: unknown }).forward !== (cls.prototype as { forward: unknown }).forward;
    if (conversion !== undefined && !patched) {
      conversion.check?.(module as never, args);
      const output = this.paused(run);
      this.paused(() => conversion.convert(this, module as never, args, output));
      return output;
    }
    const opaque = opaqueModules.get(cls);
    if (opaque !== undefined && !patched) {
      const output = this.paused(run);
      for (const t of flattenTensors(output)) this.#untraced.set(t._h, opaque);
      return output;
    }
    return run();
  }

  // ---- the trace's lifetime ----------------------------------------------------------------

  /** Wraps the native functions so that handles made by ops without a conversion are remembered (see the top comment). */
  watchNative(): void {
    const binding = native as unknown as Record<string, unknown>;
    const originals: [string, unknown][] = [];
    for (const [name, fn] of Object.entries(binding)) {
      if (typeof fn !== 'function' || CONSTANT_MAKERS.has(name)) continue;
      originals.push([name, fn]);
      binding[name] = (...args: unknown[]): unknown => {
        const result = (fn as (...a: unknown[]) => unknown)(...args);
        if (this.#paused === 0) this.#noteUntraced(result, name);
        return result;
      };
    }
    this.#restoreNative = () => {
      for (const [name, fn] of originals) binding[name] = fn;
    };
  }

  unwatchNative(): void {
    this.#restoreNative?.();
    this.#restoreNative = null;
  }

  #noteUntraced(result: unknown, op: string): void {
    if (Array.isArray(result)) {
      for (const r of result) this.#noteUntraced(r, op);
    } else if (result !== null && typeof result === 'object' && !ArrayBuffer.isView(result)) {
      this.#untraced.set(result as Handle, op);
    }
  }

  /** Runs fn with tracing paused: its ops are computed but not recorded. */
  paused<T>(fn: () => T): T {
    this.#paused++;
    try {
      return fn();
    } finally {
      this.#paused--;
    }
  }

  // ---- values ------------------------------------------------------------------------------

  /** A fresh value name (readable: the op's type and a counter). */
  fresh(base: string): string {
    let name: string;
    do name = `${base}_${this.#counter++}`;
    while (this.#usedNames.has(name));
    this.#usedNames.add(name);
    return name;
  }

  /** Reserves a name given by the user (graph inputs and outputs). */
  reserve(name: string): void {
    this.#usedNames.add(name);
  }

  /** Makes `t` the ONNX value `name`, with these symbolic dimensions (default: all fixed). */
  bind(t: Tensor, name: string, syms: readonly Sym[] = t.shape.map(() => null)): void {
    this.#values.set(t._h, { name, syms: [...syms] });
  }

  /** Whether t is a value computed in the graph (or a graph input), not a constant. */
  isTraced(t: Tensor): boolean {
    return this.#values.has(t._h);
  }

  /**
   * The ONNX value for an operand: the traced value, else an initializer (a state-dict key or
   * const_N; a number becomes a float scalar). An op without conversion is an ArgumentError.
   */
  value(t: Tensor | number): string {
    if (typeof t === 'number') return this.constant(new Float32Array([t]), [], 'float32');
    const traced = this.#values.get(t._h);
    if (traced !== undefined) return traced.name;
    const producer = this.#untraced.get(t._h);
    if (producer !== undefined) {
      throw new ArgumentError(
        `exportOnnx: a value of shape [${t.shape.join(', ')}] comes from ${producer}, which has no ONNX conversion ` +
          '(compute it with ops that convert, or outside the model and pass it as an input)',
      );
    }
    let name = this.#constants.get(t._h);
    if (name === undefined) {
      name = this.#stateNames.get(t._h) ?? this.fresh('const');
      this.#usedNames.add(name);
      this.#constants.set(t._h, name);
      this.initializers.push({ name, elemType: t.dtype, dims: t.shape, raw: littleEndianBytes(t.data()) });
    }
    return name;
  }

  /** The symbolic dimensions of an operand (all fixed for constants). */
  syms(t: Tensor | number): Sym[] {
    if (typeof t === 'number') return [];
    return [...(this.#values.get(t._h)?.syms ?? t.shape.map(() => null))];
  }

  /** A symbol for a size computed from symbolic sizes (a fresh name), or null when all are fixed. */
  derived(from: readonly Sym[]): Sym {
    return from.some((s) => s !== null) ? this.fresh('dim') : null;
  }

  /** A new initializer from raw elements. */
  constant(data: Float32Array | Int32Array | BigInt64Array, dims: readonly number[], elemType: ElemType, base = 'const'): string {
    const name = this.fresh(base);
    this.initializers.push({ name, elemType, dims, raw: littleEndianBytes(data) });
    return name;
  }

  /** A 1-D int64 initializer (shapes, axes, slice bounds). */
  int64s(values: readonly number[]): string {
    return this.constant(BigInt64Array.from(values, BigInt), [values.length], 'int64');
  }

  /** An initializer holding a tensor computed at export time (reordered weights); named after its module. */
  derivedInitializer(module: unknown, key: string, t: Tensor): string {
    const owner = this.#moduleNames.get(module) ?? '';
    const base = owner === '' ? key : `${owner}.${key}`;
    const name = this.#usedNames.has(base) ? this.fresh(base) : base;
    this.#usedNames.add(name);
    this.initializers.push({ name, elemType: t.dtype, dims: t.shape, raw: littleEndianBytes(t.data()) });
    return name;
  }

  /** Appends a node; returns its output names (fresh ones unless given). */
  emit(opType: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, outputs: number | readonly string[] = 1): string[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : [...outputs];
    this.nodes.push({ opType, name: `${opType}_node_${this.nodes.length}`, inputs: [...inputs], outputs: names, attributes });
    return names;
  }

  /** emit() for a node with one output. */
  emit1(opType: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}): string {
    return this.emit(opType, inputs, attributes)[0]!;
  }

  /** Where a reduction's axes go: an input from opset 18 on (ReduceSum: 13), an attribute before. */
  axesGoAsInput(opType: string): boolean {
    return opType === 'ReduceSum' || this.opset >= 18;
  }
}

/** The tensors in a module's output: a Tensor or (nested) arrays of them, in order. */
export function flattenTensors(output: unknown): Tensor[] {
  const out: Tensor[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object' && '_h' in v) out.push(v as Tensor);
  };
  visit(output);
  return out;
}

// ONNX raw_data is little-endian; Buffer.swap* does the swap natively on a big-endian host.
function littleEndianBytes(data: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  // A copy: data() of a contiguous tensor is a view of its native memory.
  const copy = Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (LITTLE_ENDIAN) return copy;
  return data instanceof BigInt64Array ? copy.swap64() : copy.swap32();
}
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
