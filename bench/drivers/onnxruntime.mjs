// The onnxruntime-node driver of `npm run bench` (contract: bench/drivers/protocol.mjs):
// inference only, on the bench's MLP exported to ONNX by a current PyTorch
// (bench/drivers/export-mlp-onnx.py, run with the anchors venv's python, which the runner
// passes as TG_BENCH_TORCH2_PYTHON). One intra-op pool of config.threads threads, sequential
// execution, every graph optimisation: onnxruntime's fastest CPU setup for a small MLP.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PIXELS, config, inferWorkload, loadFashion, runDriver } from './protocol.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const training = 'onnxruntime-node runs inference only';

async function infer() {
  const ort = (await import('onnxruntime-node')).default;
  const model = join(root, 'build', 'bench-onnx', 'mlp.onnx');
  if (!existsSync(model)) {
    mkdirSync(dirname(model), { recursive: true });
    execFileSync(process.env.TG_BENCH_TORCH2_PYTHON, [join(root, 'bench', 'drivers', 'export-mlp-onnx.py'), model], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: config.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const set = loadFashion();
  return inferWorkload(set, () => async (images, count) => {
    const out = await session.run({ x: new ort.Tensor('float32', images, [count, PIXELS]) });
    return out.scores.data;
  });
}

await runDriver('onnxruntime-node', {
  gemm: 'onnxruntime-node has no matrix-multiply API (it runs ONNX graphs)',
  'mlp-train': training,
  'cnn-train': training,
  'mlp-infer': infer,
});
