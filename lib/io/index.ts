/**
 * io: reading data files (IDX as used by MNIST, CSV of numbers), saving / loading tensors,
 * state dicts and optimizer states, and safetensors files and ONNX export for exchange with Python and onnxruntime. Datasets
 * live in './datasets.js'.
 */
export { readCsv, readCsvSync, type CsvData, type ReadCsvOptions } from './csv.js';
export { readIdx, readIdxSync } from './idx.js';
export { load, loadSync, save, saveSync } from './save.js';
export {
  loadSafetensors,
  loadSafetensorsFromBuffer,
  loadSafetensorsSync,
  readSafetensorsHeader,
  saveSafetensors,
  saveSafetensorsSync,
  saveSafetensorsToBuffer,
  type SafetensorsHeader,
  type SaveSafetensorsOptions,
} from './safetensors.js';
export { type DynamicAxes, exportOnnx, exportOnnxSync, exportOnnxToBuffer, type ExportOnnxOptions } from './onnx/export.js';
