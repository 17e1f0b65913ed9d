/**
 * io: reading data files (IDX as used by MNIST, CSV of numbers) and saving / loading
 * tensors, state dicts and optimizer states. Datasets live in './datasets.js'.
 */
export { readCsv, readCsvSync, type CsvData, type ReadCsvOptions } from './csv.js';
export { readIdx, readIdxSync } from './idx.js';
export { load, loadSync, save, saveSync } from './save.js';
export { type DynamicAxes, exportOnnx, exportOnnxSync, exportOnnxToBuffer, type ExportOnnxOptions } from './onnx/export.js';
