// Sums the reports .ci/run collected (vitest JSON, ctest JUnit XML) into one closing line:
// "N passed, N failed". A suite whose report is missing counts as one failure.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.ci-reports';
let passed = 0;
let failed = 0;

function vitest(file) {
  const path = join(dir, file);
  if (!existsSync(path)) return report(file, 0, 1, 'missing');
  const r = JSON.parse(readFileSync(path, 'utf8'));
  // A test file that fails to load is a failed suite with no failed test in it: count it too.
  const unloaded = (r.testResults ?? []).filter(
    (s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  report(file, r.numPassedTests, r.numFailedTests + unloaded);
}

function ctest(file) {
  const path = join(dir, file);
  if (!existsSync(path)) return report(file, 0, 1, 'missing');
  const xml = readFileSync(path, 'utf8');
  const attr = (name) => Number((new RegExp(`<testsuite[^>]*\\b${name}="(\\d+)"`).exec(xml) ?? [])[1] ?? 0);
  const total = attr('tests');
  const bad = attr('failures') + attr('errors');
  report(file, total - bad - attr('skipped'), bad);
}

function report(file, p, f, note = '') {
  passed += p;
  failed += f;
  console.log(`${file}: ${p} passed, ${f} failed${note ? ` (${note})` : ''}`);
}

vitest('vitest.json');
vitest('vitest-avx2.json');
vitest('vitest-ref.json');
vitest('vitest-package.json');
vitest('vitest-arm64.json');
vitest('vitest-no-avx.json');
vitest('vitest-asan.json');
ctest('ctest.xml');
ctest('ctest-asan.xml');
ctest('ctest-arm64.xml');
ctest('ctest-tsan.xml');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
