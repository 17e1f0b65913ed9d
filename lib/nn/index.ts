/** nn: the neural-network namespace. `nn.functional` (also exported as F) holds activations and losses as functions. */
export * as functional from './functional.js';
