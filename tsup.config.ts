import { defineConfig } from 'tsup';

// One build tool for both module systems: dist/index.js (ESM), dist/index.cjs (CommonJS),
// and their .d.ts / .d.cts types. `shims` gives the CommonJS build import.meta.url, which
// lib/native.ts uses to find the addon.
export default defineConfig({
  // cli.ts is the package's bin (`npx tensorgrad info`).
  entry: ['lib/index.ts', 'lib/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  outDir: 'dist',
  // Keep class names (Tensor, ShapeError, ...): error names and messages show them.
  keepNames: true,
});
