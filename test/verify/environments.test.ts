import { hostArchitecture, nativeEnvironment, runtimeFamily } from '../../functions/verify/environments';

describe('verify environments', () => {
  test('runtime families: python3.X, nodejsN.x, provided.*; anything else is refused by name', () => {
    expect(runtimeFamily('python3.12')).toEqual({ family: 'python', version: '3.12' });
    expect(runtimeFamily('nodejs22.x')).toEqual({ family: 'node', major: 22 });
    expect(runtimeFamily('provided.al2023')).toEqual({ family: 'provided' });
    expect(() => runtimeFamily('java21')).toThrow(/cannot verify layers for runtime "java21"/);
  });

  const arch = hostArchitecture();
  (arch ? test : test.skip)('a verify function is the environment only for its own runtime and architecture', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(nativeEnvironment({ runtime: `nodejs${major}.x`, architecture: arch! })).toMatchObject({ where: 'aws', emulator: [], node: [process.execPath] });
    expect(() => nativeEnvironment({ runtime: `nodejs${major - 2}.x`, architecture: arch! })).toThrow(/picked the wrong function/);
    expect(() => nativeEnvironment({ runtime: 'provided.al2023', architecture: arch === 'x86_64' ? 'arm64' : 'x86_64' })).toThrow(/picked the wrong function/);
  });
});
