/** optim: optimizers, gradient clipping and learning-rate schedulers, shaped like torch.optim. */
export { Optimizer, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type Params, type ParamState } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adam, type AdamOptions, AdamW } from './adam.js';
export { clipGradNorm, type ClipGradNormOptions, clipGradValue } from './clip_grad.js';
export {
  CosineAnnealingLR,
  type CosineAnnealingLROptions,
  ExponentialLR,
  type ExponentialLROptions,
  LinearLR,
  type LinearLROptions,
  LRScheduler,
  MultiStepLR,
  type MultiStepLROptions,
  type SchedulableOptimizer,
  type SchedulerState,
  StepLR,
  type StepLROptions,
} from './lr_scheduler.js';
export { OneCycleLR, type OneCycleLROptions } from './one_cycle.js';
export { type PlateauMetric, ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
