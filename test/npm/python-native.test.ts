import { BuildError } from '../../functions/layers/kind';
import { pythonKind } from '../../functions/layers/python/kind';
import { elfFixture } from '../support/elf-fixture';
import { entry, onlyTarget, useFixtureIndex } from '../python/support/harness';

// The ELF checks npm layers make also guard python layers: a wheel whose tags fit but whose .so does not.
describe('python layers: native files checked against the target', () => {
  const harness = useFixtureIndex([
    {
      name: 'fastmath',
      version: '1.0',
      wheels: ['cp311-cp311-manylinux_2_17_x86_64'],
      entries: [{ name: 'fastmath/_core.cpython-311-x86_64-linux-gnu.so', data: elfFixture({ machine: 'x86_64', glibc: ['2.17'] }) }],
    },
    {
      // Tagged manylinux_2_17 but linked against a newer glibc than Amazon Linux 2 has: the tag lies, the file does not.
      name: 'liar',
      version: '1.0',
      wheels: ['cp311-cp311-manylinux_2_17_x86_64'],
      entries: [{ name: 'liar/_core.so', data: elfFixture({ machine: 'x86_64', glibc: ['2.17', '2.28'] }) }],
    },
    {
      name: 'mixedup',
      version: '1.0',
      wheels: ['cp311-cp311-manylinux_2_17_x86_64'],
      entries: [{ name: 'mixedup/_core.so', data: elfFixture({ machine: 'arm64', glibc: ['2.17'] }) }],
    },
  ]);
  const build = async (requirement: string) => {
    const ctx = harness.context(requirement);
    const target = onlyTarget(pythonKind.expand(entry({ requirements: [requirement], index: harness.server.url }), { prefix: 'lamina' }));
    return pythonKind.build(await pythonKind.resolve(target, ctx), ctx);
  };

  it('builds a wheel whose shared object fits python3.11 x86_64', async () => {
    const built = await build('fastmath');
    expect(JSON.stringify(built.manifest)).toContain('fastmath');
  });

  it('fails a shared object needing a newer glibc than the runtime has, naming file, both glibcs and what to do', async () => {
    const attempt = build('liar');
    await expect(attempt).rejects.toThrow(BuildError);
    await expect(attempt).rejects.toThrow(/python layer lamina-py311-x86_64-fixture \(python3\.11 x86_64\): native code that cannot load on python3\.11 x86_64: liar\/_core\.so needs glibc 2\.28, newer than the 2\.26 of python3\.11\. Pin a version/);
  });

  it('fails a shared object built for another architecture', async () => {
    await expect(build('mixedup')).rejects.toThrow(/mixedup\/_core\.so is built for arm64, not x86_64/);
  });
});
