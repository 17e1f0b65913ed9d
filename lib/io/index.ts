/**
 * io: reading data files (IDX as used by MNIST, CSV of numbers), saving / loading tensors,
 * state dicts and optimizer states, and safetensors files for exchange with Python. Datasets
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
