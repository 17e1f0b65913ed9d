/** Containers: Sequential (modules run in order) and ModuleList (an indexable list of modules). */
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInt, fail } from '../validate.js';
import { isFusable, LeakyReLU, linearEpilogue, LogSoftmax, ReLU, runsOwnForward, Sigmoid, Softmax, Step, Tanh } from './activation.js';
import { BatchNorm1d, BatchNorm2d } from './batchnorm.js';
import { Conv2d } from './conv.js';
import { Dropout, Dropout2d } from './dropout.js';
import { Flatten } from './flatten.js';
import { Identity, Linear } from './linear.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './pooling.js';
import { Module } from './module.js';

type AnyModule = Module<never[], unknown>;
// A module that maps one tensor to one tensor: what a Sequential chains.
type Layer = Module<[Tensor], Tensor>;

function checkModule(fn: string, arg: string, m: unknown): AnyModule {
  if (!(m instanceof Module)) fail(fn, arg, 'a Module', m);
  return m as AnyModule;
}

// Modules given as arguments, as one array, or as an object of named modules.
function moduleEntries(fn: string, args: readonly unknown[]): [string, AnyModule][] {
  if (args.length === 1 && Array.isArray(args[0])) return moduleEntries(fn, args[0]);
  if (args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !(args[0] instanceof Module)) {
    return Object.entries(args[0] as Record<string, unknown>).map(([name, m]) => {
      if (name === '' || name.includes('.')) fail(fn, 'a module name', 'a non-empty string without "."', name);
      return [name, checkModule(fn, `modules.${name}`, m)];
    });
  }
  return args.map((m, i) => [String(i), checkModule(fn, `modules[${i}]`, m)]);
}

// The built-in layers, which never keep a reference to their input or output. (A custom
// module might, so its neighbours' results are left to the garbage collector.)
function keepsNoReference(m: unknown): boolean {
  return m instanceof Module && BUILT_IN.has(m.constructor as never) && runsOwnForward(m);
}
const BUILT_IN = new Set<unknown>([
  Linear, Conv2d, Identity, Flatten, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Step, Dropout, Dropout2d,
  BatchNorm1d, BatchNorm2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d,
]);

// Modules registered under names; a position in [-length, length).
function index(fn: string, i: number, length: number): number {
  checkInt(fn, 'index', i, -length, length - 1);
  return i < 0 ? i + length : i;
}

// What Sequential and ModuleList share: modules by position, named by their index when appended.
abstract class ModuleSequence<M, Args extends unknown[], Out> extends Module<Args, Out> {
  get length(): number {
    return this.children().length;
  }

  /** The module at position i (negative counts from the end). */
  get(i: number): M {
    const list = this.children();
    return list[index(`${this.constructor.name}.get`, i, list.length)] as unknown as M;
  }

  /** Adds a module at the end (named by its position); returns this. */
  append(module: M): this {
    checkModule(`${this.constructor.name}.append`, 'module', module);
    this.registerModule(String(this.length), module as unknown as AnyModule);
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.children() as unknown as M[])[Symbol.iterator]();
  }
}

/**
 * Runs its modules in order, each on the previous one's output:
 * `new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 10))`, or from an array,
 * or from an object of named modules (JavaScript lists integer-like keys of an object first:
 * use registerModule() for names like '1' in a chosen order). A Linear or Conv2d followed by
 * ReLU, LeakyReLU, Sigmoid or Tanh runs as one fused native op (same results, one pass over
 * the output).
 */
export class Sequential extends ModuleSequence<Layer, [Tensor], Tensor> {
  constructor(...modules: Layer[] | [readonly Layer[]] | [Record<string, Layer>]) {
    super();
    for (const [name, m] of moduleEntries('Sequential', modules)) this.registerModule(name, m);
  }

  forward(input: Tensor): Tensor {
    const list = this.children() as unknown as Layer[];
    let x = input;
    let producer: Layer | null = null;
    for (let i = 0; i < list.length; i++) {
      const layer = list[i]!;
      const epilogue = isFusable(layer) ? linearEpilogue(list[i + 1]) : null;
      const next = epilogue !== null && isFusable(layer) ? layer.forwardFused(x, epilogue) : layer.call(x);
      if (epilogue !== null) i++;
      // An intermediate result between two built-in layers is seen by nobody else (autograd
      // keeps its own reference to what backward needs): release its handle now instead of at
      // the next garbage collection, so its buffer is reused by the next batch while still warm.
      if (x !== input && x !== next && producer !== null && keepsNoReference(producer) && keepsNoReference(layer)) x.dispose();
      producer = layer;
      x = next;
    }
    return x;
  }
}

/** Holds modules in a list so their parameters are registered; it has no forward() of its own. */
export class ModuleList<M extends AnyModule = AnyModule> extends ModuleSequence<M, never[], never> {
  constructor(modules: readonly M[] = []) {
    super();
    if (!Array.isArray(modules)) fail('ModuleList', 'modules', 'an array of Modules', modules);
    modules.forEach((m) => this.append(m));
  }

  forward(): never {
    throw new ArgumentError('ModuleList has no forward(): iterate over it and call its modules');
  }
}
