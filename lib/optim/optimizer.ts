/**
 * Optimizer: the base of SGD, Adagrad, RMSprop, Adam and AdamW (torch.optim.Optimizer).
 *
 * Parameters come as a list, or as param groups with their own options
 * (`[{ params: a.parameters(), lr: 0.1 }, { params: b.parameters() }]`; options a group leaves
 * out come from the defaults). step() updates every parameter that has a gradient, in every
 * group, in ONE native call: the subclass only says which state tensors an update needs and
 * lays out its hyper-parameters (native/ops/optim.h documents the rows).
 */
import { enableGrad } from '../autograd.js';
import { zeros } from '../creation.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { native, type OptimizerKind } from '../native.js';
import { clearGrads, Tensor } from '../tensor.js';
import { checkNumber, checkOptions, checkRange, describe, fail } from '../validate.js';

/** Per-parameter state: the step count and the named state tensors (expAvg, momentumBuffer, ...). */
export type ParamState = { step: number } & Record<string, Tensor | number>;

export type ParamGroup<O> = O & { params: Tensor[] };
export type ParamGroupInput<O> = Partial<O> & { params: Iterable<Tensor> };
export type Params<O> = Iterable<Tensor> | readonly ParamGroupInput<O>[];

export interface OptimizerStateDict<O> {
  /** State by parameter index (parameters numbered in group order). */
  state: Record<number, ParamState>;
  paramGroups: (O & { params: number[] })[];
}

/** The three state slots a native update reads: names in the state, or null when unused. */
export type StateSlots = readonly [string | null, string | null, string | null];

export const HYPER_WIDTH = 8;

export abstract class Optimizer<O extends { lr: number }> {
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly state = new Map<Tensor, ParamState>();
  readonly #name: string;
  readonly #known: readonly string[];

