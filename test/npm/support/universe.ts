import { elfFixture } from '../../support/elf-fixture';
import type { FixturePackage } from './registry';

/** A platform package of `fastlib`, as sharp's @img/sharp-<platform> are: os/cpu/libc fields and a native file. */
function platformPackage(suffix: string, fields: Record<string, string[]>, machine: 'x86_64' | 'arm64'): FixturePackage {
  return {
    name: `@fast/${suffix}`,
    version: '1.0.0',
    manifest: { ...fields, license: 'MIT', main: 'fast.node' },
    files: { 'fast.node': elfFixture({ machine, glibc: ['2.17'] }) },
  };
}

/** The packages the npm kind's tests resolve and build, each made to exercise one thing npm or lamina does. */
export const UNIVERSE: FixturePackage[] = [
  {
    name: 'greet',
    version: '1.0.0',
    manifest: { main: 'index.js', license: 'MIT', dependencies: { shout: '^1.0.0' } },
    files: { 'index.js': "module.exports = (name) => 'hello ' + name;\n" },
  },
  {
    name: 'greet',
    version: '1.2.0',
    manifest: { main: 'index.js', license: 'MIT', dependencies: { shout: '^2.0.0' }, devDependencies: { 'dev-only': '1.0.0' } },
    files: {
      'index.js': "const shout = require('shout');\nmodule.exports = (name) => shout('hello ' + name);\n",
      'README.md': '# greet\n',
      'CHANGELOG.md': 'changes\n',
      LICENSE: 'MIT License\n',
      'test/greet.test.js': 'test\n',
      'lib/util.ts': 'export const x = 1;\n',
      'lib/util.js': 'exports.x = 1;\n',
      'lib/util.js.map': '{}\n',
      'lib/util.d.ts': 'export declare const x: number;\n',
      'lib/only.ts': 'export const y = 2;\n',
      'docs/guide.txt': 'guide\n',
    },
  },
  { name: 'shout', version: '1.0.0', manifest: { license: 'ISC' }, files: { 'index.js': 'module.exports = (s) => s;\n' } },
  { name: 'shout', version: '2.0.0', manifest: { license: 'ISC' }, files: { 'index.js': 'module.exports = (s) => s.toUpperCase();\n' } },
  { name: 'dev-only', version: '1.0.0', files: { 'index.js': '' } },
  {
    name: '@fixture/esm-only',
    version: '1.0.0',
    manifest: { type: 'module', exports: { '.': { import: './index.mjs' } }, license: 'Apache-2.0' },
    files: { 'index.mjs': "export const hello = 'esm';\n" },
  },
  {
    name: 'fastlib',
    version: '1.0.0',
    manifest: {
      main: 'index.js',
      license: 'BSD-3-Clause',
      scripts: { install: 'prebuild-install || node-gyp rebuild' },
      optionalDependencies: { '@fast/linux-x64': '1.0.0', '@fast/linux-arm64': '1.0.0', '@fast/linuxmusl-x64': '1.0.0', '@fast/darwin-arm64': '1.0.0' },
    },
    files: { 'index.js': "exports.binding = require.resolve('@fast/linux-' + process.arch + '/fast.node');\n", 'binding.gyp': '{}\n' },
  },
  platformPackage('linux-x64', { os: ['linux'], cpu: ['x64'], libc: ['glibc'] }, 'x86_64'),
  platformPackage('linux-arm64', { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] }, 'arm64'),
  platformPackage('linuxmusl-x64', { os: ['linux'], cpu: ['x64'], libc: ['musl'] }, 'x86_64'),
  platformPackage('darwin-arm64', { os: ['darwin'], cpu: ['arm64'] }, 'arm64'),
  { name: 'chatty', version: '1.0.0', manifest: { scripts: { postinstall: 'node -e "console.log(\'thanks\')"' } }, files: { 'index.js': 'module.exports = 1;\n' } },
  { name: 'peerhost', version: '1.0.0', manifest: { peerDependencies: { shout: '^2.0.0' } }, files: { 'index.js': "module.exports = require('shout');\n" } },
  {
    name: 'needs-build',
    version: '1.0.0',
    manifest: { scripts: { install: 'node-gyp rebuild' }, main: 'index.js' },
    files: { 'binding.gyp': '{}\n', 'index.js': "module.exports = require('./build/Release/addon.node');\n", 'src/addon.cc': '// C++\n' },
  },
  { name: 'modern', version: '1.0.0', manifest: { engines: { node: '>=22' } }, files: { 'index.js': 'module.exports = 22;\n' } },
  { name: 'armonly', version: '1.0.0', manifest: { os: ['linux'], cpu: ['arm64'] }, files: { 'index.js': 'module.exports = "arm";\n' } },
  { name: 'wrongbin', version: '1.0.0', files: { 'build/Release/addon.node': elfFixture({ machine: 'arm64', glibc: ['2.17'] }), 'index.js': '' } },
  { name: 'newglibc', version: '1.0.0', files: { 'addon.node': elfFixture({ machine: 'x86_64', glibc: ['2.17', '2.38'] }), 'index.js': '' } },
  { name: 'tampered', version: '1.0.0', tamper: true, files: { 'index.js': '' } },
  { name: 'broken-load', version: '1.0.0', files: { 'index.js': "throw new Error('this package does not load');\n" } },
];
