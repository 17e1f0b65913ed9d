import { defineConfig } from 'tsup';

// One build tool for both module systems: dist/index.js (ESM), dist/index.cjs (CommonJS),
// and their .d.ts / .d.cts types. `shims` gives the CommonJS build import.meta.url, which
// lib/native.ts uses to find the addon.
export default defineConfig({
  entry: ['lib/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  outDir: 'dist',
  external: ['node-gyp-build'],
  // Keep class names (Tensor, ShapeError, ...): error names and messages show them.
  keepNames: true,
});
