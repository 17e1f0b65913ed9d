/** Activation layers: each is its functional form as a module. */
import type { LinearOptions } from '../ops.js';
import { leakyRelu, logSoftmax, relu, sigmoid, softmax, step, tanh } from '../ops.js';
import type { Tensor } from '../tensor.js';
import { checkInt, checkNumber } from '../validate.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { Module, pyFloat } from './module.js';

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return relu(input);
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkNumber('LeakyReLU', 'negativeSlope', negativeSlope, { finite: true });
  }
  forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

/** The perceptron's threshold: 1 where x > 0, else 0. It has no gradient (train with a surrogate). */
export class Step extends Module {
  forward(input: Tensor): Tensor {
    return step(input);
  }
}

export class Softmax extends Module {
  readonly dim: number;
  /** dim: the dimension that sums to 1 (the class dimension, usually 1 or -1). */
  constructor(dim: number) {
    super();
    this.dim = checkInt('Softmax', 'dim', dim);
  }
  forward(input: Tensor): Tensor {
    return softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = checkInt('LogSoftmax', 'dim', dim);
  }
  forward(input: Tensor): Tensor {
    return logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * The activation a Linear can apply in its GEMM epilogue when `module` follows it, or null.
 * Only these exact classes (a subclass may override forward()); the fused result is the same
 * as running the two modules one after the other.
 */
export function linearEpilogue(module: unknown): LinearOptions | null {
  if (!runsOwnForward(module)) return null;
  switch (module.constructor) {
    case ReLU:
      return { activation: 'relu' };
    case Sigmoid:
      return { activation: 'sigmoid' };
    case Tanh:
      return { activation: 'tanh' };
    case LeakyReLU:
      return { activation: 'leakyRelu', negativeSlope: (module as LeakyReLU).negativeSlope };
    default:
      return null;
  }
}

/** A Linear or Conv2d running its own forward(): an activation after it can run in the same native op. */
export function isFusable(module: unknown): module is Linear | Conv2d {
  return (module instanceof Linear || module instanceof Conv2d) && (module.constructor === Linear || module.constructor === Conv2d) && runsOwnForward(module);
}

// Neither forward() nor call() was replaced on the instance (a patched module must run as written).
export function runsOwnForward(module: unknown): module is Module {
  if (!(module instanceof Module)) return false;
  const proto = module.constructor.prototype as Module;
  return module.forward === proto.forward && module.call === Module.prototype.call;
}
