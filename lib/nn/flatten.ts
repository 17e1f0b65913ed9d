/** Flatten: merges a range of dimensions into one (by default all but the batch dimension). */
import { ArgumentError } from '../errors.js';
import { checkTensor, type Tensor } from '../tensor.js';
import { checkInt } from '../validate.js';
import { Module } from './module.js';

export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = checkInt('Flatten', 'startDim', startDim);
    this.endDim = checkInt('Flatten', 'endDim', endDim);
  }

  forward(input: Tensor): Tensor {
    checkTensor('Flatten', 'input', input);
    const shape = input.shape;
    const n = Math.max(shape.length, 1);
    const start = this.startDim < 0 ? this.startDim + n : this.startDim;
    const end = this.endDim < 0 ? this.endDim + n : this.endDim;
    if (start < 0 || start >= n || end < 0 || end >= n || start > end) {
      throw new ArgumentError(
        `Flatten: dimensions ${this.startDim}..${this.endDim} do not fit an input of shape [${shape.join(', ')}] (startDim must not come after endDim)`,
      );
    }
    if (shape.length === 0) return input.reshape([1]);
    const merged = shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
    return input.reshape([...shape.slice(0, start), merged, ...shape.slice(end + 1)]);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
