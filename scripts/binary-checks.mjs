// Checks on a built addon that users' machines depend on (scripts/prebuild.mjs runs them on
// every prebuild; test/packaging/ runs them on the binaries inside the tarball):
//  - inspectBinary / binaryProblems: the glibc symbol versions it needs (at most the floor),
//    no libstdc++/libgcc versions (both are linked in), only the Node-API entry points
//    exported, no symbol table (stripped), only libc's libraries needed;
//  - isaRegionProblems: no AVX/AVX-512/BMI instruction outside the ISA regions
//    (native/kernels/isa_target.h), from the link map and the disassembly of the unstripped
//    binary, so the addon runs on any x86-64 and picks its kernels at load.
// readelf and objdump come with binutils (the compiler's package); readelf reads any
// architecture's ELF.
//   node scripts/binary-checks.mjs FILE.node [--max-glibc 2.28]
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { isMain } from './script-helpers.mjs';

export const ENTRY_POINTS = ['napi_register_module_v1', 'node_api_module_get_api_version_v1'];
const ALLOWED_LIBS = /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|ld-linux[-\w.]*\.so\.\d)$/;

const readelf = (args, file) => execFileSync('readelf', ['-W', ...args, file], { encoding: 'utf8', maxBuffer: 1 << 28 });

/** Compares dotted numeric versions: -1, 0 or 1; throws on anything else. */
export function compareVersions(a, b) {
  const parse = (v) => {
    if (!/^\d+(\.\d+)*$/.test(v)) throw new Error(`not a dotted numeric version: ${v}`);
    return v.split('.').map(Number);
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.length, y.length); ++i) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** What the dynamic linker will ask of the system, and what the binary offers it. */
export function inspectBinary(file) {
  const versionsText = readelf(['-V'], file);
  const needs = versionsText.slice(versionsText.indexOf("Version needs section '.gnu.version_r'"));
  const versions = [...needs.matchAll(/Name: (\S+)\s+Flags/g)].map((m) => m[1]);
  // GLIBC_PRIVATE, GLIBC_ABI_DT_RELR and such are not release numbers: binaryProblems names them.
  const glibc = versions.filter((v) => /^GLIBC_\d+(\.\d+)+$/.test(v)).map((v) => v.slice(6)).sort(compareVersions);
  const exports = [];
  const undefinedWraps = [];
  for (const line of readelf(['--dyn-syms'], file).split('\n')) {
    // Num: Value Size Type Bind Vis Ndx Name
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+:$/.test(f[0])) continue;
    // A --wrap=NAME whose __wrap_NAME was never defined loads, then dies at the first call.
    if (f[6] === 'UND' && f[7].startsWith('__wrap_')) undefinedWraps.push(f[7]);
    if (f[6] === 'UND' || f[3] === 'SECTION' || f[3] === 'FILE') continue;
    if (f[4] === 'GLOBAL' || f[4] === 'WEAK' || f[4] === 'UNIQUE') exports.push(f[7].replace(/@.*/, ''));
  }
  const dynamic = readelf(['-d'], file);
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const sections = readelf(['-S'], file);
  return {
    bytes: statSync(file).size,
    versions,
    maxGlibc: glibc.at(-1) ?? null,
    exports: exports.sort(),
    undefinedWraps,
    needed,
    stripped: !/\s\.symtab\s/.test(sections),
  };
}

/** Every way `info` (from inspectBinary) falls short of a binary that runs on users' machines. */
export function binaryProblems(info, { maxGlibc = '2.28' } = {}) {
  const problems = [];
  const odd = info.versions.filter((v) => v.startsWith('GLIBC_') && !/^GLIBC_\d+(\.\d+)+$/.test(v));
  if (odd.length) problems.push(`needs glibc versions that are not releases: ${odd.join(', ')}`);
  if (info.undefinedWraps?.length) problems.push(`has --wrap references nothing defines: ${info.undefinedWraps.join(', ')}`);
  if (info.maxGlibc && compareVersions(info.maxGlibc, maxGlibc) > 0) {
    const newer = info.versions.filter((v) => /^GLIBC_\d+(\.\d+)+$/.test(v) && compareVersions(v.slice(6), maxGlibc) > 0);
    problems.push(`needs glibc ${info.maxGlibc} (above ${maxGlibc}): ${newer.join(', ')}`);
  }
  const runtime = info.versions.filter((v) => /^(GLIBCXX|CXXABI|GCC)_/.test(v));
  if (runtime.length) problems.push(`needs the system's C++ runtime or libgcc_s: ${runtime.join(', ')}`);
  const extra = info.exports.filter((s) => !ENTRY_POINTS.includes(s));
  if (extra.length) problems.push(`exports more than the entry points: ${extra.slice(0, 10).join(', ')}${extra.length > 10 ? ` and ${extra.length - 10} more` : ''}`);
  if (!info.exports.includes(ENTRY_POINTS[0])) problems.push(`does not export ${ENTRY_POINTS[0]}`);
  const libs = info.needed.filter((l) => !ALLOWED_LIBS.test(l));
  if (libs.length) problems.push(`needs libraries beyond libc's: ${libs.join(', ')}`);
  if (!info.stripped) problems.push('is not stripped (has a .symtab)');
  return problems;
}

