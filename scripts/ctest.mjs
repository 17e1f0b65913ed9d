// Configures, builds and runs the C++ tests (CMakeLists.txt) with ctest.
//   node scripts/ctest.mjs             Release build in build-cmake/
//   node scripts/ctest.mjs --sanitize  AddressSanitizer + UBSan build in build-asan/
//   node scripts/ctest.mjs --tsan      ThreadSanitizer build in build-tsan/, running the tests of
//                                      the threaded runtime (executor, pool, deferred ops)
//   node scripts/ctest.mjs --arm64     cross-built for arm64 (aarch64-linux-gnu-g++) in
//                                      build-cmake-arm64/, run under qemu-aarch64-static: the
//                                      core as the arm64 prebuild compiles it
// With TG_REPORT_DIR set, ctest also writes a JUnit report there (read by .ci/run).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sanitize = process.argv.includes('--sanitize');
const arm64 = process.argv.includes('--arm64');
const tsan = process.argv.includes('--tsan');
const flavour = sanitize ? 'asan' : arm64 ? 'arm64' : tsan ? 'tsan' : null;
const buildDir = join(root, sanitize ? 'build-asan' : arm64 ? 'build-cmake-arm64' : tsan ? 'build-tsan' : 'build-cmake');
const buildType = sanitize || tsan ? 'RelWithDebInfo' : 'Release';
// The tests whose code runs on several threads at once.
const tsanTests = ['test_executor', 'test_deferred_ops', 'test_runtime'];
// ctest runs each test binary through the emulator (CMAKE_CROSSCOMPILING_EMULATOR).
const cross = arm64
  ? ['-DCMAKE_SYSTEM_NAME=Linux', '-DCMAKE_SYSTEM_PROCESSOR=aarch64', '-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++',
     '-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64-static;-L;/usr/aarch64-linux-gnu']
  : [];

function run(cmd, args, env = process.env) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) {
    console.error(`ctest.mjs: cannot run ${cmd}: ${result.error.message} (install cmake and a C++17 compiler)`);
    process.exit(1);
  }
  return result.status ?? 1;
}

const configure = ['-S', root, '-B', buildDir, `-DCMAKE_BUILD_TYPE=${buildType}`, `-DTG_SANITIZE=${sanitize ? 'ON' : 'OFF'}`, `-DTG_TSAN=${tsan ? 'ON' : 'OFF'}`, ...cross];
if (run('cmake', configure) !== 0) process.exit(1);
const targets = tsan ? ['--target', ...tsanTests] : [];
if (run('cmake', ['--build', buildDir, '--parallel', '2', ...targets]) !== 0) process.exit(1);

const ctestArgs = ['--test-dir', buildDir, '--output-on-failure', ...(tsan ? ['-R', `^(${tsanTests.join('|')})$`] : [])];
if (process.env.TG_REPORT_DIR) {
  const dir = resolve(process.env.TG_REPORT_DIR);
  mkdirSync(dir, { recursive: true });
  ctestArgs.push('--output-junit', join(dir, flavour ? `ctest-${flavour}.xml` : 'ctest.xml'));
}
// halt_on_error keeps a sanitizer finding from scrolling by as a warning.
const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:halt_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1', TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1' };
process.exit(run('ctest', ctestArgs, env));
