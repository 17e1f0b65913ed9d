/** Parameter: a leaf tensor a Module owns and an optimizer updates (torch.nn.Parameter). */
import { native } from '../native.js';
import { checkTensor, Tensor } from '../tensor.js';
import { checkBool } from '../validate.js';

export class Parameter extends Tensor {
  /**
   * Wraps data's memory as a new leaf, outside any graph data was part of (a non-contiguous
   * view is copied first: optimizers update parameters as flat arrays). requiresGrad defaults
   * to true; float32 only when it is true.
   */
  constructor(data: Tensor, requiresGrad = true) {
    checkTensor('Parameter', 'data', data);
    checkBool('Parameter', 'requiresGrad', requiresGrad);
    super(native.detach(native.contiguous(data._h)));
    if (requiresGrad) this.requiresGrad_(true);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
