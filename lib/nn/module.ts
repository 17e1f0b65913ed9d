/**
 * Module: the base class of every layer and model (torch.nn.Module).
 *
 * A module finds its parameters and submodules by looking at its own properties: assign a
 * Parameter or a Module to `this.something` in the constructor and it is registered, in
 * assignment order, under that name. Buffers (state that is saved but not trained, such as
 * batch norm's running statistics) are declared with registerBuffer(). Lists of modules go in
 * a ModuleList (a plain array property is not looked into).
 *
 * Run a module with `module.call(input)`; subclasses implement forward().
 */
import { noGrad } from '../autograd.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { checkTensor, clearGrads, Tensor } from '../tensor.js';
import { activeTracer } from '../trace_hook.js';
import { checkBool, checkOptions, describe, fail } from '../validate.js';
import { Parameter } from './parameter.js';
import * as shared from './shared.js';

export type StateDict = Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shapes must match either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * State-dict keys that differ from the JavaScript property names, as PyTorch spells them:
 * `{ runningMean: 'running_mean' }`. Built-in modules declare it as a static field; a
 * subclass's own table adds to its parents'. A user's module declares none and keeps its
 * property names as keys.
 */
export type StateKeys = Readonly<Record<string, string>>;

export abstract class Module<Args extends unknown[] = [Tensor], Out = Tensor> {
  /** See StateKeys. The names apply everywhere a name is shown: stateDict(), named*(), toString(). */
  static readonly stateKeys: StateKeys = {};

  /** True in training mode (dropout drops, batch norm uses batch statistics); see train()/eval(). */
  training = true;
  // Buffer names, in registration order, and those left out of stateDict().
  readonly #buffers: string[] = [];
  readonly #nonPersistent = new Set<string>();
  // Property names in the order they were first seen. Object.keys() lists integer-like names
  // ('0', '1') before all others, whatever the order of assignment; this keeps the real order
  // for everything registered through register*() (Sequential's numbered children included).
  readonly #order: string[] = [];
  readonly #ordered = new Set<string>();

  /** The computation; call the module with call(), which runs this. */
  abstract forward(...args: Args): Out;

  /**
   * Runs forward(...args). (A JS class instance cannot be called like a function, so this is model(x).)
   * While a model is exported to ONNX, the tracer sees the call first (lib/trace_hook.ts).
   */
  call(...args: Args): Out {
    if (activeTracer !== null) return activeTracer.module(this, args, () => this.forward(...args)) as Out;
    return this.forward(...args);
  }

  /** Extra text shown between the parentheses in toString(), as PyTorch's extra_repr(). */
  extraRepr(): string {
    return '';
  }

  // ---- registration ----------------------------------------------------------------------

  /** Registers a parameter (or null: a declared but absent one, like a disabled bias) under name. */
  registerParameter(name: string, param: Parameter | null): void {
    this.#checkName('registerParameter', name, 'parameter');
    if (param !== null && !(param instanceof Parameter)) fail('registerParameter', 'param', 'a Parameter or null', param);
    this.#define(name, param);
  }

  /** Registers a submodule (or null) under name. */
  registerModule(name: string, module: Module<never[], unknown> | null): void {
    this.#checkName('registerModule', name, 'module');
    if (module !== null && !(module instanceof Module)) fail('registerModule', 'module', 'a Module or null', module);
    this.#define(name, module);
  }

