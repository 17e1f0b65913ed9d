/** torch.nn.utils: variable-length sequences (utils.rnn) and gradient clipping. */
export * as rnn from './rnn_utils.js';
export { clipGradNorm, clipGradValue } from '../optim/clip_grad.js';
