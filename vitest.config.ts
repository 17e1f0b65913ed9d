import { defineConfig } from 'vitest/config';

// With TG_REPORT_DIR set (.ci/run does), results also go to a JSON report that .ci/run
// sums with the C++ tests' into its closing "N passed, N failed" line.
const reportDir = process.env.TG_REPORT_DIR;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The tarball tests pack and install the package: `npm run test:package` (vitest.packaging.config.ts).
    exclude: ['test/packaging/**', '**/node_modules/**'],
    testTimeout: 30_000,
    pool: 'forks',
    reporters: reportDir ? ['default', 'json'] : ['default'],
    outputFile: reportDir ? { json: `${reportDir}/vitest.json` } : undefined,
  },
});
