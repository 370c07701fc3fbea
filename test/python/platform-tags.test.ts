import { execFileSync } from 'node:child_process';
import { PYTHON_RUNTIMES } from '../../functions/layers/python/lambda-runtimes';
import { lambdaTags, linuxPlatforms } from '../../functions/layers/python/platform-tags';
import { pipUnavailable } from './support/pip';

describe('platform tags of the Lambda runtimes', () => {
  test('manylinux tags stop at the runtime glibc; legacy aliases follow their glibc; no musllinux', () => {
    const al2 = linuxPlatforms('x86_64', [2, 26]);
    expect(al2[0]).toBe('manylinux_2_26_x86_64');
    expect(al2).not.toContain('manylinux_2_27_x86_64');
    expect(al2.indexOf('manylinux2014_x86_64')).toBe(al2.indexOf('manylinux_2_17_x86_64') + 1);
    expect(al2).toContain('manylinux1_x86_64');
    expect(al2.at(-1)).toBe('manylinux1_x86_64');
    const al2023arm = linuxPlatforms('arm64', [2, 34]);
    expect(al2023arm[0]).toBe('manylinux_2_34_aarch64');
    expect(al2023arm.at(-1)).toBe('manylinux2014_aarch64');
    expect(al2023arm.some((p) => p.includes('2010') || p.includes('manylinux1'))).toBe(false);
    expect([...al2, ...al2023arm].some((p) => p.includes('musl'))).toBe(false);
  });

  test('abi3 from its minimum version up, before the pure-Python tags', () => {
    const tags = lambdaTags('3.12', 'x86_64', [2, 34]);
    expect(tags[0]).toBe('cp312-cp312-manylinux_2_34_x86_64');
    expect(tags).toContain('cp39-abi3-manylinux_2_17_x86_64');
    expect(tags).not.toContain('cp313-abi3-manylinux_2_17_x86_64');
    expect(tags.indexOf('cp32-abi3-manylinux1_x86_64')).toBeLessThan(tags.indexOf('py3-none-manylinux_2_34_x86_64'));
    expect(tags.at(-1)).toBe('py30-none-any');
  });

  const unavailable = pipUnavailable();
  (unavailable ? test.skip : test)('the order equals pip\'s own on such a machine (packaging.tags sys_tags order, glibc patched) for every runtime and architecture', () => {
    for (const runtime of PYTHON_RUNTIMES) {
      for (const arch of ['x86_64', 'arm64'] as const) {
        const machine = arch === 'arm64' ? 'aarch64' : 'x86_64';
        const script = [
          'import json, sys',
          'from pip._vendor.packaging import _manylinux',
          `_manylinux._get_glibc_version = lambda: (${runtime.glibc[0]}, ${runtime.glibc[1]})`,
          'from pip._vendor.packaging.tags import cpython_tags, compatible_tags',
          `platforms = list(_manylinux.platform_tags("linux_${machine}", "${machine}"))`,
          `version = (${runtime.pythonVersion.replace('.', ', ')})`,
          'tags = list(cpython_tags(version, None, platforms)) + list(compatible_tags(version, "cp" + "".join(map(str, version)), platforms))',
          'print(json.dumps([str(t) for t in tags]))',
        ].join('\n');
        const pipTags = JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' })) as string[];
        expect(lambdaTags(runtime.pythonVersion, arch, runtime.glibc)).toEqual(pipTags);
      }
    }
  });
});
