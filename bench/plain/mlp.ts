/** The bench's MLP by hand: 784 → 512, ReLU, 512 → 10 (the Linear pieces of layers.ts). */
import { Linear, type Model, type Parameter, reluBackwardInPlace, reluInPlace, seededRandom } from './layers.js';

export class Mlp implements Model {
  readonly hidden: Linear;
  readonly output: Linear;
  readonly parameters: readonly Parameter[];
  private hiddenActivations: Float32Array = new Float32Array(0); // ReLU's output of the last forward

  /** Layers initialised in order (hidden, then output; weight before bias) from seed. */
  constructor(seed: number, inputs = 784, hiddenUnits = 512, classes = 10) {
    const random = seededRandom(seed);
    this.hidden = new Linear(inputs, hiddenUnits, random);
    this.output = new Linear(hiddenUnits, classes, random);
    this.parameters = [this.hidden.weight, this.hidden.bias, this.output.weight, this.output.bias];
  }

  forward(x: Float32Array, count: number): Float32Array {
    const h = this.hidden.forward(x, count);
    reluInPlace(h);
    this.hiddenActivations = h;
    return this.output.forward(h, count);
  }

  backward(dLogits: Float32Array, count: number): void {
    const dHidden = this.output.backward(dLogits, count, true)!;
    reluBackwardInPlace(dHidden, this.hiddenActivations);
    this.hidden.backward(dHidden, count, false);
  }
}
