// tensorgrad and PyTorch train from the same start in each run of a training workload: the
// same initial weights (PyTorch's default initialisation, drawn once by tensorgrad, which
// follows it) and the same shuffled batch order. Their accuracies then differ by rounding
// alone, not by the luck of a seed (one epoch's accuracy moves by a point between seeds), so
// "within 0.5 points of PyTorch's" tests the arithmetic rather than the draw.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../../dist/index.js';
import { permutation } from '../drivers/protocol.mjs';
import { modelFor } from '../drivers/tensorgrad-models.mjs';

function writeAtomic(path, array) {
  writeFileSync(`${path}.tmp`, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  renameSync(`${path}.tmp`, path);
}

/**
 * The start of (workload, seed) in dir: { dir, params, order } for the drivers' settings. params
 * holds every parameter in the models' parameters() order (PyTorch's too), as float32.
 */
export function prepareStart(dir, workload, seed, nTrain) {
  const params = `${workload}-${seed}.params.f32`;
  const order = `${workload}-${seed}.order.i32`;
  if (!existsSync(join(dir, params)) || !existsSync(join(dir, order))) {
    mkdirSync(dir, { recursive: true });
    tg.manualSeed(seed);
    const { model } = modelFor(workload);
    const parts = [...model.parameters()].map((p) => p.data());
    const values = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (values.set(p, at), at + p.length), 0);
    writeAtomic(join(dir, order), permutation(nTrain, seed));
    writeAtomic(join(dir, params), values);
  }
  return { dir, params, order };
}