// Instructions the baseline x86-64 (SSE2) may not have, which only the ISA regions may use:
// every VEX/EVEX SIMD mnemonic starts with 'v' (verr/verw are old system instructions), the
// AVX-512 mask registers' k-instructions, the VEX-encoded BMI1/BMI2 integer ones, and the
// non-VEX ones that target("avx2") also enables (popcnt, lzcnt, movbe, adx; not tzcnt, which
// GCC emits anywhere as `rep bsf`, the same on old CPUs for its non-zero inputs). "(bad)" is an
// encoding objdump cannot decode, so cannot be vouched for.
const NEEDS_AVX = /^(v(?!err|erw)\w+|k(mov|and|andn|or|xor|xnor|not|shift\w+|ortest|test|add)[bwdq]|kunpck(bw|wd|dq)|andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx|popcnt|lzcnt|movbe|adcx|adox|\(bad\))$/;
// What objdump may print before the mnemonic.
const PREFIX = /^(rex(\.\w+)?|data16|data32|addr32|lock|rep\w*|notrack|bnd|cs|ds|ss|es|fs|gs|xacquire|xrelease|\{\w+\})$/;
// The input sections that hold an ISA file's own functions. A COMDAT section (.text._Z...)
// would be an inline function or template compiled inside a region, which the linker may
// pick for callers outside it: the hazard isa_target.h describes. (.text.startup runs at load,
// before any dispatch, so it is not a region's either.)
const REGION_SECTIONS = new Set(['.text', '.text.unlikely', '.text.hot']);
const ISA_OBJECT = /_(avx2|avx512)\.o$/;

/** The input sections of executable code from a GNU ld link map: [start, end, section, object]. */
export function parseLinkMap(text) {
  const body = text.slice(Math.max(0, text.indexOf('Linker script and memory map')));
  const ranges = [];
  let pending = null;
  for (const line of body.split('\n')) {
    let m = /^ (\.text\S*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)\s*$/.exec(line);
    if (m) {
      ranges.push([parseInt(m[2], 16), parseInt(m[2], 16) + parseInt(m[3], 16), m[1], m[4]]);
      pending = null;
      continue;
    }
    m = /^ (\.text\S*)\s*$/.exec(line);
    if (m) {
      pending = m[1];
      continue;
    }
    m = pending && /^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)\s*$/.exec(line);
    if (m) ranges.push([parseInt(m[1], 16), parseInt(m[1], 16) + parseInt(m[2], 16), pending, m[3]]);
    pending = null;
  }
  return ranges.filter((r) => r[1] > r[0]).sort((a, b) => a[0] - b[0]);
}

/** Instructions needing AVX, from `objdump -d --no-show-raw-insn -w`: [address, mnemonic, function]. */
export function avxInstructions(disassembly) {
  const found = [];
  let fn = '?';
  for (const line of disassembly.split('\n')) {
    const label = /^[0-9a-f]+ <(.+)>:$/.exec(line);
    if (label) {
      fn = label[1];
      continue;
    }
    const m = /^\s*([0-9a-f]+):\s+(.*)$/.exec(line);
    if (!m) continue;
    const words = m[2].trim().split(/\s+/);
    let i = 0;
    while (i < words.length - 1 && PREFIX.test(words[i])) i += 1;
    if (words[i] && NEEDS_AVX.test(words[i])) found.push([parseInt(m[1], 16), words[i], fn]);
  }
  return found;
}

/** Where AVX instructions sit outside the ISA regions; also how many sit inside (a scan that finds none is broken). */
export function isaRegionProblems(mapText, disassembly) {
  const ranges = parseLinkMap(mapText);
  const problems = [];
  let inside = 0;
  for (const [address, mnemonic, fn] of avxInstructions(disassembly)) {
    let lo = 0;
    let hi = ranges.length - 1;
    let range = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (address < ranges[mid][0]) hi = mid - 1;
      else if (address >= ranges[mid][1]) lo = mid + 1;
      else {
        range = ranges[mid];
        break;
      }
    }
    if (range && ISA_OBJECT.test(range[3]) && REGION_SECTIONS.has(range[2])) inside += 1;
    else problems.push(`${mnemonic} at 0x${address.toString(16)} in ${fn} (${range ? `${range[2]} of ${range[3]}` : 'no input section'})`);
  }
  if (inside === 0) problems.push('found no AVX instruction inside the ISA regions: the scan or the link map is broken');
  return { inside, problems };
}

/** isaRegionProblems for an unstripped x86-64 binary and the link map it was linked with. */
export function checkIsaRegions(file, mapText) {
  const disassembly = execFileSync('objdump', ['-d', '--no-show-raw-insn', '-w', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return isaRegionProblems(mapText, disassembly);
}

if (isMain(import.meta.url)) {
  const file = process.argv[2];
  const at = process.argv.indexOf('--max-glibc');
  const info = inspectBinary(file);
  const problems = binaryProblems(info, at > 0 ? { maxGlibc: process.argv[at + 1] } : {});
  console.log(JSON.stringify({ file, ...info, versions: undefined, problems }, null, 2));
  process.exit(problems.length ? 1 : 0);
}