  /** defaults: every option with its default value; options: what the user passed. */
  protected constructor(name: string, params: Params<O>, defaults: O, options: unknown) {
    this.#name = name;
    this.#known = Object.keys(defaults);
    this.defaults = Object.freeze(copyArrays({ ...defaults, ...checkOptions<O>(name, options, this.#known) }, true));
    this.checkGroup(this.defaults, 'options');
    const list = typeof params === 'object' && params !== null && Symbol.iterator in params ? [...params] : fail(name, 'params', 'an iterable of Tensors or of param groups', params);
    if (list.length === 0) throw new ArgumentError(`${name}: params is empty: the optimizer got no parameters to optimize`);
    const groups = list.every((g) => g instanceof Tensor) ? [{ params: list } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Which state tensors the update needs for a group's options, in the native slot order. */
  protected abstract stateSlots(group: O): StateSlots;
  /**
   * The group's row of HYPER_WIDTH numbers for a parameter at `step` (counting this one);
   * fresh is true when its state tensors were created for this step.
   */
  protected abstract hyperRow(group: O, step: number, fresh: boolean): number[];
  /** Validates option values (throwing with `where` in the message: 'options' or 'paramGroups[i]'). */
  protected abstract checkGroup(group: O, where: string): void;
  protected abstract readonly kind: OptimizerKind;

  /** A new state tensor for p (zeros; Adagrad starts its sum elsewhere). */
  protected initialState(p: Tensor, _name: string, _group: O): Tensor {
    return zeros(p.shape);
  }

  /** Adds a group of parameters with its own options (missing ones from the defaults). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const where = `paramGroups[${this.paramGroups.length}]`;
    if (group === null || typeof group !== 'object') fail(this.#name, where, 'an object { params, ...options }', group);
    const { params, ...options } = checkOptions<ParamGroupInput<O>>(this.#name, group, ['params', ...this.#known, 'initialLr']);
    if (params instanceof Tensor || params === undefined || !(Symbol.iterator in Object(params))) {
      fail(this.#name, `${where}.params`, 'an iterable of Tensors', params);
    }
    const list = [...(params as Iterable<Tensor>)];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    list.forEach((p, i) => {
      if (!(p instanceof Tensor) || p.isDisposed) fail(this.#name, `${where}.params[${i}]`, 'a Tensor', p);
      if (!p.isLeaf) throw new ArgumentError(`${this.#name}: ${where}.params[${i}] is not a leaf (it was made by ${p.gradFn}); optimize the tensors it was computed from`);
      if (p.dtype !== 'float32') throw new ArgumentError(`${this.#name}: ${where}.params[${i}] must be float32, got ${describe(p)}`);
      if (seen.has(p)) throw new ArgumentError(`${this.#name}: ${where}.params[${i}] appears more than once across the param groups`);
      seen.add(p);
    });
    const full = copyArrays({ ...this.defaults, ...options, params: list }) as ParamGroup<O>;
    this.checkGroup(full, where);
    this.paramGroups.push(full);
  }

  /**
   * Clears the gradients of every parameter: to null by default (the next backward allocates
   * them afresh; PyTorch 2's default, where 1.13 zeroed them), or to zeros in place with
   * setToNone = false.
   */
  zeroGrad(setToNone = true): void {
    clearGrads('zeroGrad', this.paramGroups.flatMap((g) => g.params), setToNone);
  }

  /**
   * One update of every parameter that has a gradient. closure, when given, recomputes the
   * loss (with grad on) before the update; its result is returned.
   */
  step(closure?: () => Tensor | number): Tensor | number | undefined {
    let loss: Tensor | number | undefined;
    if (closure !== undefined) {
      if (typeof closure !== 'function') fail(`${this.#name}.step`, 'closure', 'a function', closure);
      loss = enableGrad(closure);
    }
    const handles: Tensor['_h'][] = [];
    const states: (Tensor['_h'] | null)[] = [];
    const rows: number[][] = [];
    // The new step counts and state tensors are kept only once the native step succeeded, so
    // a step that throws (bad parameters) leaves the optimizer as it was.
    const updates: [Tensor, ParamState][] = [];
    for (const group of this.paramGroups) {
      const slots = this.stateSlots(group);
      for (const p of group.params) {
        // (hasGrad, not grad: a handle to the gradient would keep its buffer alive until the
        // next garbage collection, and the allocator could not reuse it for the next backward.)
        if (!native.hasGrad(p._h)) continue;
        const state: ParamState = { ...(this.state.get(p) ?? { step: 0 }) };
        state.step += 1;
        let fresh = false;
        for (const name of slots) {
          if (name === null) {
            states.push(null);
            continue;
          }
          let t = state[name];
          if (!(t instanceof Tensor)) {
            state[name] = t = this.initialState(p, name, group);
            fresh = true;
          }
          states.push(t._h);
        }
        handles.push(p._h);
        rows.push(this.hyperRow(group, state.step, fresh));
        updates.push([p, state]);
      }
    }
    if (handles.length > 0) native.optimizerStep(this.kind, handles, states, Float64Array.from(rows.flat()));
    for (const [p, state] of updates) this.state.set(p, state);
    return loss;
  }

  /** The state and the groups' options, with parameters as indices (tensors shared, not copied). */
  stateDict(): OptimizerStateDict<O> {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...options } = g;
      return { ...options, params: params.map((p) => index.set(p, index.size).get(p)!) } as unknown as O & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) state[index.get(p)!] = { ...s };
    return { state, paramGroups };
  }

  /** Restores what stateDict() returned (for an optimizer over the same parameters, in the same groups). */
  loadStateDict(dict: OptimizerStateDict<O>): void {
    const fn = `${this.#name}.loadStateDict`;
    if (dict === null || typeof dict !== 'object' || !Array.isArray(dict.paramGroups) || typeof dict.state !== 'object' || dict.state === null) {
      fail(fn, 'dict', 'an object { state, paramGroups } from stateDict()', dict);
    }
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(`${fn}: dict has ${dict.paramGroups.length} param groups, this optimizer has ${this.paramGroups.length}`);
    }
    const params: Tensor[] = [];
    const groups = dict.paramGroups.map((saved, i) => {
      const own = this.paramGroups[i]!;
      if (!Array.isArray(saved?.params) || saved.params.length !== own.params.length) {
        throw new ArgumentError(`${fn}: paramGroups[${i}] has ${saved?.params?.length} parameters in dict, ${own.params.length} here`);
      }
      params.push(...own.params);
      const { params: _ignored, ...options } = checkOptions<O & { params: number[] }>(fn, saved, ['params', ...this.#known, 'initialLr']);
      const merged = copyArrays({ ...own, ...options, params: own.params }) as ParamGroup<O>;
      this.checkGroup(merged, `paramGroups[${i}]`);
      return merged;
    });
    const state = new Map<Tensor, ParamState>();
    for (const [key, saved] of Object.entries(dict.state)) {
      const p = params[Number(key)];
      if (p === undefined) throw new ArgumentError(`${fn}: state has an entry for parameter ${key}, but there are ${params.length}`);
      const restored: ParamState = { step: checkNumber(fn, `state[${key}].step`, saved?.step, { finite: true }) };
      for (const [name, value] of Object.entries(saved)) {
        if (name === 'step') continue;
        if (!(value instanceof Tensor)) fail(fn, `state[${key}].${name}`, 'a Tensor', value);
        if (value.shape.join() !== p.shape.join()) {
          throw new ShapeError(`${fn}: state[${key}].${name} has shape [${value.shape}], its parameter has [${p.shape}]`);
        }
        restored[name] = value.detach().clone();
      }
      state.set(p, restored);
    }
    groups.forEach((g, i) => (this.paramGroups[i] = g));
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
  }

  toString(): string {
    const lines = this.paramGroups.map((g, i) => {
      const opts = Object.entries(g)
        .filter(([k]) => k !== 'params')
        .map(([k, v]) => `    ${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
      return `Parameter Group ${i}\n${opts.join('\n')}`;
    });
    return `${this.#name} (\n${lines.join('\n')}\n)`;
  }
}

// Each group gets its own copy of array options (betas), so changing one group's never
// changes another's or the defaults.
function copyArrays<T extends object>(options: T, freeze = false): T {
  const out = { ...options } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) {
    if (Array.isArray(v) && k !== 'params') out[k] = freeze ? Object.freeze([...v]) : [...v];
  }
  return out as T;
}

// ---- option checks shared by the optimizers -------------------------------------------------

export function checkNonNegative(fn: string, where: string, name: string, v: unknown): number {
  return checkRange(fn, `${where}.${name}`, v, { min: 0 });
}

export function checkFlag(fn: string, where: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(fn, `${where}.${name}`, 'a boolean', v);
  return v;
}

/** A probability-like coefficient in [0, 1) (betas, alpha). */
export function checkUnitInterval(fn: string, where: string, name: string, v: unknown): number {
  return checkRange(fn, `${where}.${name}`, v, { min: 0, max: 1, maxOpen: true });
}
