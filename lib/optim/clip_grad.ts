/** Gradient clipping over a set of parameters, each in one native call (torch.nn.utils.clip_grad_*). */
import { native } from '../native.js';
import { Tensor } from '../tensor.js';
import { checkBool, checkNumber, checkOptions, fail } from '../validate.js';

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite (default false: the gradients are scaled anyway). */
  errorIfNonfinite?: boolean;
}

function handles(fn: string, params: unknown): Tensor['_h'][] {
  const list = params instanceof Tensor ? [params] : typeof params === 'object' && params !== null && Symbol.iterator in params ? [...(params as Iterable<unknown>)] : fail(fn, 'params', 'a Tensor or an iterable of Tensors', params);
  return list.map((p, i) => {
    if (!(p instanceof Tensor) || p.isDisposed) fail(fn, `params[${i}]`, 'a Tensor', p);
    return p._h;
  });
}

/**
 * Scales all gradients together so that their joint normType-norm is at most maxNorm (no
 * change when it already is). Returns the norm before clipping as a 0-D float32 tensor, as
 * torch.nn.utils.clip_grad_norm_ does (read it with .item()). normType may be Infinity.
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2, options?: ClipGradNormOptions): Tensor {
  const list = handles('clipGradNorm', params);
  checkNumber('clipGradNorm', 'maxNorm', maxNorm);
  if (maxNorm < 0) fail('clipGradNorm', 'maxNorm', 'a number >= 0', maxNorm);
  checkNumber('clipGradNorm', 'normType', normType);
  if (normType <= 0) fail('clipGradNorm', 'normType', 'a positive number or Infinity', normType);
  const opts = checkOptions<ClipGradNormOptions>('clipGradNorm', options, ['errorIfNonfinite']);
  const strict = opts.errorIfNonfinite === undefined ? false : checkBool('clipGradNorm', 'options.errorIfNonfinite', opts.errorIfNonfinite);
  return new Tensor(native.clipGradNorm(list, maxNorm, normType, strict));
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  const list = handles('clipGradValue', params);
  checkNumber('clipGradValue', 'clipValue', clipValue);
  if (clipValue < 0) fail('clipGradValue', 'clipValue', 'a number >= 0', clipValue);
  native.clipGradValue(list, clipValue);
}
