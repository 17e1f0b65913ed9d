import { defineConfig } from 'vitest/config';

// `npm run test:package`: the npm tarball, packed and installed as a user would (slow: it
// packs, and installs from the registry). Not part of `npm test`, which needs no cross
// compiler; .ci/run runs both.
const reportDir = process.env.TG_REPORT_DIR;

export default defineConfig({
  test: {
    include: ['test/packaging/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: reportDir ? ['default', 'json'] : ['default'],
    outputFile: reportDir ? { json: `${reportDir}/vitest-package.json` } : undefined,
  },
});
