// The checks a prebuilt addon must pass before it ships (scripts/binary-checks.mjs), on made-up
// inputs that must fail them, and on this checkout's own build; and the manifest that goes into
// the tarball (scripts/pack-manifest.mjs).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const load = (path: string) => import(new URL(path, import.meta.url).href);
const checks = await load('../scripts/binary-checks.mjs');
const { publishedManifest } = await load('../scripts/pack-manifest.mjs');

const fit = {
  bytes: 1,
  versions: ['GLIBC_2.2.5', 'GLIBC_2.27'],
  maxGlibc: '2.27',
  exports: ['napi_register_module_v1', 'node_api_module_get_api_version_v1'],
  needed: ['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'ld-linux-x86-64.so.2'],
  stripped: true,
};

describe('binary checks', () => {
  it('compares dotted versions numerically', () => {
    expect(checks.compareVersions('2.28', '2.3')).toBe(1);
    expect(checks.compareVersions('2.2.5', '2.17')).toBe(-1);
    expect(checks.compareVersions('2.17', '2.17.0')).toBe(0);
    expect(() => checks.compareVersions('PRIVATE', '2.28')).toThrow(/not a dotted numeric version/);
  });

  it('a glibc version that is not a release (GLIBC_PRIVATE, GLIBC_ABI_DT_RELR) is a problem, not ignored', () => {
    for (const odd of ['GLIBC_PRIVATE', 'GLIBC_ABI_DT_RELR']) {
      const problems: string[] = checks.binaryProblems({ ...fit, versions: [...fit.versions, odd] });
      expect(problems.join(), odd).toContain(odd);
    }
  });

  it('a --wrap reference that nothing defines is a problem', () => {
    expect(checks.binaryProblems({ ...fit, undefinedWraps: ['__wrap_exp'] }).join()).toContain('__wrap_exp');
  });

  it('passes a binary fit to ship and names each way another falls short', () => {
    expect(checks.binaryProblems(fit)).toEqual([]);
    const bad = {
      ...fit,
      versions: [...fit.versions, 'GLIBC_2.34', 'GLIBCXX_3.4.30', 'GCC_3.0'],
      maxGlibc: '2.34',
      exports: [...fit.exports, '_ZNSt6vectorIiSaIiEE9push_backEOi'],
      needed: [...fit.needed, 'libstdc++.so.6'],
      stripped: false,
    };
    const problems: string[] = checks.binaryProblems(bad);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toContain('GLIBC_2.34');
    expect(problems[1]).toContain('GLIBCXX_3.4.30');
    expect(problems[2]).toContain('push_back');
    expect(problems[3]).toContain('libstdc++.so.6');
    expect(problems[4]).toContain('stripped');
    expect(checks.binaryProblems({ ...fit, exports: [] }).join()).toContain('does not export napi_register_module_v1');
    expect(checks.binaryProblems({ ...fit, maxGlibc: '2.27' }, { maxGlibc: '2.17' })[0]).toContain('above 2.17');
  });

  const map = [
    'Linker script and memory map',
    ' .text          0x0000000000001000      0x100 Release/obj.target/tensorgrad/native/kernels/isa_avx2.o',
    ' .text._ZN2tg6InlineEv',
    '                0x0000000000001100       0x40 Release/obj.target/tensorgrad/native/kernels/isa_avx2.o',
    ' .text          0x0000000000001200      0x100 Release/obj.target/tensorgrad/native/ops/tensor.o',
  ].join('\n');
  const disassembly = (lines: string[]) => ['0000000000001000 <kernel>:', ...lines].join('\n');

  it('reads a GNU ld link map, names on their own line included', () => {
    expect(checks.parseLinkMap(map)).toEqual([
      [0x1000, 0x1100, '.text', 'Release/obj.target/tensorgrad/native/kernels/isa_avx2.o'],
      [0x1100, 0x1140, '.text._ZN2tg6InlineEv', 'Release/obj.target/tensorgrad/native/kernels/isa_avx2.o'],
      [0x1200, 0x1300, '.text', 'Release/obj.target/tensorgrad/native/ops/tensor.o'],
    ]);
  });

  it('knows which instructions need AVX, BMI or AVX-512 masks, and which do not', () => {
    const found = checks.avxInstructions(disassembly([
      '    1000:\tvfmadd231ps %ymm1,%ymm2,%ymm3',
      '    1004:\tmovups (%rdi),%xmm0',
      '    1008:\tkmovw  %k1,%eax',
      '    100c:\tshlx   %rax,%rbx,%rcx',
      '    1010:\tverw   %ax',
      '    1014:\trex.W vpaddd %zmm0,%zmm1,%zmm2',
      '    1018:\tcall   2000 <memcpy@plt>',
      '    101c:\tcs vmovaps %ymm0,%ymm1',
      '    1020:\tkunpckbw %k1,%k2,%k3',
      '    1024:\tpopcnt %rax,%rbx',
      '    1028:\t(bad)',
      '    102c:\ttzcnt  %eax,%eax',
      '    1030:\tlock cmpxchg %rcx,(%rdx)',
    ]));
    expect(found.map((f: unknown[]) => f[1])).toEqual(['vfmadd231ps', 'kmovw', 'shlx', 'vpaddd', 'vmovaps', 'kunpckbw', 'popcnt', '(bad)']);
  });

  it('allows AVX only in an ISA file\'s own .text: not in other objects, not in a COMDAT inline', () => {
    const inside = checks.isaRegionProblems(map, disassembly(['    1010:\tvmulps %ymm0,%ymm1,%ymm2']));
    expect(inside).toEqual({ inside: 1, problems: [] });
    const comdat = checks.isaRegionProblems(map, disassembly(['    1010:\tvmulps %ymm0,%ymm1,%ymm2', '    1120:\tvaddps %ymm0,%ymm1,%ymm2']));
    expect(comdat.problems).toHaveLength(1);
    expect(comdat.problems[0]).toContain('.text._ZN2tg6InlineEv');
    const elsewhere = checks.isaRegionProblems(map, disassembly(['    1010:\tvmulps %ymm0,%ymm1,%ymm2', '    1280:\tvzeroupper']));
    expect(elsewhere.problems[0]).toContain('tensor.o');
    const unmapped = checks.isaRegionProblems(map, disassembly(['    1010:\tvmulps %ymm0,%ymm1,%ymm2', '    9000:\tvzeroupper']));
    expect(unmapped.problems[0]).toContain('no input section');
  });

  it('a scan that finds no AVX at all reports itself broken', () => {
    expect(checks.isaRegionProblems(map, disassembly(['    1000:\tret'])).problems[0]).toContain('broken');
  });

  const build = join(root, 'build', 'Release', 'tensorgrad.node');
  it.skipIf(process.platform !== 'linux' || !existsSync(build))('this checkout\'s own build already needs no newer glibc and exports only the entry points', () => {
    const info = checks.inspectBinary(build);
    // A contributor's build keeps its symbol table; everything else holds as for a prebuild.
    expect(checks.binaryProblems({ ...info, stripped: true })).toEqual([]);
    expect(info.exports).toEqual(checks.ENTRY_POINTS);
  });
});

describe('the published package.json', () => {
  it('keeps what users need and drops scripts and development fields', () => {
    const pkg = { name: 'tensorgrad', version: '1.0.0', bin: { tensorgrad: 'x' }, dependencies: { a: '1' }, scripts: { prepare: 'x' }, devDependencies: { b: '1' }, overrides: {}, '//overrides': '', '//install': '' };
    expect(publishedManifest(pkg)).toEqual({ name: 'tensorgrad', version: '1.0.0', bin: { tensorgrad: 'x' }, dependencies: { a: '1' } });
  });
});
