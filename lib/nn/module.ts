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
import { checkTensor, Tensor } from '../tensor.js';
import { checkBool, checkOptions, describe, fail } from '../validate.js';
import { Parameter } from './parameter.js';

export type StateDict = Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shapes must match either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module<Args extends unknown[] = [Tensor], Out = Tensor> {
  /** True in training mode (dropout drops, batch norm uses batch statistics); see train()/eval(). */
  training = true;
  // Buffer names, in registration order, and those left out of stateDict().
  readonly #buffers: string[] = [];
  readonly #nonPersistent = new Set<string>();

  /** The computation; call the module with call(), which runs this. */
  abstract forward(...args: Args): Out;

  /** Runs forward(...args). (A JS class instance cannot be called like a function, so this is model(x).) */
  call(...args: Args): Out {
    return this.forward(...args);
  }

  /** Extra text shown between the parentheses in toString(), as PyTorch's extra_repr(). */
  extraRepr(): string {
    return '';
  }

  // ---- registration ----------------------------------------------------------------------

  /** Registers a parameter (or null: a declared but absent one, like a disabled bias) under name. */
  registerParameter(name: string, param: Parameter | null): void {
    this.#checkName('registerParameter', name);
    if (param !== null && !(param instanceof Parameter)) fail('registerParameter', 'param', 'a Parameter or null', param);
    (this as Record<string, unknown>)[name] = param;
  }

  /** Registers a submodule (or null) under name. */
  registerModule(name: string, module: Module<never[], unknown> | null): void {
    this.#checkName('registerModule', name);
    if (module !== null && !(module instanceof Module)) fail('registerModule', 'module', 'a Module or null', module);
    (this as Record<string, unknown>)[name] = module;
  }

  /**
   * Registers a tensor that belongs to the module's state without being trained (running
   * statistics). It is a property under name, moves through stateDict() unless persistent is
   * false, and is never returned by parameters().
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    this.#checkName('registerBuffer', name);
    if (tensor !== null) checkTensor('registerBuffer', 'tensor', tensor);
    checkBool('registerBuffer', 'persistent', persistent);
    if (!this.#buffers.includes(name)) this.#buffers.push(name);
    if (persistent) this.#nonPersistent.delete(name);
    else this.#nonPersistent.add(name);
    (this as Record<string, unknown>)[name] = tensor;
  }

  #checkName(fn: string, name: unknown): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) fail(fn, 'name', 'a non-empty string without "."', name);
    if (name in this && !Object.hasOwn(this, name)) {
      throw new ArgumentError(`${fn}: name ${JSON.stringify(name)} is already a method or accessor of ${this.constructor.name}`);
    }
  }

  // ---- traversal -------------------------------------------------------------------------

  /** This module's own parameters, by property name (absent ones skipped). */
  *#ownParameters(): Generator<[string, Parameter]> {
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Parameter) yield [name, value];
    }
  }

  /** Direct submodules with their names, in registration order. */
  *namedChildren(): Generator<[string, Module<never[], unknown>]> {
    for (const [name, value] of Object.entries(this)) {
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
        if (value instanceof Tensor) out.push([owner === '' ? name : `${owner}.${name}`, value]);
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
   * Clears every parameter's gradient: to null by default (PyTorch 2's set_to_none, and the
   * next backward allocates a fresh one), or to zeros in place with setToNone = false.
   */
  zeroGrad(setToNone = true): void {
    checkBool('zeroGrad', 'setToNone', setToNone);
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else p.grad?.zero_();
    }
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
    for (const [owner, m] of this.namedModules()) {
      const key = (name: string): string => (owner === '' ? name : `${owner}.${name}`);
      for (const [name, p] of m.#ownParameters()) out[key(name)] ??= p.detach();
      for (const name of m.#buffers) {
        const value = (m as unknown as Record<string, unknown>)[name];
        if (value instanceof Tensor && !m.#nonPersistent.has(name)) out[key(name)] = value.detach();
      }
    }
    return out;
  }

  /**
   * Copies the values of dict into this module's parameters and buffers (in place, so
   * optimizers holding the parameters keep working). Shapes must match. With strict (the
   * default) a missing or unexpected key is an error too; nothing is copied when any check fails.
   */
  loadStateDict(dict: StateDict, options?: LoadStateDictOptions): LoadStateDictResult {
    const opts = checkOptions<LoadStateDictOptions>('loadStateDict', options, ['strict']);
    const strict = opts.strict === undefined ? true : checkBool('loadStateDict', 'options.strict', opts.strict);
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) fail('loadStateDict', 'dict', 'an object of Tensors by name', dict);
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(dict, k));
    const unexpectedKeys = Object.keys(dict).filter((k) => !Object.hasOwn(own, k));
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing key(s): ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected key(s): ${unexpectedKeys.join(', ')}`);
    let shapeProblem = false;
    for (const [key, target] of Object.entries(own)) {
      if (!Object.hasOwn(dict, key)) continue;
      const value = dict[key];
      if (!(value instanceof Tensor) || value.isDisposed) {
        problems.push(`${key} must be a Tensor, got ${describe(value)}`);
      } else if (value.shape.join() !== target.shape.join()) {
        shapeProblem = true;
        problems.push(`size mismatch for ${key}: the value has shape [${value.shape}], the module's is [${target.shape}]`);
      }
    }
    if (problems.length > 0) {
      const message = `loadStateDict: cannot load into ${this.constructor.name}: ${problems.join('; ')}`;
      throw shapeProblem ? new ShapeError(message) : new ArgumentError(message);
    }
    noGrad(() => {
      for (const [key, target] of Object.entries(own)) if (Object.hasOwn(dict, key)) target.copy_(dict[key]!);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ----------------------------------------------------------------------------

  /** The module tree, formatted as PyTorch's print(model). */
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
