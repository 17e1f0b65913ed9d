/**
 * gradcheck: compares the gradients backward() computes with central finite differences,
 * the way the course checks backpropagation by numerical differentiation.
 */
import { noGrad } from './autograd.js';
import { ArgumentError, TensorgradError } from './errors.js';
import { checkTensor, Tensor } from './tensor.js';
import { checkNumber, checkOptions, fail } from './validate.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-3: tensors are float32, so smaller steps drown in rounding). */
  eps?: number;
  /** Absolute tolerance (default 1e-3). */
  atol?: number;
  /** Relative tolerance (default 1e-2). */
  rtol?: number;
}

/**
 * Checks fn's gradients with respect to every input that requires grad. For an output with
 * more than one element it checks vᵀ·J for a fixed pseudo-random v (one backward pass and two
 * evaluations per input element), which any wrong entry of the Jacobian J disturbs.
 * Returns true, or throws a TensorgradError naming the worst mismatch. Inputs must be
 * contiguous (they are perturbed in place and restored); their .grad is left as it was.
 *
 * The dot product v·f(x) is taken in float64 in JS: the differences it measures are about
 * eps times the gradient, below float32's resolution for a sum of many terms.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options?: GradcheckOptions): boolean {
  if (typeof fn !== 'function') fail('gradcheck', 'fn', 'a function', fn);
  if (!Array.isArray(inputs) || inputs.length === 0) fail('gradcheck', 'inputs', 'a non-empty array of Tensors', inputs);
  inputs.forEach((t, i) => checkTensor('gradcheck', `inputs[${i}]`, t));
  const opts = checkOptions<GradcheckOptions>('gradcheck', options, ['eps', 'atol', 'rtol']);
  const eps = checkNumber('gradcheck', 'options.eps', opts.eps ?? 1e-3, { finite: true });
  const atol = checkNumber('gradcheck', 'options.atol', opts.atol ?? 1e-3, { finite: true });
  const rtol = checkNumber('gradcheck', 'options.rtol', opts.rtol ?? 1e-2, { finite: true });
  if (eps <= 0) fail('gradcheck', 'options.eps', 'a positive number', eps);
  const checked = inputs.map((t, i) => ({ t, i })).filter(({ t }) => t.requiresGrad);
  if (checked.length === 0) throw new ArgumentError('gradcheck: no input requires grad, so there is nothing to check');
  for (const { t, i } of checked) {
    if (!t.isContiguous()) throw new ArgumentError(`gradcheck: inputs[${i}] must be contiguous (it is perturbed in place)`);
    if (!t.isLeaf) throw new ArgumentError(`gradcheck: inputs[${i}] must be a leaf tensor (it has gradFn ${t.gradFn})`);
  }

  const out = fn(...inputs);
  checkTensor('gradcheck', 'fn(...inputs)', out);
  const v = projection(out.numel);
  const dot = (t: Tensor): number => {
    const d = t.data();
    let s = 0;
    for (let k = 0; k < d.length; k++) s += d[k]! * v[k]!;
    return s;
  };

  // Analytic: vᵀJ from one backward pass, with the inputs' own .grad set aside.
  const saved = checked.map(({ t }) => t.grad);
  checked.forEach(({ t }) => (t.grad = null));
  let analytic: Float32Array[];
  try {
    out.backward(Tensor.from(v, out.shape));
    analytic = checked.map(({ t }) => (t.grad ? Float32Array.from(t.grad.data() as Float32Array) : new Float32Array(t.numel)));
  } finally {
    checked.forEach(({ t }, k) => (t.grad = saved[k]!));
  }

  // Numeric: central differences of v·f(x), one element at a time.
  let worst: { input: number; index: number; a: number; n: number; excess: number } | undefined;
  noGrad(() => {
    checked.forEach(({ t, i }, k) => {
      const data = t.data() as Float32Array;
      for (let j = 0; j < data.length; j++) {
        const original = data[j]!;
        data[j] = original + eps;
        const plus = dot(fn(...inputs));
        data[j] = original - eps;
        const minus = dot(fn(...inputs));
        data[j] = original;
        const n = (plus - minus) / (2 * eps);
        const a = analytic[k]![j]!;
        const excess = Math.abs(a - n) - (atol + rtol * Math.abs(n));
        if (!(excess <= 0) && (worst === undefined || !(excess <= worst.excess))) worst = { input: i, index: j, a, n, excess };
      }
    });
  });
  if (worst !== undefined) {
    throw new TensorgradError(
      `gradcheck: the gradient of inputs[${worst.input}] at flat index ${worst.index} is ${worst.a} by backward() but ` +
        `${worst.n} by finite differences (eps ${eps}; allowed |difference| <= ${atol} + ${rtol}·|numeric|)`,
      'ERR_GRADCHECK',
    );
  }
  return true;
}

// A fixed pseudo-random vector in [-1, 1) (or 1 for a one-element output), so a check is
// reproducible and does not consume the user's generator.
function projection(n: number): Float32Array {
  const v = new Float32Array(n);
  if (n === 1) {
    v[0] = 1;
    return v;
  }
  let state = 0x9e3779b9;
  for (let k = 0; k < n; k++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    v[k] = state / 2 ** 31 - 1;
  }
  return v;
}
