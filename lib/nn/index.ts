/**
 * nn: layers, containers, losses and initialisation, shaped like torch.nn. `nn.functional`
 * (also exported as F) holds the same operations as functions.
 */
export * as functional from './functional.js';
export * as init from './init.js';
export * as utils from './utils.js';
export { Module, type LoadStateDictOptions, type LoadStateDictResult, type StateDict, type StateKeys } from './module.js';
export { Parameter } from './parameter.js';
export { Identity, Linear, type LinearLayerOptions } from './linear.js';
export { Flatten } from './flatten.js';
export { LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Step, Tanh } from './activation.js';
export { ModuleList, Sequential } from './container.js';
export { Dropout, Dropout2d } from './dropout.js';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batchnorm.js';
export { Conv2d, type Conv2dOptions } from './conv.js';
export { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './pooling.js';
export { Embedding, type EmbeddingLayerOptions, type FromPretrainedOptions } from './sparse.js';
export { BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss } from './loss.js';
export { GRU, LSTM, RNN, type LSTMOptions, type RNNBaseOptions, type RNNOptions, type RnnNonlinearity } from './rnn.js';
export { GRUCell, LSTMCell, RNNCell, type RNNCellLayerOptions, type RNNCellOptions } from './rnn_cell.js';
export { PackedSequence } from './rnn_utils.js';
export * as parallel from './parallel/index.js';