  /**
   * Registers a tensor that belongs to the module's state without being trained (running
   * statistics). It is a property under name, moves through stateDict() unless persistent is
   * false, and is never returned by parameters().
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    this.#checkName('registerBuffer', name, 'buffer');
    if (tensor !== null) checkTensor('registerBuffer', 'tensor', tensor);
    checkBool('registerBuffer', 'persistent', persistent);
    if (!this.#buffers.includes(name)) this.#buffers.push(name);
    if (persistent) this.#nonPersistent.delete(name);
    else this.#nonPersistent.add(name);
    this.#define(name, tensor);
  }

  #checkName(fn: string, name: unknown, kind: 'parameter' | 'module' | 'buffer'): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) fail(fn, 'name', 'a non-empty string without "."', name);
    if (name === 'training' || (name in this && !Object.hasOwn(this, name))) {
      throw new ArgumentError(`${fn}: name ${JSON.stringify(name)} is already a method or property of ${this.constructor.name}`);
    }
    if (!Object.hasOwn(this, name)) return;
    const current = (this as Record<string, unknown>)[name];
    const held = this.#buffers.includes(name) ? 'buffer' : current instanceof Parameter ? 'parameter' : current instanceof Module ? 'module' : null;
    if (held !== null && held !== kind) {
      throw new ArgumentError(`${fn}: ${JSON.stringify(name)} is already a ${held} of ${this.constructor.name}; it cannot become a ${kind}`);
    }
  }

  #define(name: string, value: unknown): void {
    this.#syncOrder();
    (this as Record<string, unknown>)[name] = value;
    this.#syncOrder();
  }

  #syncOrder(): void {
    for (const key of Object.keys(this)) {
      if (!this.#ordered.has(key)) {
        this.#ordered.add(key);
        this.#order.push(key);
      }
    }
  }

  // Own properties in the order they were first seen (see #order), under their state keys.
  *#properties(): Generator<[string, unknown]> {
    this.#syncOrder();
    for (const key of this.#order) if (Object.hasOwn(this, key)) yield [this.#keyOf(key), (this as Record<string, unknown>)[key]];
  }

  // The state key of a property: the nearest class's stateKeys entry, else the property name.
  #keyOf(property: string): string {
    for (let c = this.constructor as typeof Module; c !== Module; c = Object.getPrototypeOf(c) as typeof Module) {
      if (Object.hasOwn(c, 'stateKeys') && Object.hasOwn(c.stateKeys, property)) return c.stateKeys[property]!;
    }
    return property;
  }

  // ---- traversal -------------------------------------------------------------------------

  /** This module's own parameters, by property name (absent ones skipped). */
  *#ownParameters(): Generator<[string, Parameter]> {
    for (const [name, value] of this.#properties()) {
      if (value instanceof Parameter) yield [name, value];
    }
  }

  /** Direct submodules with their names, in registration order. */
  *namedChildren(): Generator<[string, Module<never[], unknown>]> {
    for (const [name, value] of this.#properties()) {
      if (value instanceof Module) yield [name, value as Module<never[], unknown>];
    }
  }

  children(): Module<never[], unknown>[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** This module and every module below it (each once), with dotted names; this one is ''. */
  namedModules(prefix = ''): [string, Module<never[], unknown>][] {
    const out: [string, Module<never[], unknown>][] = [];
    const seen = new Set<Module<never[], unknown>>();
    const visit = (m: Module<never[], unknown>, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [child, sub] of m.namedChildren()) visit(sub, name === '' ? child : `${name}.${child}`);
    };
    visit(this as unknown as Module<never[], unknown>, prefix);
    return out;
  }

  modules(): Module<never[], unknown>[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter below this module (each once, shared ones under their first name). */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const owners = recurse ? this.namedModules(prefix) : [[prefix, this as unknown as Module<never[], unknown>] as const];
    for (const [owner, m] of owners) {
      for (const [name, p] of m.#ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([owner === '' ? name : `${owner}.${name}`, p]);
      }
    }
    return out;
  }

  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Buffers below this module, with dotted names (absent ones skipped). */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [owner, m] of this.namedModules(prefix)) {
      for (const name of m.#buffers) {
        const value = (m as unknown as Record<string, unknown>)[name];
        const key = m.#keyOf(name);
        if (value instanceof Tensor) out.push([owner === '' ? key : `${owner}.${key}`, value]);
      }
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Elements in all parameters (only those that require grad when onlyTrainable). */
  numParameters(onlyTrainable = false): number {
    checkBool('numParameters', 'onlyTrainable', onlyTrainable);
    let n = 0;
    for (const p of this.parameters()) if (!onlyTrainable || p.requiresGrad) n += p.numel;
    return n;
  }

  // ---- modes and bulk operations -----------------------------------------------------------

  /** Sets training mode on this module and every submodule; returns this. */
  train(mode = true): this {
    checkBool('train', 'mode', mode);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /**
   * Clears every parameter's gradient: to null by default (PyTorch 2's set_to_none, where 1.13
   * zeroed them; the next backward allocates a fresh one), or to zeros in place with
   * setToNone = false.
   */
  zeroGrad(setToNone = true): void {
    clearGrads('zeroGrad', this.parameters(), setToNone);
  }

  /** Calls fn on every submodule (children first, as PyTorch), then on this one; returns this. */
  apply(fn: (module: Module<never[], unknown>) => void): this {
    if (typeof fn !== 'function') fail('apply', 'fn', 'a function', fn);
    for (const child of this.children()) child.apply(fn);
    fn(this as unknown as Module<never[], unknown>);
    return this;
  }

  // ---- state -------------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name. The tensors share memory with the module
   * (detached from autograd): clone them to keep a snapshot.
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    this.#collectState({ key: '', legacy: '' }, out, new Map(), new Set());
    return out;
  }

  // A module reached twice (shared between two places) is saved under both names, as PyTorch.
  // `legacy` records, for each key that differs from it, the property path that checkpoints
  // written before the keys followed PyTorch's used (running_mean was runningMean).
  #collectState(prefix: { key: string; legacy: string }, out: StateDict, legacy: Map<string, string>, path: Set<Module<never[], unknown>>): void {
    const self = this as unknown as Module<never[], unknown>;
    if (path.has(self)) throw new ArgumentError(`stateDict: module ${prefix.key || '(root)'} contains itself`);
    path.add(self);
    const add = (property: string, value: Tensor): void => {
      const key = `${prefix.key}${this.#keyOf(property)}`;
      out[key] = value.detach();
      const old = `${prefix.legacy}${property}`;
      if (old !== key) legacy.set(key, old);
    };
    this.#syncOrder();
    for (const property of this.#order) {
      const value = (this as Record<string, unknown>)[property];
      if (Object.hasOwn(this, property) && value instanceof Parameter) add(property, value);
    }
    for (const name of this.#buffers) {
      const value = (this as Record<string, unknown>)[name];
      if (value instanceof Tensor && !this.#nonPersistent.has(name)) add(name, value);
    }
    for (const property of this.#order) {
      const child = (this as Record<string, unknown>)[property];
      if (!Object.hasOwn(this, property) || !(child instanceof Module)) continue;
      const next = { key: `${prefix.key}${this.#keyOf(property)}.`, legacy: `${prefix.legacy}${property}.` };
      (child as Module<never[], unknown>).#collectState(next, out, legacy, path);
    }
    path.delete(self);
  }

  /**
   * Copies the values of dict into this module's parameters and buffers (in place, so
   * optimizers holding the parameters keep working). Shapes must match. With strict (the
   * default) a missing or unexpected key is an error too; nothing is copied when any check fails.
   * Keys are PyTorch's (running_mean); a dict saved before tensorgrad used them, with the
   * JavaScript property names (runningMean), loads too.
   */
  loadStateDict(dict: StateDict, options?: LoadStateDictOptions): LoadStateDictResult {
    const opts = checkOptions<LoadStateDictOptions>('loadStateDict', options, ['strict']);
    const strict = opts.strict === undefined ? true : checkBool('loadStateDict', 'options.strict', opts.strict);
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) fail('loadStateDict', 'dict', 'an object of Tensors by name', dict);
    const own: StateDict = {};
    const legacy = new Map<string, string>();
    this.#collectState({ key: '', legacy: '' }, own, legacy, new Set());
    // Where the dict has a key only under its legacy name, read it from there.
    const source = new Map<string, string>();
    for (const key of Object.keys(own)) {
      const old = legacy.get(key);
      if (Object.hasOwn(dict, key)) source.set(key, key);
      else if (old !== undefined && Object.hasOwn(dict, old)) source.set(key, old);
    }
    const used = new Set(source.values());
    const missingKeys = Object.keys(own).filter((k) => !source.has(k));
    const unexpectedKeys = Object.keys(dict).filter((k) => !used.has(k) && !Object.hasOwn(own, k));
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing key(s): ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected key(s): ${unexpectedKeys.join(', ')}`);
    let shapeProblem = false;
    for (const [key, from] of source) {
      const value = dict[from];
      const target = own[key]!;
      if (!(value instanceof Tensor) || value.isDisposed) {
        problems.push(`${from} must be a Tensor, got ${describe(value)}`);
      } else if (value.shape.join() !== target.shape.join()) {
        shapeProblem = true;
        problems.push(`size mismatch for ${from}: the value has shape [${value.shape}], the module's is [${target.shape}]`);
      }
    }
    if (problems.length > 0) {
      const message = `loadStateDict: cannot load into ${this.constructor.name}: ${problems.join('; ')}`;
      throw shapeProblem ? new ShapeError(message) : new ArgumentError(message);
    }
    noGrad(() => {
      for (const [key, from] of source) own[key]!.copy_(dict[from]!);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ----------------------------------------------------------------------------

  /** The module tree, formatted as PyTorch's print(model). */
  /**
   * Moves every parameter and buffer into SharedArrayBuffer memory (in place: tensors, views
   * and optimizers that hold them see the move), as torch's share_memory_(). Returns this.
   */
  shareMemory(): this {
    shared.shareMemory(this);
    return this;
  }

  /** The shared weights as an object postMessage can send (after shareMemory()); see lib/nn/shared.ts. */
  sharedStateDict(): shared.SharedStateDict {
    return shared.sharedStateDict(this);
  }

  /** Makes this model's parameters and buffers alias the shared memory of `state` (same names, shapes, dtypes). Returns this. */
  loadSharedStateDict(state: shared.SharedStateDict): this {
    shared.loadSharedStateDict(this, state);
    return this;
  }

  /** Copies the shared weights into this model's own, holding the lock, so no step is halfway through. */
  async loadSharedSnapshot(state: shared.SharedStateDict): Promise<this> {
    await shared.loadSharedSnapshot(this, state);
    return this;
  }

  /** Runs fn (one training step) holding the shared weights' lock; in deferred mode the lock brackets its queued work. */
  sharedStep<T>(fn: () => T): T {
    return shared.sharedStep(this, fn);
  }

  toString(): string {
    const lines = this.extraRepr() === '' ? [] : this.extraRepr().split('\n');
    for (const [name, child] of this.namedChildren()) {
      lines.push(`(${name}): ${child.toString().split('\n').join('\n  ')}`);
    }
    const head = `${this.constructor.name}(`;
    if (lines.length === 0) return `${head})`;
    if (lines.length === 1 && this.children().length === 0) return `${head}${lines[0]})`;
    return `${head}\n  ${lines.join('\n  ')}\n)`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Python's repr of a float (0.1, 1e-05, 1.0), so toString() reads exactly like PyTorch's. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

/** Python's repr of a boolean. */
export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}
