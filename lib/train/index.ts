/**
 * train: the training loop (fit), evaluation and prediction, metrics, callbacks, learning
 * curves and hyper-parameter search.
 */
export { fit, type FitOptions } from './fit.js';
export { evaluate, type EvaluateOptions, type EvaluateResult, predict, type PredictOptions } from './evaluate.js';
export {
  Accuracy,
  accuracy,
  confusionMatrix,
  type Metric,
  type MetricSpec,
  TopKAccuracy,
  topKAccuracy,
} from './metrics.js';
export { EarlyStopping, type EarlyStoppingOptions, ModelCheckpoint, type ModelCheckpointOptions, type MonitorMode } from './callbacks.js';
export { historyToSvg, type HistorySvgOptions, writeHistorySvg } from './curves.js';
export { type ParamsOf, search, type SearchOptions, type SearchResult, type SearchSpace, type TrialOutcome, type TrialResult } from './search.js';
export type { ProgressStream } from './progress.js';
export type { Batch, Callback, EpochLogs, History, Loader, TrainContext } from './types.js';
